"""ml package: the continuation model's data, training, evaluation and persistence.

OpenMP threads wait passively (sleep, not spin) unless the user set OMP_WAIT_POLICY: scikit-learn's
gradient boosting runs many short parallel regions, and libgomp's default spinning makes a thread
whose partner was descheduled burn its time slice at every barrier. Measured on a 2-core machine
(91 boosting iterations, same predictions bit for bit): 6.2-7.8 s quiet either way; beside two busy
loops 72-253 s spinning against 13-40 s passive. It must be set before libgomp loads (it reads the
variable once), i.e. before scikit-learn is imported, which every entry point does through here.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
