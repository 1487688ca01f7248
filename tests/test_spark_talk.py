"""A Spark run talks like the local one, through the real command line (a process of its own: the JVM's
stderr is that process's): cheap checks before the JVM starts; on a terminal a status from the
first words on (checking, starting Spark, reading, the round under way), a line a round, a summary
that says what its times cover; the JVM's own warnings only with ``--verbose``.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from .spark_tools import skip_reason, spark_env

REASON = skip_reason()
spark = [pytest.mark.spark, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

ENV = spark_env(COLUMNS="100", TERM="xterm")
GNNPROP = [sys.executable, "-m", "gnnprop"]
KARATE = os.path.join(os.path.dirname(__file__), "..", "sample_graphs", "karate.csv")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@spark[0]
@spark[1]
def test_a_refused_output_folder_starts_no_jvm(tmp_path):
    """An -o folder holding other files is refused before Spark is even imported: one line, exit 2, no
    JVM warning (nothing of pyspark or py4j was loaded)."""
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine\n")
    probe = ("import sys\nfrom gnnprop.cli.app import main\nsys.argv = ['gnnprop', *sys.argv[1:]]\n"
             "try:\n    main()\nexcept SystemExit as e:\n"
             "    print(e.code, sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')))\n")
    proc = subprocess.run([sys.executable, "-c", probe, "run", KARATE, "--engine", "spark", "-o",
                           f"{tmp_path / 'taken'}/"], capture_output=True, text=True, timeout=120, env=ENV)
    assert proc.stdout == "2 []\n"
    assert proc.stderr == (f"gnnprop: error: --output: the folder {tmp_path / 'taken'} holds other files "
                           "(notes.txt); name a new or empty folder, or one written by gnnprop\n")
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine\n"


def _on_a_terminal(args: list, cwd) -> tuple[int, list[tuple[float, str]], str]:
    """``gnnprop ARGS`` with stderr on a pseudo-terminal (stdout a pipe): the exit code, what the terminal
    got as (seconds since the start, text) chunks, and stdout."""
    master, slave = pty.openpty()
    t0 = time.monotonic()
    proc = subprocess.Popen([*GNNPROP, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env=ENV, cwd=cwd)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the terminal's other end closed: the process is done
                    break
                if not data:
                    break
                chunks.append((time.monotonic() - t0, data.decode("utf-8", "replace")))
            elif proc.poll() is not None:
                break
        out = proc.stdout.read().decode()
        return proc.wait(timeout=120), chunks, out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_config_asking_for_spark_that_is_refused_leaves_no_status_behind(tmp_path):
    """A config file that asks for Spark gets the status as soon as the command starts (before its checks);
    when a check refuses it, the status is gone before the one line that says why (no JVM is started)."""
    config = tmp_path / "spark.yaml"
    config.write_text("engine: spark\nlayer: {type: fixed}\naggr: maximum\n")
    code, chunks, out = _on_a_terminal(["run", KARATE, "-c", str(config)], tmp_path)
    assert code == 2 and out == ""
    plain = ANSI.sub("", "".join(text for _, text in chunks)).replace("\r\n", "\n")
    assert "gnnprop: spark: checking the config and the files ..." in plain, plain
    error = plain.index(f"gnnprop: error: {config}: aggr:")  # (a terminal's error is wrapped at its width)
    assert "unknown aggregation 'maximum'" in plain[error:], plain
    assert "checking" not in plain[error:] and error > plain.rindex("checking the config and the files ..."), plain


@spark[0]
@spark[1]
def test_on_a_terminal_a_spark_run_says_what_it_does_from_the_start(tmp_path):
    """A run with stderr on a terminal gets a status while no line is due (checking, starting Spark,
    reading, the round under way), the lines of the graph and of each round, and a summary naming what
    its times cover; no JVM warning (``--verbose`` passes them: see the tests below)."""
    code, chunks, out = _on_a_terminal(["run", KARATE, "--engine", "spark", "--spark-master", "local[1]",
                                        "--rounds", "2", "-o", "rounds/"], tmp_path)
    assert code == 0 and out == ""
    seen = "".join(text for _, text in chunks)
    plain = ANSI.sub("", seen).replace("\r\n", "\n")
    statuses = ["gnnprop: spark: starting Spark (local[1]) ...",
                "gnnprop: spark: Spark started in ", "; reading ",
                "gnnprop: spark: round 1 of 2 ...", "gnnprop: spark: round 2 of 2 ..."]
    at = [plain.find(s) for s in statuses]
    assert -1 not in at and at == sorted(at), (at, plain)
    # the first thing said is a status, checking, drawn before the config's checks import torch (2 s) and
    # long before Spark starts
    first = ANSI.sub("", next(text for _, text in chunks if ANSI.sub("", text).strip()))
    assert "gnnprop: spark: checking the config and the files ..." in first, first
    lines = [ln.split("\r")[-1].strip() for ln in plain.splitlines()]
    said = [ln for ln in lines if ln.startswith("gnnprop: ") and not ln.endswith("...")]
    assert said[0].startswith("gnnprop: spark: local[1]: 34 nodes, 156 edges, 1 feature read in ")
    assert re.fullmatch(r"gnnprop: spark: round 1: \d+\.\d\d s, 34 rows", said[1]), said
    assert re.fullmatch(r"gnnprop: spark: round 2: \d+\.\d\d s, 34 rows", said[2]), said
    assert said[3] == "gnnprop: wrote rounds/ (a run folder, 2 rounds run)"
    summary = " ".join(ln for ln in lines if ln and not ln.startswith("gnnprop: ") and "⠋" not in ln)
    assert "2 rounds computed in " in summary, summary
    assert re.search(r"Spark started in [0-9.]+ s, graph read in [0-9.]+ s; [0-9.]+ s in all \(start, read, "
                     r"rounds, writing\)", summary), summary
    assert "WARN" not in plain and "incubator" not in plain


@pytest.mark.parametrize("flags, passed", [([], False), (["--verbose"], True), (["--debug"], True)])
def test_verbose_reaches_the_jvms_stderr(monkeypatch, tmp_path, flags, passed):
    """``run --verbose`` (and ``gnnprop --debug``) is what lets the JVM's stderr through (:func:`launch`'s
    ``verbose``), in a pipe too; a joined session (spark-submit's) gets Spark's log level instead."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from gnnprop.engine.spark import faults

    from .clitools import cli

    seen = {}

    def launch(options, master, submitted, verbose=False):
        seen["verbose"] = verbose
        raise faults.RunError("stopped here: the test saw what Spark would be started with")

    monkeypatch.setattr(faults, "launch", launch)
    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    debug = ["--debug"] if "--debug" in flags else []
    got = cli(*debug, "run", KARATE, "--engine", "spark", "--rounds", "1", "-f", "csv",
              *[f for f in flags if f != "--debug"])
    assert got.code == 1 and got.stdout == ""
    assert "stopped here: the test saw what Spark would be started with" in got.stderr
    assert seen == {"verbose": passed}



# --- the parts, without a JVM ------------------------------------------------------------------------------------


def _jvm_stderr(verbose: bool, capfd) -> tuple[str, list[str]]:
    """What :class:`_JvmStderr` lets through of a JVM's start-up line and its later lines, and what it holds."""
    from gnnprop.engine.spark.faults import _JvmStderr

    r, w = os.pipe()
    pipe = _JvmStderr(r, verbose)
    os.write(w, b"WARNING: Using incubator modules: jdk.incubator.vector\n")
    time.sleep(0.2)
    pipe.started()
    os.write(w, b"07:00:01 WARN Shell: Interrupted while joining on: Thread[Thread-58,5,main]\n"
                b"java.lang.InterruptedException\n\tat java.base/java.lang.Object.wait(Native Method)\n")
    os.close(w)
    assert pipe.closed.wait(5)
    return capfd.readouterr().err, pipe.tail()


def test_the_jvms_stderr_is_kept_off_stderr_unless_verbose(capfd):
    err, held = _jvm_stderr(False, capfd)
    assert err == ""
    assert held == ["WARNING: Using incubator modules: jdk.incubator.vector",
                    "07:00:01 WARN Shell: Interrupted while joining on: Thread[Thread-58,5,main]",
                    "java.lang.InterruptedException", "\tat java.base/java.lang.Object.wait(Native Method)"]
    err, held = _jvm_stderr(True, capfd)
    assert err.splitlines()[0] == "WARNING: Using incubator modules: jdk.incubator.vector"
    assert err.splitlines()[2] == "java.lang.InterruptedException" and held == []


class _Throwable:
    """A stand-in for a py4j proxy of a Java throwable: its class name, message and cause."""

    def __init__(self, name: str, message: str, cause=None):
        self.name, self.message, self.cause = name, message, cause

    def hashCode(self):  # noqa: N802 - Java's names
        return id(self)

    def getMessage(self):  # noqa: N802
        return self.message

    def getClass(self):  # noqa: N802
        return type("C", (), {"getName": lambda _: self.name})()

    def getCause(self):  # noqa: N802
        return self.cause


def _py4j_error(throwable) -> Exception:
    kind = type("Py4JJavaError", (Exception,), {"__module__": "py4j.protocol"})
    e = kind("An error occurred while calling o123.parquet")
    e.java_exception = throwable
    return e


def test_a_lost_local_checkpoint_says_to_set_a_checkpoint_dir():
    from gnnprop.engine.spark.faults import executor_lost, java_error

    lost = _py4j_error(_Throwable("org.apache.spark.SparkException", "Job aborted due to stage failure",
                                  _Throwable("org.apache.spark.SparkException", "[CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND] "
                                             "Checkpoint block rdd_86_1 not found! Either the executor ...")))
    assert executor_lost(lost)
    err = java_error(lost, "writing round 3 to out/", "out/")
    assert err.exit_code == 1
    assert err.message == ("Spark lost an executor while writing round 3 to out/, and the rounds it held (local "
                           "checkpoints) with it; set spark.checkpoint_dir to a folder every executor reaches (HDFS, "
                           "S3, a shared mount) and Spark runs a lost executor's tasks again")
    other = _py4j_error(_Throwable("java.io.IOException", "FAILED_TO_UNCOMPRESS(5)"))
    assert not executor_lost(other) and not executor_lost(ValueError("CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND"))


def test_talk_says_a_lost_executor_and_shows_each_round_under_way(capsys):
    from gnnprop.cli.env import Env
    from gnnprop.cli.runner import Talk

    talk = Talk(Env(stdout_isatty=False, stderr_isatty=False, color=False, width=80))
    shown = []
    talk._show = shown.append  # what a terminal's status would show
    talk("checking")
    talk("read", master="spark://m:7077", nodes=40, edges=163, width=12, seconds=2.5, start_seconds=4.25,
         plan="2 rounds (static)", max_rounds=2)
    talk("lost", round=1, executors=["127.0.0.1:41234"])
    talk("round", round=1, seconds=1.5, rows=40, delta=None)
    talk("lost", round=2, executors=["10.0.0.7:1", "10.0.0.8:2"])
    talk("round", round=2, seconds=0.75, rows=40, delta=0.125)
    assert shown == ["gnnprop: spark: checking the config and the files ...", "gnnprop: spark: round 1 of 2 ...",
                     "gnnprop: spark: round 2 of 2 ..."]
    assert capsys.readouterr().err.splitlines() == [
        "gnnprop: spark: spark://m:7077: 40 nodes, 163 edges, 12 features read in 2.5 s (Spark started in 4.2 s); "
        "2 rounds (static)",
        "gnnprop: spark: round 1: an executor was lost (127.0.0.1:41234); Spark ran its tasks again on the others",
        "gnnprop: spark: round 1: 1.50 s, 40 rows",
        "gnnprop: spark: round 2: 2 executors were lost (10.0.0.7:1, 10.0.0.8:2); Spark ran their tasks again on "
        "the others",
        "gnnprop: spark: round 2: 0.75 s, 40 rows, max change 0.125"]


def test_the_summary_of_a_spark_run_says_what_its_times_cover():
    from gnnprop.cli.views import summary_fields

    meta = {"layer": "fixed", "aggr": "max", "stop_reason": "2 rounds (static)", "rounds_run": 2, "seconds": 1.25,
            "num_nodes": 34, "num_edges": 156, "device": "spark local[2]", "dtype": "float32", "engine": "spark",
            "reorder": "none", "reorder_note": "", "start_seconds": 9.5, "read_seconds": 4.0}
    fields = summary_fields(meta, 16.75)
    assert fields[1] == "2 rounds computed in 1.25 s"
    assert fields[-1] == "Spark started in 9.5 s, graph read in 4 s; 16.8 s in all (start, read, rounds, writing)"
    assert summary_fields(meta)[-1] == "Spark started in 9.5 s, graph read in 4 s"
    # how the rounds ran, and why row by row
    why = "156 edges < 200,000: laying out blocks costs more than it saves"
    assert summary_fields({**meta, "blocks": None, "exchange": "rows", "exchange_why": why})[-1] == \
        f"rounds row by row (a join and a groupBy each; {why})"
    assert summary_fields({**meta, "blocks": 2, "exchange": "shuffle", "exchange_why": "..."})[-1] == \
        "rounds in 2 blocks, the rows they read by shuffle"


def test_a_driver_jvm_that_ran_out_of_memory_says_so(monkeypatch):
    """The JVM's last words, kept off stderr, still say why it went away."""
    from gnnprop.engine.spark import faults

    class Said:
        def tail(self):
            return ["07:00:02 WARN TaskMemoryManager: Failed to allocate a page", 'Exception in thread "main" '
                    "java.lang.OutOfMemoryError: Java heap space", "\tat java.base/java.util.Arrays.copyOf(...)"]

    gone = type("Py4JNetworkError", (Exception,), {"__module__": "py4j.protocol"})("Answer from Java side is empty")
    monkeypatch.setattr(faults, "JVM_STDERR", [Said()])
    assert faults.java_error(gone, "computing round 2").message == (
        "Spark's JVM ran out of memory while computing round 2 (java.lang.OutOfMemoryError: Java heap space): "
        "raise spark.driver_memory")
    monkeypatch.setattr(faults, "JVM_STDERR", [None])
    assert faults.java_error(gone, "computing round 2").message == (
        "Spark's JVM went away while computing round 2 (killed, or out of memory: see spark.driver_memory)")
