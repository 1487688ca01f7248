"""A Spark run's output: a run folder on Hadoop's file system, or rounds collected to the driver.

The run folder's layout and rules are :mod:`gnnprop.engine.runfolder`'s, the same as the
local engine's; :class:`HadoopFS` is the file system it is written on (Spark writes each
``OUT/round=R/``, one file per partition, with Spark's own ``_SUCCESS`` inside).

Collecting (json, ndjson, csv, npy, tables) brings every kept round to the
driver, so it is refused above ``spark.collect_limit`` values.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ...errors import UsageError, setting

DataFrame = Any


class HadoopFS:
    """Hadoop's file system (local, hdfs://, s3a://, ...) through Spark's JVM: what a Spark run
    writes its run folder on (:class:`gnnprop.engine.runfolder.FileSystem`)."""

    def __init__(self, spark):
        self.spark = spark
        self.jvm = spark.sparkContext._jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, path: str):
        p = self.jvm.org.apache.hadoop.fs.Path(path)
        return p, p.getFileSystem(self.conf)

    def exists(self, path: str) -> bool:
        p, fs = self._path(path)
        return bool(fs.exists(p))

    def isdir(self, path: str) -> bool:
        p, fs = self._path(path)
        return bool(fs.exists(p)) and bool(fs.getFileStatus(p).isDirectory())

    def listdir(self, path: str) -> list[str]:
        p, fs = self._path(path)
        return sorted(str(st.getPath().getName()) for st in fs.listStatus(p))

    def read_text(self, path: str) -> str:
        p, fs = self._path(path)
        if not fs.exists(p):
            raise FileNotFoundError(path)
        stream = fs.open(p)
        try:
            reader = self.jvm.java.io.BufferedReader(self.jvm.java.io.InputStreamReader(stream, "UTF-8"))
            lines = []
            while (line := reader.readLine()) is not None:
                lines.append(line)
            return "\n".join(lines)
        finally:
            stream.close()

    def write_bytes(self, path: str, data: bytes) -> None:
        """Written to a temporary name, then renamed over ``path``."""
        p, fs = self._path(path)
        tmp = self.jvm.org.apache.hadoop.fs.Path(p.getParent(), f".{p.getName()}.tmp")
        stream = fs.create(tmp, True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()
        if fs.exists(p):
            fs.delete(p, False)
        if not fs.rename(tmp, p):
            raise OSError(f"cannot rename {tmp} to {path}")

    def rename(self, src: str, dst: str) -> None:
        a, fs = self._path(src)
        b, _ = self._path(dst)
        if not fs.rename(a, b):
            raise OSError(f"cannot rename {src} to {dst}")

    def delete(self, path: str) -> None:
        p, fs = self._path(path)
        if fs.exists(p):
            fs.delete(p, True)

    def mkdir(self, path: str) -> None:
        p, fs = self._path(path)
        if not fs.mkdirs(p):  # Hadoop says no with False (a read-only folder, a file in the way)
            from .faults import why_local_folder_fails

            raise OSError(why_local_folder_fails(path) or f"Hadoop's file system refused to make the folder {path}")

    def aside(self, path: str) -> str:
        import uuid

        parent, _, name = path.rstrip("/").rpartition("/")
        return f"{parent or '.'}/.{name}.{uuid.uuid4().hex[:8]}.previous"

    def settle(self) -> None:
        """Cancel the session's jobs and wait until none runs (before removing what a stopped run wrote:
        an interrupted write goes on in the JVM and would make its folder again)."""
        settle(self.spark)


def settle(spark, timeout: float = 60.0) -> None:
    """Cancel this session's running jobs and wait (up to ``timeout`` seconds) until none runs and no
    executor runs a task of one: a cancelled job ends at once, but a task being killed may still be
    writing its part (and makes the round's ``_temporary`` folder again after it was removed)."""
    sc = spark.sparkContext
    sc.cancelAllJobs()
    tracker = sc.statusTracker()
    deadline = time.monotonic() + timeout
    while (tracker.getActiveJobsIds() or tracker.getActiveStageIds() or _running_tasks(sc)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)


def _running_tasks(sc) -> int:
    """How many tasks the executors run now (0 where Spark does not say)."""
    from .session import executor_infos

    return sum(int(e.numRunningTasks()) for e in executor_infos(sc))


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
