"""PySpark's Python worker daemon with torch and gnnprop's layer kinds imported before it forks.

The block rounds (:mod:`.blocktask`) run torch in Spark's Python workers. A worker is forked
from this daemon, so importing torch here once (about 2 s) spares every new worker the import
(Spark lets a worker go after a minute idle, and a run's first round would pay it again).
Set for local masters only (``spark.python.daemon.module``, :func:`.session.start`), where the
executors run this Python with gnnprop installed; importing starts no thread, so forking is safe.
"""

import torch  # noqa: F401

import gnnprop.layers  # noqa: F401
from pyspark import daemon

try:  # PyG's layers and formulas without a fused form run PyG's classes
    import torch_geometric  # noqa: F401
except ImportError:  # pragma: no cover - a dependency of gnnprop
    pass

if __name__ == "__main__":
    daemon.manager()
