"""``gnnprop bench --engine spark``: Spark against gnnprop's engine on one tiny graph, through the real CLI.

Two CLI runs use Spark (JSON from a pipe; a table on a terminal, joining a session); the rest (refusals, the
agreement check, the node table) needs no Spark. The Spark runs are skipped, with the reason,
where pyspark or Java 17+ is missing.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from gnnprop.bench.spark import compare, spark_cases, write_node_csv

from .clitools import cli, fails
from .spark_tools import skip_reason

REASON = skip_reason()
needs_spark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

TINY = ("--engine", "spark", "--num-nodes", "300", "--num-edges", "1500", "--num-features", "3", "--rounds", "2", "--repeat", "1",
        "--spark-master", "local[2]")


@pytest.fixture(scope="module")
def spark_json():
    """One bench run: two cases (max: bit-exact; nn/mean: within 1e-12), JSON on a pipe."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from gnnprop.engine.spark.session import active

    joined = active() is not None  # another Spark test module's session, if it ran first
    out = cli("bench", *TINY, "--cases", "fixed/max,nn/mean")
    assert out.code == 0, out.stderr
    out.joined = joined
    return out


@pytest.mark.spark
@needs_spark
def test_json_schema_and_agreement(spark_json):
    r = json.loads(spark_json.stdout)
    assert r["schema"] == 1 and r["engine"] == "spark" and r["repeat"] == 1
    assert r["graph"] == {"kind": "uniform", "file": None, "nodes": 300, "edges": 1500, "features": 3, "seed": 0,
                          "simple": True, "csv_mb": r["graph"]["csv_mb"], "nodes_csv_mb": r["graph"]["nodes_csv_mb"]}
    s = r["spark"]
    assert s["master"] == "local[2]" and s["partitions"] == 2 and s["dtype"] == "float64" and s["rounds"] == 2
    assert s["version"].startswith("4.") and s["session_start_s"] > 0 and s["first_job_s"] > 0
    assert s["joined"] is spark_json.joined and s["load_s"] > 0 and s["local_load_s"] > 0
    assert s["executors_peak_mb"] is None and "local master" in s["executors"]
    if sys.platform == "linux":  # the JVM is a child of this process: its /proc is readable
        assert isinstance(s["jvm"]["pid"], int) and s["jvm"]["start_mb"] > 0
        assert s["jvm"]["peak_mb"] > 0 and all(c["peak_mb"]["jvm"] > 0 for c in s["cases"])
    assert [c["case"] for c in s["cases"]] == ["fixed/max", "nn/mean"]
    for c in s["cases"]:
        assert c["agree"] is True, c
        assert len(c["rounds_s"]) == 2 and all(t > 0 for t in c["rounds_s"])
        assert c["round_median_s"] > 0 and c["load_s"] > 0 and c["collect_s"] > 0 and c["ratio"] > 0
        assert set(c["peak_mb"]) == {"driver", "jvm"} and c["load_ratio"] > 0
        lo = c["local"]
        assert lo["engine"] == "fused" and len(lo["rounds_s"]) == 2 and lo["load_s"] > 0 and lo["round_median_s"] > 0
        assert set(lo) >= {"reorder", "prepare_s", "peak_mb"}
        assert len(c["runs"]) == 1 and c["runs"][0]["rounds_s"] == c["rounds_s"]
    fixed_max, nn_mean = s["cases"]
    assert fixed_max["check"] == "bit-exact" and fixed_max["max_abs_diff"] == 0.0 and fixed_max["rel_diff"] == 0.0
    assert nn_mean["check"] == "1e-12 norm-wise" and nn_mean["rel_diff"] <= 1e-12


@pytest.mark.spark
@needs_spark
def test_progress_goes_to_stderr(spark_json):
    err = spark_json.stderr
    for words in ("gnnprop bench: spark: 4.", "session started in", "fixed/max: spark load ",
                  "fixed/max: spark round 2/2: ", "nn/mean: local load ", "agree (1e-12 norm-wise)"):
        assert words in err, words
    assert "gnnprop bench" not in spark_json.stdout and "Traceback" not in err
    assert "locally checkpointed" not in err  # releasing a case's checkpoints is quiet


@pytest.mark.spark
@needs_spark
def test_table_on_a_terminal_joining_a_session(spark_session):
    """A session that exists (the tests' shared one) is joined, kept and its cached data left alone; the table
    fits 80 columns."""
    from pyspark.sql import SparkSession

    mine = spark_session.range(10).cache()
    try:
        assert mine.count() == 10
        held = set(spark_session.sparkContext._jsc.getPersistentRDDs().keys())
        out = cli("bench", *TINY, "--cases", "fixed-sum", "-q", tty=True)
        assert out.code == 0, out.stderr
        assert SparkSession.getActiveSession() is not None  # not stopped
        assert set(spark_session.sparkContext._jsc.getPersistentRDDs().keys()) == held  # the bench's own are gone
    finally:
        mine.unpersist()
    assert "gnnprop bench" not in out.stderr  # -q
    text = out.stdout
    assert not text.lstrip().startswith("{")
    for words in ("300 nodes, 1,500 edges, 3 features", "Spark 4.", "local[2], 2 partitions", "session joined ",
                  "Spark against gnnprop's engine", "fixed/sum", "spark", "local", "yes", "ratio", "peak MB",
                  "every round (milliseconds)"):
        assert words in text, words
    assert "NO" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


# --- without Spark -------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (("--engine", "sprk"), ("--engine: unknown engine 'sprk'", "did you mean 'spark'?")),
    (("--rounds", "3"), ("--rounds: applies only to --engine spark",)),
    (("--spark-master", "local[2]"), ("--spark-master: applies only to --engine spark",)),
    (("--engine", "spark", "--graph", "README.md"), ("--graph: expected uniform or rmat with the spark engine",)),
    (("--engine", "spark", "--rounds", "0"), ("--rounds: expected at least 1 round, got 0",)),
    (("--engine", "spark", "--cases", "fixd"), ("--cases: unknown case 'fixd'", "fixed/max")),
])
def test_usage_errors(args, words):
    fails(cli("bench", *args), 2, *words)


def test_without_java_or_pyspark_the_error_of_run(monkeypatch):
    """The one line ``gnnprop run --engine spark`` gives, exit 2, before any graph is drawn."""
    no_java = cli("bench", *TINY, "-q", env={"PATH": "", "JAVA_HOME": None})
    fails(no_java, 2, "engine: the spark engine cannot start: Java is not installed")
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    fails(cli("bench", *TINY, "-q"), 2, "engine: the spark engine cannot start: pyspark is not installed",
          "pip install 'gnnprop[spark]'")


def test_spark_cases_default_to_those_spark_runs():
    assert spark_cases(None)[:4] == ["fixed/max", "fixed/sum", "nn/mean", "residual/add"]
    assert spark_cases(["residual_add", "FIXED-MAX"]) == ["fixed/max", "residual/add"]


def test_compare_is_exact_for_max_and_norm_wise_for_sum():
    a = np.array([[1.0, 100.0], [2.0, -50.0]])
    b = a.copy()
    b[0, 1] = np.nextafter(100.0, 200.0)  # one ulp: 1.4e-16 of the column's largest value
    assert compare("fixed/max", a, a)["agree"] and compare("fixed/max", a, a)["max_abs_diff"] == 0.0
    assert not compare("fixed/max", a, b)["agree"]
    close = compare("fixed/sum", a, b)
    assert close["agree"] and close["check"] == "1e-12 norm-wise" and 0 < close["rel_diff"] < 1e-15
    b[1, 0] = 2.0 + 1e-9
    assert not compare("fixed/sum", a, b)["agree"]
    assert compare("nn/mean", a, a[:1])["agree"] is False


def test_node_csv_reads_back_the_float32_features(tmp_path):
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    path = tmp_path / "nodes.csv"
    size = write_node_csv(str(path), x)
    text = path.read_text()
    assert size == len(text) and text.splitlines()[0] == "id,x0,x1,x2" and text.splitlines()[1].startswith("0,")
    back = np.loadtxt(path, delimiter=",", skiprows=1)
    assert (back[:, 0] == np.arange(5)).all()
    assert (back[:, 1:].astype(np.float32) == x).all()
