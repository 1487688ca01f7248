"""Start or join a SparkSession for a run.

Under ``spark-submit`` a session already exists (or its settings are in the
environment): :func:`start` joins it and changes only what a run needs (the
shuffle partitions, the checkpoint directory). Started by gnnprop itself, the
session gets the config's ``spark.master``, ``driver_memory`` and ``conf``.
Spark's own log is kept at WARN unless ``debug``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ...config.schema import SparkConfig
from ...errors import RunError, UsageError
from . import pyspark_missing


def _java_missing() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return None
    from shutil import which

    if which("java") is None:
        return "Java is not installed (Spark needs Java 17 or 21: install openjdk-17-jre-headless, or set JAVA_HOME)"
    return None


def start(cfg: SparkConfig, debug: bool = False, app_name: str = "gnnprop") -> Any:
    """The SparkSession of this run (an existing one is joined)."""
    why = pyspark_missing() or _java_missing()
    if why:
        raise UsageError(f"the spark engine cannot start: {why}", key="engine")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:
        builder = SparkSession.builder.appName(app_name)
        if not _submitted() or cfg.master != "local[*]":
            builder = builder.master(cfg.master)
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        if not debug and "spark.driver.extraJavaOptions" not in cfg.conf:
            log = os.path.join(os.path.dirname(__file__), "log4j2.properties")
            builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log}")
        builder = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
        if cfg.master.startswith("local"):
            # a local master needs no network interface: loopback, and no warning about choosing one
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if cfg.master.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
            # the Python workers (wide linear maps run there) are this Python, with gnnprop's
            # packages, not whatever python3 the PATH finds first
            os.environ["PYSPARK_PYTHON"] = sys.executable
        if cfg.driver_memory:
            builder = builder.config("spark.driver.memory", cfg.driver_memory)
        for key, value in cfg.conf.items():
            builder = builder.config(str(key), str(value).lower() if isinstance(value, bool) else str(value))
        try:
            active = builder.getOrCreate()
        except Exception as e:  # the JVM did not start or the master is not there: one line
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise RunError(f"spark.master {cfg.master}: cannot start Spark: {first}") from None
    active.sparkContext.setLogLevel("INFO" if debug else "WARN")
    if not debug:  # gnnprop reads CSV headers itself and names Spark's columns by position
        jvm = active.sparkContext._jvm
        jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
            "org.apache.spark.sql.catalyst.csv.CSVHeaderChecker", jvm.org.apache.logging.log4j.Level.ERROR)
    # one number of partitions for the nodes, the edges and every shuffle, so that joins by id need no exchange
    active.conf.set("spark.sql.shuffle.partitions", str(partitions(active, cfg)))
    # Without adaptive execution Spark keeps the checkpointed nodes' and edges' partitioning and
    # order: a round is then one exchange (the messages, by target) and no sort of the edges.
    # (Set spark.conf's spark.sql.adaptive.enabled: true for its skew handling instead.)
    if "spark.sql.debug.maxToStringFields" not in cfg.conf:  # wide feature tables: no "truncated plan" warnings
        active.conf.set("spark.sql.debug.maxToStringFields", "10000")
    if "spark.sql.adaptive.enabled" not in cfg.conf:
        active.conf.set("spark.sql.adaptive.enabled", "false")
    if cfg.checkpoint_dir:
        active.sparkContext.setCheckpointDir(cfg.checkpoint_dir)
    return active


def _submitted() -> bool:
    """Whether this driver was started by ``spark-submit`` (which sets the master itself)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ or "spark.master" in os.environ.get("PYSPARK_SUBMIT_ARGS", "")


def partitions(spark: Any, cfg: SparkConfig) -> int:
    """How many partitions the nodes and edges are hashed into."""
    if cfg.partitions:
        return cfg.partitions
    if "spark.sql.shuffle.partitions" in cfg.conf:
        return int(cfg.conf["spark.sql.shuffle.partitions"])
    # Spark's default of 200 shuffle partitions is for clusters; use the cores Spark has
    return max(1, int(spark.sparkContext.defaultParallelism))


def active() -> Any:
    """The active SparkSession of this process, or None (also where pyspark is not installed)."""
    if pyspark_missing():
        return None
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def driver_jvm_pid(spark: Any) -> int | None:
    """The process id of the driver's JVM (with a local master the executors are its threads), or None."""
    try:
        return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    except Exception:  # a gateway without java.lang.ProcessHandle: unknown
        return None


def cached_ids(spark: Any) -> set[int]:
    """The ids of the RDDs this session holds persisted (cached or locally checkpointed)."""
    return {int(k) for k in spark.sparkContext._jsc.getPersistentRDDs().keys()}


def release_cached(spark: Any, keep: set[int] = frozenset()) -> None:
    """Unpersist the RDDs this session holds but for those in ``keep`` (:func:`cached_ids` taken
    before a run: a finished run's checkpointed rounds and inputs go, anything of the user's
    stays), so that what runs next starts from an empty block store. Spark's warning that a
    local checkpoint cannot be recomputed once unpersisted (what is meant here) is kept at ERROR."""
    jvm = spark.sparkContext._jvm
    jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
        "org.apache.spark.rdd.MapPartitionsRDD", jvm.org.apache.logging.log4j.Level.ERROR)
    for key, rdd in list(spark.sparkContext._jsc.getPersistentRDDs().items()):
        if int(key) not in keep:
            rdd.unpersist(True)
