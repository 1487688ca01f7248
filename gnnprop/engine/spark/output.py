"""A Spark run's output: Parquet per round, or rounds collected for the local writers.

Parquet layout: ``OUT/round=R/`` holds round R as ``id, x0..`` (one file per
partition; Spark's own ``_SUCCESS`` in each round's folder), ``OUT/_gnnprop.json``
the run's meta, and ``OUT/_SUCCESS`` is written last: a folder without it is
not a finished run. ``spark.read.parquet(OUT)`` reads every round with ``round``
as a column. A failed run removes the folder it created.

Collecting (json, ndjson, csv, npy, tables) brings every kept round to the
driver, so it is refused above ``spark.collect_limit`` values.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from ...errors import UsageError, setting

DataFrame = Any


class _FileSystem:
    """Hadoop's file system for a path (local, hdfs://, s3a://, ...), through Spark's JVM."""

    def __init__(self, spark, path: str):
        jvm = spark.sparkContext._jvm
        self.jvm = jvm
        self.path = jvm.org.apache.hadoop.fs.Path(path)
        self.fs = self.path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def child(self, name: str):
        return self.jvm.org.apache.hadoop.fs.Path(self.path, name)

    def exists(self, p=None) -> bool:
        return bool(self.fs.exists(p or self.path))

    def is_empty_dir(self) -> bool:
        return self.fs.getFileStatus(self.path).isDirectory() and len(self.fs.listStatus(self.path)) == 0

    def write_text(self, name: str, text: str) -> None:
        stream = self.fs.create(self.child(name), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def delete(self) -> None:
        self.fs.delete(self.path, True)


class ParquetRounds:
    """Writes kept rounds to ``OUT/round=R/`` and marks the run complete last."""

    def __init__(self, spark, out: str):
        self.spark = spark
        self.out = out.rstrip("/") or out
        self.fs = _FileSystem(spark, self.out)
        self.created = False

    def begin(self) -> None:
        if self.fs.exists():
            if not self.fs.is_empty_dir():
                raise UsageError(f"{self.out} already exists and is not empty; the spark engine writes a new "
                                 f"folder of rounds (remove it or name another)", key="output")
            self.fs.fs.delete(self.fs.path, True)  # an empty folder: Spark's writer makes it again
        self.created = True

    def round(self, r: int, df: DataFrame) -> None:
        df.write.mode("errorifexists").parquet(f"{self.out}/round={r}")

    def finish(self, meta: dict) -> None:
        self.fs.write_text("_gnnprop.json", json.dumps(meta, indent=1) + "\n")
        self.fs.write_text("_SUCCESS", "")

    def abort(self) -> None:
        """Remove the folder this run made. A round's write interrupted mid-way (Ctrl-C) goes on in the
        JVM and would make its folder again: Spark's jobs are cancelled, and waited for, first."""
        if not self.created:
            return
        settle(self.spark)
        if self.fs.exists():
            self.fs.delete()


def settle(spark, timeout: float = 60.0) -> None:
    """Cancel this session's running jobs and wait (up to ``timeout`` seconds) until none runs."""
    sc = spark.sparkContext
    sc.cancelAllJobs()
    tracker = sc.statusTracker()
    deadline = time.monotonic() + timeout
    while (tracker.getActiveJobsIds() or tracker.getActiveStageIds()) and time.monotonic() < deadline:
        time.sleep(0.05)


def check_collect(num_nodes: int, width: int, rounds: int, limit: int) -> None:
    """Refuse to bring more than ``limit`` values to the driver."""
    values = num_nodes * width * rounds
    if values > limit:
        raise UsageError(
            f"collecting {rounds} round(s) of {num_nodes} nodes x {width} features ({values:,} values) exceeds "
            f"spark.collect_limit ({limit:,}); write Parquet instead ({setting('output', 'OUT/')}), "
            f"keep fewer rounds ({setting('last')}), or raise spark.collect_limit", key="format")


class Collector:
    """Rounds as numpy arrays in gnnprop's node order."""

    def __init__(self, ids: list):
        self.ids = ids
        self.index = {v: k for k, v in enumerate(ids)}

    def numpy(self, df: DataFrame, width: int, dtype) -> np.ndarray:
        pdf = df.toPandas()
        out = np.empty((len(self.ids), width), dtype=dtype)
        rows = pdf["id"].map(self.index).to_numpy()
        for k in range(width):
            out[rows, k] = pdf[f"x{k}"].to_numpy(dtype=dtype)
        return out
