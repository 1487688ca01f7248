"""Start or join a SparkSession for a run.

Under ``spark-submit`` a session already exists (or its settings are in the
environment): :func:`start` joins it and changes only what a run needs (the
shuffle partitions, the checkpoint directory). Started by gnnprop itself, the
session gets the config's ``spark.master``, ``driver_memory`` and ``conf``.
What the JVM writes on stderr (its warnings, Spark's log) is kept off this process's stderr
unless ``verbose`` (Spark's log at WARN) or ``debug`` (at INFO); gnnprop says what matters itself.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

from ...config.schema import SparkConfig
from ...errors import UsageError
from . import pyspark_missing


def _java_missing() -> str | None:
    from .faults import java_home_problem

    home = os.environ.get("JAVA_HOME")
    if home:  # Spark's launcher runs $JAVA_HOME/bin/java, whatever the PATH has
        return java_home_problem()
    from shutil import which

    if which("java") is None:
        return "Java is not installed (Spark needs Java 17 or 21: install openjdk-17-jre-headless, or set JAVA_HOME)"
    return None


def start(cfg: SparkConfig, debug: bool = False, app_name: str = "gnnprop", verbose: bool = False) -> Any:
    """The SparkSession of this run (an existing one is joined)."""
    why = pyspark_missing() or _java_missing()
    if why:
        raise UsageError(f"the spark engine cannot start: {why}", key="engine")
    from pyspark.sql import SparkSession

    from .faults import check_checkpoint_dir, launch, quiet_task_failures, set_checkpoint_dir

    check_checkpoint_dir(cfg.checkpoint_dir)  # a local folder that cannot be: before the JVM starts
    if not debug:  # from the start: a signal while the JVM starts makes py4j log a traceback too
        _quiet_py4j()
    active = SparkSession.getActiveSession()
    if active is None:
        options: dict[str, str] = {"spark.app.name": app_name}
        if not _submitted() or cfg.master != "local[*]":
            options["spark.master"] = cfg.master
        options["spark.ui.showConsoleProgress"] = "false"
        if not debug and "spark.driver.extraJavaOptions" not in cfg.conf:
            log = os.path.join(os.path.dirname(__file__), "log4j2.properties")
            options["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log}"
        options["spark.sql.execution.arrow.pyspark.enabled"] = "true"
        if cfg.master.startswith("local"):
            # a local master needs no network interface: loopback, and no warning about choosing one
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if cfg.master.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
            # the Python workers (wide linear maps run there) are this Python, with gnnprop's
            # packages, not whatever python3 the PATH finds first
            os.environ["PYSPARK_PYTHON"] = sys.executable
        if cfg.master.startswith("local"):  # workers forked with torch imported (.daemon)
            options["spark.python.daemon.module"] = "gnnprop.engine.spark.daemon"
        if cfg.driver_memory:
            options["spark.driver.memory"] = cfg.driver_memory
        for key, value in cfg.conf.items():
            options[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
        before = _sigint()
        try:  # a start that fails says why in one line; Ctrl-C or SIGTERM during it leaves no JVM
            active = launch(options, cfg.master, submitted=_submitted(), verbose=verbose or debug)
        finally:
            _restore_sigint(before)
    # (under spark-submit the JVM's stderr is the terminal: its log is what can be kept quiet)
    active.sparkContext.setLogLevel("INFO" if debug else "WARN" if verbose else "ERROR")
    if not debug:
        _quiet_py4j()
        quiet_task_failures(active)
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
        set_checkpoint_dir(active, cfg.checkpoint_dir)
    if "spark.hadoop.parquet.page.verify-checksum.enabled" not in cfg.conf:  # Parquet read: pages' CRCs checked
        active.sparkContext._jsc.hadoopConfiguration().set("parquet.page.verify-checksum.enabled", "true")
    return active


def _sigint():
    try:
        return signal.getsignal(signal.SIGINT)
    except ValueError:  # pragma: no cover - not the main thread
        return None


def _restore_sigint(handler) -> None:
    """Put back the Ctrl-C handler PySpark replaces when it creates a SparkContext: PySpark's calls
    the JVM from inside the signal handler, which breaks the call the program was in (py4j raises
    "reentrant call"), and the cleanup after it. gnnprop's Ctrl-C (a KeyboardInterrupt) cancels the
    session's jobs itself before it removes what a run wrote."""
    if handler is None:
        return
    try:
        if signal.getsignal(signal.SIGINT) is not handler:
            signal.signal(signal.SIGINT, handler)
    except ValueError:  # pragma: no cover - not the main thread
        pass


class _NotPy4J(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}py4j{os.sep}" not in record.pathname


def _quiet_py4j() -> None:
    """py4j logs a traceback on the root logger when Ctrl-C interrupts a call into the JVM (or the JVM
    goes away); gnnprop says what happened in its one line instead (``--debug`` keeps py4j's)."""
    root = logging.getLogger()
    if not any(isinstance(f, _NotPy4J) for f in root.filters):
        root.addFilter(_NotPy4J())


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


def executor_infos(sc: Any) -> list[Any]:
    """Spark's ``SparkExecutorInfo`` of each executor the context has now (the driver too); none where
    Spark does not say (its JVM going away)."""
    try:
        return list(sc._jsc.sc().statusTracker().getExecutorInfos())
    except Exception:  # noqa: BLE001 - only for talk and waiting
        return []


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


class Interruptible:
    """Ctrl-C and SIGTERM during a Spark run, without breaking the call into the JVM the program is in.

    Python would raise ``KeyboardInterrupt`` in the middle of a py4j call: the JVM carries on with
    the command (a round's write that then makes its folder again after the run removed it), and
    the half-read connection can take the gateway with it. Here a signal is noted and a helper
    thread (its own py4j connection) cancels the session's jobs until the program notices: the
    call in flight then fails, :meth:`check` or :meth:`reraise` turn that into ``KeyboardInterrupt``
    (``Terminated`` for SIGTERM), and the cleanup after it runs on a sound connection, with no job
    left running. A second signal during the cleanup is noted too, not raised."""

    def __init__(self, spark: Any):
        self.spark = spark
        self.signals: list[int] = []
        self._old: dict[int, Any] = {}
        self._done = threading.Event()

    def __enter__(self) -> "Interruptible":
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                if callable(signal.getsignal(sig)):  # leave ignored signals ignored
                    self._old[sig] = signal.signal(sig, self._noted)
        except ValueError:  # not the main thread: signals are not ours to take
            pass
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        self._done.set()
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        signalled = self.stopped()
        if signalled is not None and exc is not None and not isinstance(exc, KeyboardInterrupt):
            raise signalled from None  # the cancelled job's error is the interruption
        return False  # a signal after the last job: the run is complete, and ends as such

    def _noted(self, signum, frame) -> None:  # noqa: ARG002
        first = not self.signals
        self.signals.append(signum)
        if first:
            threading.Thread(target=self._cancel, name="gnnprop-spark-cancel", daemon=True).start()

    def _cancel(self) -> None:
        try:  # the run is ending: the killed tasks and aborted writes are what was asked for, not errors
            jvm = self.spark.sparkContext._jvm
            for name in ("org.apache.spark", "org.apache.hadoop", "org.apache.parquet"):  # Hadoop's Shell, committer
                jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
                    name, jvm.org.apache.logging.log4j.Level.OFF)
        except Exception:  # noqa: BLE001 - only quieter
            pass
        while not self._done.is_set():
            try:
                self.spark.sparkContext.cancelAllJobs()
            except Exception:  # noqa: BLE001 - the JVM is going away: nothing left to cancel
                return
            self._done.wait(0.2)

    def stopped(self) -> BaseException | None:
        if not self.signals:
            return None
        from ..._signals import Terminated

        return Terminated() if self.signals[0] == signal.SIGTERM else KeyboardInterrupt()

    def check(self) -> None:
        """Raise the noted signal's exception, if one came."""
        exc = self.stopped()
        if exc is not None:
            raise exc

    def quiet(self) -> None:
        """Stop cancelling (the run is over or cleaning up): what runs now must finish."""
        self._done.set()
