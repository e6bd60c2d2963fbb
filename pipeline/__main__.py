"""`python -m pipeline`: what `make run` runs (see pipeline/run.py)."""

import sys

from pipeline.run import main

sys.exit(main())
