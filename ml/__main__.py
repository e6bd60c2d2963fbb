"""`python -m ml`: train and grade the continuation model, the same as `python ml/train.py`."""

import sys

from ml.train import main

sys.exit(main(prog="python -m ml"))
