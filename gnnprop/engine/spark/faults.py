"""Spark's faults in one line each: the JVM's errors, a session that does not start, a stopped start.

A failure inside Spark reaches Python as a py4j or PySpark exception whose text is hundreds of
lines (the Python frames, py4j's, the JVM's stack), and Spark's own log repeats it on stderr.
gnnprop says it once instead:

- :func:`java_error` turns such an exception into one :class:`~gnnprop.errors.GnnpropError`:
  a full disk, a read-only file system or a refused permission named as such, with the output
  being written; any other failure as what Spark said (its error class's message) and the
  deepest cause, with what gnnprop was doing. The CLI's one handler calls it (through
  ``cli.faults.translate``); nothing else needs to.
- :func:`quiet_task_failures` keeps Spark's logs of a failed task (each with its Java stack)
  off stderr, since the one line says it (``--debug`` keeps them).
- :func:`launch` starts the JVM with its stderr through a pipe: kept while it starts, so that a
  start that fails says why in its one line (a bad JVM option, a master that is not there), then
  passed through. Ctrl-C or SIGTERM while it starts kills the JVM this process started (by
  process id: the children that appeared during the start), so no ``java`` is left running.
- :func:`check_checkpoint_dir` and :func:`java_home_problem` refuse, before the JVM starts, what
  would only fail inside it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from ...errors import ConfigError, GnnpropError, InputError, RunError

#: Causes that are the machine's, not Spark's: said in their own words, with the output.
SYSTEM_CAUSES = (
    ("no space left on device", "no space left on device"),
    ("disk quota exceeded", "disk quota exceeded"),
    ("read-only file system", "read-only file system"),
    ("accessdeniedexception", "permission denied"),
    ("permission denied", "permission denied"),
)

#: Spark's loggers that report a failed task or job with its whole stack (the one line says it).
TASK_FAILURE_LOGGERS = (
    "org.apache.spark.executor.Executor",
    "org.apache.spark.scheduler.TaskSetManager",
    "org.apache.spark.scheduler.DAGScheduler",
    "org.apache.spark.util.Utils",
    "org.apache.spark.sql.execution.datasources.FileFormatWriter",
    "org.apache.spark.sql.execution.datasources.FileFormatDataWriter",
    "org.apache.spark.internal.io.SparkHadoopWriter",
    "org.apache.spark.mapred.SparkHadoopMapRedUtil",
    "org.apache.hadoop.mapreduce.lib.output.FileOutputCommitter",
    "org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat",
    "org.apache.spark.storage.BlockManager",  # "Putting block ... failed due to exception ..."
)

MAX_PART = 240

#: The stderr of the JVM this process started (:func:`launch`), for what it said before it went away.
JVM_STDERR: list[Any] = [None]


# --- before the JVM starts -------------------------------------------------------------------------------------


def java_home_problem() -> str | None:
    """Why ``JAVA_HOME`` (when set) cannot start Spark: Spark's launcher runs ``$JAVA_HOME/bin/java``,
    whatever ``java`` the PATH has."""
    home = os.environ.get("JAVA_HOME")
    if not home:
        return None
    java = os.path.join(home, "bin", "java")
    if not os.path.isfile(java):
        return (f"JAVA_HOME is {home}, which has no bin/java; set JAVA_HOME to a Java 17 or 21 installation "
                "(or unset it to use the java on the PATH)")
    if not os.access(java, os.X_OK):
        return f"JAVA_HOME's {java} is not executable"
    return None


def _local_path(path: str) -> str | None:
    """The local path a Hadoop path names (plain or ``file:``), else None (hdfs://, s3a://, ...)."""
    if path.startswith("file://"):
        return path[len("file://"):] or "/"
    if path.startswith("file:"):
        return path[len("file:"):]
    return None if "://" in path else path


def why_local_folder_fails(path: str) -> str | None:
    """Why a local folder cannot be made or written at ``path``: a file where a folder must be, a
    read-only file system, a refused permission (None: it can, as far as can be told)."""
    local = _local_path(path)
    if local is None:
        return None
    p = os.path.abspath(local)
    while not os.path.lexists(p):
        p = os.path.dirname(p)
    if not os.path.isdir(p):
        return f"{p} is a file, not a folder"
    if os.access(p, os.W_OK | os.X_OK):
        return None
    try:
        if os.statvfs(p).f_flag & os.ST_RDONLY:
            return f"{p} is on a read-only file system"
    except OSError:
        pass
    return f"cannot write in {p}: permission denied"


def check_checkpoint_dir(path: str | None) -> None:
    """Refuse a local ``spark.checkpoint_dir`` that cannot be a folder, before Spark starts."""
    if not path:
        return
    why = why_local_folder_fails(path)
    if why:
        raise ConfigError(f"{path}: {why}", key="spark.checkpoint_dir")


def set_checkpoint_dir(spark: Any, path: str) -> None:
    """``setCheckpointDir``, its failure one line naming the setting."""
    try:
        spark.sparkContext.setCheckpointDir(path)
    except Exception as e:  # noqa: BLE001 - the JVM's error, said once
        cause = _root_text(e) or _first(_text(e)) or type(e).__name__
        raise ConfigError(f"{path}: cannot make the checkpoint folder: {cause}", key="spark.checkpoint_dir") \
            from None


def quiet_task_failures(spark: Any) -> None:
    """Keep the logs of failed tasks and jobs (a Java stack each) off stderr: gnnprop's one line says it."""
    try:
        jvm = spark.sparkContext._jvm
        off = jvm.org.apache.logging.log4j.Level.OFF
        for name in TASK_FAILURE_LOGGERS:
            jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(name, off)
    except Exception:  # noqa: BLE001 - only quieter
        pass


# --- the JVM's errors ----------------------------------------------------------------------------------------------


def _java_chain(throwable: Any, limit: int = 24) -> list[tuple[str, str]]:
    """``(class name, message)`` of a Java throwable and its causes, outermost first."""
    chain: list[tuple[str, str]] = []
    seen = set()
    try:
        while throwable is not None and len(chain) < limit:
            key = throwable.hashCode()
            if key in seen:
                break
            seen.add(key)
            message = throwable.getMessage()
            chain.append((str(throwable.getClass().getName()), "" if message is None else str(message)))
            throwable = throwable.getCause()
    except Exception:  # noqa: BLE001 - the JVM went away while we asked: what we have
        pass
    return chain


def _text(e: BaseException) -> str:
    """``str(e)``, which for py4j's errors asks the JVM (gone, it raises in turn)."""
    try:
        return str(e)
    except Exception:  # noqa: BLE001
        return ""


def _throwable(e: BaseException) -> Any:
    return getattr(e, "java_exception", None) or getattr(e, "_origin", None)


def _first(text: str) -> str:
    line = next((ln.strip() for ln in text.strip().splitlines() if ln.strip()), "")
    return line if len(line) <= MAX_PART else line[:MAX_PART - 1] + "…"


def _clean(message: str) -> str:
    """A Spark error-class message without its class and SQLSTATE: ``[FAILED_READ_FILE.NO_HINT] Encountered
    error while reading file x. SQLSTATE: KD001`` -> ``Encountered error while reading file x``."""
    text = _first(message)
    if text.startswith("[") and "] " in text:
        text = text.split("] ", 1)[1]
    return text.split(" SQLSTATE: ")[0].strip().rstrip(".")


def _root_text(e: BaseException) -> str:
    chain = _java_chain(_throwable(e))
    if not chain:
        return ""
    name, message = chain[-1]
    return f"{name.rsplit('.', 1)[-1]}: {_first(message)}" if message else name.rsplit(".", 1)[-1]


#: Spark's error when a local checkpoint's block went with its executor (a worker lost).
LOST_CHECKPOINT = "checkpoint_rdd_block_id_not_found"


def executor_lost(e: BaseException) -> bool:
    """Whether ``e`` is Spark failing because an executor, and the local checkpoints it held, was lost: the
    run's data is sound, and the rounds written before it can be continued (``--resume``)."""
    if not (type(e).__module__ or "").startswith(("py4j", "pyspark")):
        return False
    return any(LOST_CHECKPOINT in m.lower() for _, m in _java_chain(_throwable(e)))


def _went_away(doing: str) -> RunError:
    """The driver's JVM is gone: why, where its own last words (kept off stderr) say so."""
    said = JVM_STDERR[0].tail() if JVM_STDERR[0] is not None else []
    oom = next((ln.strip() for ln in reversed(said) if "OutOfMemoryError" in ln), None)
    if oom:
        cause = oom[oom.index("java.lang.OutOfMemoryError"):] if "java.lang.OutOfMemoryError" in oom else oom
        return RunError(f"Spark's JVM ran out of memory while {doing} ({_first(cause)}): raise spark.driver_memory")
    return RunError(f"Spark's JVM went away while {doing} (killed, or out of memory: see spark.driver_memory)")


def java_error(e: BaseException, doing: str, output: str | None = None) -> GnnpropError | None:
    """One line for an exception from Spark (py4j's, PySpark's); ``None`` for any other exception.

    ``doing`` says what gnnprop was doing ("computing round 3"); ``output`` is the output being
    written, if any (:func:`gnnprop.cli.faults.writing`)."""
    module = type(e).__module__ or ""
    if not module.startswith(("py4j", "pyspark")):
        return None
    name = type(e).__name__
    if name in ("Py4JNetworkError",) or (name == "Py4JError" and _throwable(e) is None):
        return _went_away(doing)
    chain = _java_chain(_throwable(e))
    if not chain:  # a Python-side PySpark error, or a worker's Python exception
        if name == "Py4JJavaError":  # its JVM no longer answers
            return _went_away(doing)
        return RunError(f"Spark failed while {doing}: {_first(_text(e)) or name}")
    texts = " ".join(m for _, m in chain).lower() + " " + " ".join(c for c, _ in chain).lower()
    if LOST_CHECKPOINT in texts:
        return RunError(f"Spark lost an executor while {doing}, and the rounds it held (local checkpoints) with it; "
                        "set spark.checkpoint_dir to a folder every executor reaches (HDFS, S3, a shared mount) "
                        "and Spark runs a lost executor's tasks again")
    for needle, said in SYSTEM_CAUSES:
        if needle in texts:
            return RunError(f"{said} writing {output}" if output else f"{said} while {doing}")
    if output and any("mkdirs failed" in m.lower() or "failed to create" in m.lower() for _, m in chain):
        why = why_local_folder_fails(output.rstrip("/"))
        return RunError(f"cannot write {output}: {why or _first(chain[-1][1])}")
    top = next((_clean(m) for _, m in chain if m.startswith("[")), None)
    cls, message = chain[-1]
    root = f"{cls.rsplit('.', 1)[-1]}: {_first(message)}" if message else cls.rsplit(".", 1)[-1]
    said = root if top is None or top in root else f"{top}: {root}"
    kind = InputError if any("FAILED_READ_FILE" in m or "reading file" in m for _, m in chain) else RunError
    return kind(f"Spark failed while {doing}: {said}")


# --- starting the JVM ---------------------------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    """The process ids of ``pid``'s descendants (Linux /proc; empty elsewhere)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = {int(k) for k in f.read().split()}
            except (OSError, ValueError):
                continue
            for k in kids - found:
                found.add(k)
                todo.append(k)
    return found


def _kill(pids: set[int]) -> None:
    """SIGKILL ``pids`` (processes this one started) and reap those that are its children."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child (a grandchild): gone once killed
                break
            if done:
                break
            time.sleep(0.02)


class _JvmStderr:
    """The JVM's stderr, read from a pipe: kept while Spark starts (the reason, if it fails); then, with
    ``verbose``, written through to this process's stderr line by line, else kept off it: only its last
    lines are held, to say why if the JVM dies (its warnings, an interrupted thread's stack, Hadoop's
    "Could not delete ..." are not the user's business once gnnprop says what happened in one line)."""

    TAIL = 200  # lines held once started, when not passed through

    def __init__(self, fd: int, verbose: bool = False):
        self.fd, self.verbose = fd, verbose
        self.kept: list[bytes] = []
        self.mode = "keep"  # keep | pass | tail | drop
        self.lock = threading.Lock()
        self.closed = threading.Event()
        threading.Thread(target=self._read, name="gnnprop-spark-stderr", daemon=True).start()

    def _read(self) -> None:
        pending = b""
        try:
            while chunk := os.read(self.fd, 65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._line(line + b"\n")
            if pending:
                self._line(pending)
        except OSError:
            pass
        finally:
            self.closed.set()
            try:
                os.close(self.fd)
            except OSError:
                pass

    def _line(self, line: bytes) -> None:
        with self.lock:
            if self.mode == "keep":
                self.kept.append(line)
            elif self.mode == "tail":
                self.kept.append(line)
                if len(self.kept) > 2 * self.TAIL:
                    del self.kept[:-self.TAIL]
            elif self.mode == "pass":
                _write_stderr(line)

    def started(self) -> None:
        with self.lock:
            if self.verbose:
                for line in self.kept:
                    _write_stderr(line)
                self.kept, self.mode = [], "pass"
            else:
                self.kept, self.mode = self.kept[-self.TAIL:], "tail"

    def drop(self) -> None:
        with self.lock:
            self.kept, self.mode = [], "drop"

    def tail(self) -> list[str]:
        """The last lines the JVM wrote and did not pass through (none with ``verbose``)."""
        with self.lock:
            return [ln.decode("utf-8", "replace").rstrip("\n") for ln in self.kept[-self.TAIL:]]

    def reason(self, wait: float = 5.0) -> str:
        """What the JVM (or Spark's launcher) said before it exited, in one line."""
        self.closed.wait(wait)
        with self.lock:
            text = b"".join(self.kept).decode("utf-8", "replace")
            self.mode = "drop"
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("WARNING:")
                 and not ln.lstrip().startswith(("at ", "... ", "Caused by:", "Suppressed:"))]
        errors = [ln.split(" ERROR ", 1)[1] for ln in lines if " ERROR " in ln]
        if errors:  # Spark's log: its last error (its logger's name dropped)
            said = errors[-1].split(": ", 1)[-1]
        else:  # the JVM or Spark's launcher, before any log
            said = "; ".join(ln.rstrip(".") for ln in dict.fromkeys(lines) if " WARN " not in ln
                             and " INFO " not in ln and "bad array subscript" not in ln)
        return said if len(said) <= 2 * MAX_PART else said[:2 * MAX_PART - 1] + "…"


def _write_stderr(data: bytes) -> None:
    try:
        os.write(2, data)
    except OSError:
        pass


def launch(options: dict[str, str], master: str, submitted: bool, verbose: bool = False) -> Any:
    """A new SparkSession with ``options`` (``spark.master``, ``spark.app.name`` and the rest).

    Under ``spark-submit`` (``submitted``) the JVM is spark-submit's: the session is made in it.
    Otherwise the JVM is started here, its stderr through :class:`_JvmStderr`, and a failure to
    start says what the JVM said; once started, what the JVM writes on stderr (its warnings, Spark's
    log) reaches this process's stderr only when ``verbose``."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    if submitted:
        try:
            return builder.getOrCreate()
        except Exception as e:  # noqa: BLE001 - the master is not there, ...: one line
            raise RunError(f"spark.master {master}: cannot start Spark: {_root_text(e) or _first(_text(e))}") \
                from None
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf()
    for key, value in options.items():
        conf.set(key, value)
    before = _children(os.getpid())
    r, w = os.pipe()
    stderr = _JvmStderr(r, verbose)
    gateway = None
    try:
        try:
            gateway = launch_gateway(conf, popen_kwargs={"stderr": w})
        finally:
            os.close(w)
        SparkContext(conf=conf, gateway=gateway)
        session = builder.getOrCreate()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM while Spark starts: no JVM left behind, no Java stack
        stderr.drop()
        _kill(_children(os.getpid()) - before)
        raise
    except Exception as e:  # noqa: BLE001 - did not start: say why, in one line
        said = stderr.reason(wait=5.0 if gateway is None else 0.5)
        _kill(_children(os.getpid()) - before)
        if gateway is None and said:  # the JVM never answered: what it said is the reason
            raise RunError(f"spark.master {master}: cannot start Spark: the JVM exited: {said}") from None
        why = (_root_text(e) if gateway is not None else "") or _first(_text(e))
        text = f"{why} ({said})" if why and said else why or said or type(e).__name__
        raise RunError(f"spark.master {master}: cannot start Spark: {text}") from None
    stderr.started()
    JVM_STDERR[0] = stderr
    return session
