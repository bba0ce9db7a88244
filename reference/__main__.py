import os
import sys

# Before numpy is imported: tiny matrices gain nothing from BLAS threads, and on a busy
# machine OpenBLAS threads spinning for a core make a backward pass 50x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from reference._report.cli import main  # noqa: E402

sys.exit(main())
