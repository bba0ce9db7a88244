import os
import sys

# Before numpy is imported: tiny matrices gain nothing from BLAS threads, and on a busy
# machine OpenBLAS threads spinning for a core make a backward pass 50x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from reference._report.cli import main  # noqa: E402

status = main()
# The process ends here: its objects (torch's too, where a row ran in this process) are left
# out of the collection the interpreter makes as it exits, which walks all of them (0.4 s
# after import torch; 0.05 s with this).
import gc  # noqa: E402

gc.freeze()
sys.exit(status)
