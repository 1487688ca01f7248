"""``gnnprop bench --engine spark --row-level --sizes ...``: the Spark engine's blocks against its row-level
rounds in the same run, over a sweep of graph sizes. One tiny CLI run uses Spark (joining the suite's
session), its result also drawn as the terminal's tables; the parser and the refusals need none."""

from __future__ import annotations

import io
import json

import pytest

from gnnprop.bench.spark import parse_sizes

from .clitools import cli, fails
from .spark_tools import skip_reason

REASON = skip_reason()


def test_sizes_are_nodes_slash_edges_with_k_m_g():
    assert parse_sizes("100K/1M,300K/3M,1M/10M") == [(100_000, 1_000_000), (300_000, 3_000_000),
                                                    (1_000_000, 10_000_000)]
    assert parse_sizes(" 300/1500 , 2.5k/1_000 ") == [(300, 1500), (2500, 1000)]
    assert parse_sizes("1G/10B") == [(10**9, 10**10)]


@pytest.mark.parametrize("args, words", [
    (("--sizes", "1K/10K"), ("--sizes: applies only to --engine spark",)),
    (("--row-level",), ("--row-level: applies only to --engine spark",)),
    (("--engine", "spark", "--sizes", "100K"), ("--sizes: expected NODES/EDGES pairs", "'100K'")),
    (("--engine", "spark", "--sizes", "1K/ten"), ("--sizes: expected NODES/EDGES pairs", "'ten'")),
    (("--engine", "spark", "--sizes", "1K/10K,1/10"), ("--sizes: 1/10: expected at least 2 nodes",)),
    (("--engine", "spark", "--sizes", "1K/10K", "--num-nodes", "5"), ("--sizes: gives the graphs' sizes",)),
])
def test_usage_errors(args, words):
    fails(cli("bench", *args), 2, *words)


@pytest.mark.spark
@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_a_sweep_with_the_row_level_rounds(spark_session):
    """Two sizes, fixed/max: every entry has its graph and its case, the blocks' exchange, the row-level
    rounds beside them (bit-exact with the local engine too) and how many times faster the blocks are;
    the table fits 80 columns."""
    args = ("bench", "--engine", "spark", "--sizes", "200/800,300/1.2K", "--num-features", "2", "--rounds", "1",
            "--cases", "fixed/max", "--row-level", "--spark-master", "local[2]")
    out = cli(*args, "-q")
    assert out.code == 0, out.stderr
    r = json.loads(out.stdout)
    assert [(g["graph"]["nodes"], g["graph"]["edges"]) for g in r["sweep"]] == [(200, 800), (300, 1200)]
    assert r["graph"] == r["sweep"][0]["graph"] and r["spark"]["cases"] == r["sweep"][0]["cases"]
    for g in r["sweep"]:
        (c,) = g["cases"]
        assert c["case"] == "fixed/max" and c["agree"] and c["exchange"] in ("broadcast", "shuffle")
        rl = c["row_level"]
        assert rl["agree"] and rl["check"] == "bit-exact" and len(rl["rounds_s"]) == 1
        assert rl["speedup"] == pytest.approx(rl["round_median_s"] / c["round_median_s"], rel=1e-3)
    # on a terminal the same result is drawn as tables (bench_cmd.render_spark; a tty run of its own is
    # tests/test_bench_spark.py's): drawn here at 80 columns rather than sweeping twice
    from gnnprop.cli.bench_cmd import render_spark
    from gnnprop.cli.env import Env

    table = io.StringIO()
    render_spark(Env(stdout_isatty=True, color=False, width=80).console(table, tty=True), r)
    for words in ("sweep: a round (seconds)", "rows/spark", "1,200", "a round row by row / in blocks"):
        assert words in table.getvalue(), words
    assert max(len(line) for line in table.getvalue().splitlines()) <= 80
