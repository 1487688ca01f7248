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

from .spark_tools import skip_reason

REASON = skip_reason()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

ENV = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable, "COLUMNS": "100",
       "TERM": "xterm"}
GNNPROP = [sys.executable, "-m", "gnnprop"]
KARATE = os.path.join(os.path.dirname(__file__), "..", "sample_graphs", "karate.csv")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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


def test_on_a_terminal_a_spark_run_says_what_it_does_from_the_start(tmp_path):
    """Side by side: a run with stderr on a terminal, and one with --verbose into a pipe. The terminal
    gets a status while no line is due (checking, starting Spark, reading, the round under way), the
    lines of the graph and of each round, and a summary naming what its times cover; no JVM warning.
    The pipe gets plain lines only, and with --verbose the JVM's own words too."""
    verbose = subprocess.Popen([*GNNPROP, "run", KARATE, "--engine", "spark", "--spark-master", "local[1]",
                                "--rounds", "1", "-o", "verbose/", "--verbose"], cwd=tmp_path, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        code, chunks, out = _on_a_terminal(["run", KARATE, "--engine", "spark", "--spark-master", "local[1]",
                                            "--rounds", "2", "-o", "rounds/"], tmp_path)
        v_out, v_err = verbose.communicate(timeout=300)
    finally:
        if verbose.poll() is None:
            verbose.kill()
            verbose.wait()
    assert code == 0 and out == ""
    seen = "".join(text for _, text in chunks)
    plain = ANSI.sub("", seen).replace("\r\n", "\n")
    statuses = ["gnnprop: spark: checking the config and the files ...",
                "gnnprop: spark: starting Spark (local[1]) ...",
                "gnnprop: spark: Spark started in ", "; reading ",
                "gnnprop: spark: round 1 of 2 ...", "gnnprop: spark: round 2 of 2 ..."]
    at = [plain.find(s) for s in statuses]
    assert -1 not in at and at == sorted(at), (at, plain)
    first = next(t for t, text in chunks if "checking the config" in text)
    assert chunks[0][0] <= first  # the status is the first thing said (its time: see the report)
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
    assert verbose.returncode == 0 and v_out == ""
    assert "\x1b" not in v_err and "..." not in v_err  # a pipe: no status
    assert "WARNING: Using incubator modules: jdk.incubator.vector" in v_err
    assert "gnnprop: spark: round 1: " in v_err and "gnnprop: wrote verbose/ (a run folder, 1 round run)" in v_err

