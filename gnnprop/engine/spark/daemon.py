"""PySpark's Python worker daemon with torch and gnnprop's layer kinds imported before it forks.

The block rounds (:mod:`.blocktask`) run torch in Spark's Python workers. A worker is forked
from this daemon, so importing torch here once (about 2 s) spares every new worker the import
(Spark lets a worker go after a minute idle, and a run's first round would pay it again).
Set for local masters only (``spark.python.daemon.module``, :func:`.session.start`), where the
executors run this Python with gnnprop installed; importing starts no thread, so forking is safe.

PySpark's daemon runs ``gc.collect()`` in a worker after every task it is reused for; over the
heap of torch and PyG that took 0.25 s, a delay before each task a worker takes next (a third of
a round at 100K nodes / 1M edges, most of a tiny graph's jobs). What is imported here is moved out
of the collector's sight (``gc.freeze``) before the workers are forked: their collection then
scans only what a task made (what a worker imports for its first task is imported here too).
"""

import gc

import torch  # noqa: F401

import gnnprop.layers  # noqa: F401
from pyspark import daemon

try:  # PyG's layers and formulas without a fused form run PyG's classes
    import torch_geometric  # noqa: F401
except ImportError:  # pragma: no cover - a dependency of gnnprop
    pass
# what a worker imports for its first task (Arrow's functions, the blocks' rounds): frozen with the rest
import pyspark.worker  # noqa: F401
from pyspark.sql.pandas import serializers  # noqa: F401

from . import blocktask  # noqa: F401

gc.freeze()

if __name__ == "__main__":
    daemon.manager()
