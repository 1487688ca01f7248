"""``--engine spark`` equals the local engine: every sample graph, random graphs with isolated
nodes, self loops, duplicate edges and string ids, every layer and aggregation the Spark engine
runs; its inputs, its outputs, its refusals and its hidden costs (the plan of a 10-round run does
not grow). One ``local[2]`` session for the whole module; small graphs.

Skipped, with the reason, only where pyspark or Java 17+ is missing.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from .clitools import cli, fails
from .conftest import SAMPLES
from .spark_tools import compare, rounds_of, skip_reason, write_random_graph

REASON = skip_reason()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

@pytest.fixture(autouse=True)
def spark(spark_session):
    """The tests' shared local[2] session (conftest), joined by every ``gnnprop run --engine spark`` here."""
    return spark_session


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The JSON sample graphs as CSV edge files and node tables (``gnnprop convert``)."""
    folder = tmp_path_factory.mktemp("samples")
    out = {}
    for name in ("seed_example", "path3", "karate"):
        edges, nodes = folder / f"{name}.csv", folder / f"{name}.nodes.csv"
        res = cli("convert", SAMPLES / f"{name}.json", edges, "--nodes-out", nodes)
        assert res.code == 0, res.stderr
        out[name] = (str(edges), str(nodes))
    return out


# --- the same numbers as the local engine ----------------------------------------------

def test_seed_example_tutorial_numbers(converted):
    """The tutorial's layer, float32 as float32: round 10 is the README's figure, bit for bit."""
    edges, nodes = converted["seed_example"]
    out = cli("run", edges, "--node-features", nodes, "--engine", "spark", "--rounds", "10", "--last", "-f", "json")
    assert out.code == 0, out.stderr
    ids, rounds, meta = rounds_of(out)
    assert ids == [0, 1, 2, 3]
    assert rounds[10].astype(np.float32).tolist() == [[18288.912109375, 11638.3984375], [18242.345703125, 11619.771484375],
                                   [18288.912109375, 11638.3984375], [18242.345703125, 11619.771484375]]
    assert meta["engine"] == "spark" and meta["dtype"] == "float32" and meta["stop_reason"] == "10 rounds (static)"
    # progress: one line a round on stderr, with seconds and rows
    lines = [ln for ln in out.stderr.splitlines() if ": round " in ln]
    assert len(lines) == 10 and lines[0].startswith("gnnprop: spark: round 1: ") and lines[-1].endswith(" 4 rows")


@pytest.mark.parametrize("sample, extra", [
    ("path3", ["--aggr", "max", "--rounds", "3"]),
    ("karate", ["--aggr", "min", "--message", "x_j - 0.5 * x_i", "--rounds", "3"]),
])
def test_json_samples_max_min_bit_exact(converted, sample, extra):
    edges, nodes = converted[sample]
    compare([edges, "--node-features", nodes, "--dtype", "float64", *extra], exact=True)


def test_csv_sample_and_snap_edge_list(tmp_path):
    """karate.csv (no features: degree) and the real SNAP edge list ca-grqc.txt, undirected."""
    compare([SAMPLES / "karate.csv", "--features", "degree", "--aggr", "max", "--rounds", "2", "--dtype", "float64"],
            exact=True)
    compare([SAMPLES / "ca-grqc.txt", "--undirected", "--features", "degree", "--message", "x_j", "--update",
             "aggr_out", "--aggr", "mean", "--rounds", "2", "--dtype", "float64"], exact=False)


@pytest.mark.parametrize("aggr", ["sum", "mean", "max", "min"])
def test_random_graph_fixed_affine(tmp_path, aggr):
    """String ids, isolated nodes, a self loop, duplicate edges; an affine message with a negative
    x_j coefficient (max picks min_j x_j) and a constant."""
    edges, nodes = write_random_graph(tmp_path, seed=3)
    compare([edges, "--node-features", nodes, "--aggr", aggr, "--message", "1.5 - 0.5 * x_i - 2 * x_j / 3",
             "--update", "0.25 * x + aggr_out", "--rounds", "2", "--dtype", "float64"], exact=aggr in ("max", "min"))


def test_random_graph_weighted_and_nonaffine_messages(tmp_path):
    """Messages that are not affine (or use edge weights under max) are computed per edge."""
    edges, nodes = write_random_graph(tmp_path, seed=4, string_ids=False, weights=True)
    compare([edges, "--node-features", nodes, "--aggr", "sum", "--message", "edge_weight * x_j + 2 * sigmoid(x_i)",
             "--update", "tanh(x) + exp(-aggr_out)", "--rounds", "2", "--dtype", "float64"], exact=False)
    compare([edges, "--node-features", nodes, "--aggr", "max", "--message", "relu(x_j - x_i) * edge_weight",
             "--update", "x + aggr_out / (1 + abs(x))", "--rounds", "2", "--dtype", "float64"], exact=True)


@pytest.mark.parametrize("layer, aggr", [("nn", "mean"), ("residual", "sum"), ("nn", "max")])
def test_random_graph_learned_layers(tmp_path, layer, aggr):
    """nn and residual: the seed's weights, as literals in Spark's plan."""
    edges, nodes = write_random_graph(tmp_path, seed=5, f=3)
    compare([edges, "--node-features", nodes, "--layer", layer, "--aggr", aggr, "--rounds", "2", "--dtype",
             "float64"], exact=False)


@pytest.mark.parametrize("layer, aggr", [("sage", []), ("graphconv", ["--aggr", "mean"]), ("gin", [])])
def test_pyg_layers_with_a_spark_form(tmp_path, layer, aggr):
    """PyG's SAGEConv (its own mean), GraphConv (edge weights included) and GINConv (its MLP): the same
    numbers."""
    edges, nodes = write_random_graph(tmp_path, seed=15, f=3, weights=True)
    compare([edges, "--node-features", nodes, "--layer", layer, *aggr, "--rounds", "2", "--dtype", "float64"],
            exact=False)


def _gcn_graph(tmp_path):
    """A weighted random graph whose first node has three self loops: PyG's gcn_norm drops them all and
    adds one back with the last one's weight."""
    edges, nodes = write_random_graph(tmp_path, seed=23, f=2, weights=True)
    first = open(edges).read().splitlines()[1].split(",")[0]
    with open(edges, "a") as fh:
        fh.write(f"{first},{first},0.25\n{first},{first},3.5\n")
    return edges, nodes


@pytest.mark.parametrize("layer, dtype, weights", [
    ({"type": "gcn", "args": {"improved": True}}, "float32", True),
    ({"type": "gcn", "args": {"improved": True}}, "float64", False),  # without weights every loop weighs 1
    ({"type": "gcn", "args": {"normalize": False, "bias": False}}, "float64", True),
    ({"type": "sg", "args": {"K": 3}}, "float64", True),
    ({"type": "appnp", "args": {"K": 3, "alpha": 0.2, "add_self_loops": False}}, "float32", True),
])
def test_gcn_norm_family(tmp_path, layer, dtype, weights):
    """GCNConv, SGConv and APPNP: self loops (the file's last weight kept), improved, normalize, K
    propagations a round; float32 computed as float32."""
    edges, nodes = _gcn_graph(tmp_path) if weights else write_random_graph(tmp_path, seed=21, f=2)
    config = tmp_path / "c.yaml"
    config.write_text(json.dumps({"layer": layer, "rounds": 2}))
    compare([edges, "--node-features", nodes, "-c", config, "--dtype", dtype], exact=False,
            tol=1e-12 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("config, exact", [
    ({"aggr": ["mean", "min", "max"], "aggr_mode": "max", "layer": {"message": "x_j * edge_weight - x_i"}}, True),
    ({"aggr": ["mean", "max"], "aggr_mode": "std"}, False),
    ({"aggr": ["sum", "min"], "aggr_mode": "logsumexp"}, False),
    ({"aggr": ["mean", "max"], "layer": {"type": "nn"}}, False),                 # cat: updateNN takes 2H
    ({"aggr": ["sum", "max"], "aggr_mode": "min", "layer": {"type": "gcn"}}, False),
])
def test_lists_of_aggregations(tmp_path, config, exact):
    """Several aggregations reduced in one groupBy and combined as PyG's MultiAggregation does."""
    edges, nodes = write_random_graph(tmp_path, seed=31, f=3, weights=True)
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"rounds": 2, **config}))
    compare([edges, "--node-features", nodes, "-c", path, "--dtype", "float64"], exact=exact)


@pytest.mark.parametrize("layer, aggr, dtype", [
    ("nn", "max,sum", "float32"), ("residual", "sum", "float64"), ("gin", None, "float64"), ("gcn", None, "float64"),
])
def test_wide_linear_maps_as_matrix_products(tmp_path, monkeypatch, layer, aggr, dtype):
    """Weights past the literal limit are applied per Arrow batch with a matrix product in the executors'
    Python (forced here on a narrow graph by a limit of 0): the same numbers."""
    from gnnprop.engine.spark import ops

    monkeypatch.setattr(ops, "LITERAL_LIMIT", 0)
    edges, nodes = write_random_graph(tmp_path, seed=41, f=3, weights=True)
    compare([edges, "--node-features", nodes, "--layer", layer, *(["--aggr", aggr] if aggr else []), "--rounds", "2",
             "--dtype", dtype], exact=False, tol=1e-12 if dtype == "float64" else 1e-6)


def test_weights_file_reaches_spark(tmp_path):
    edges, nodes = write_random_graph(tmp_path, seed=6, f=2)
    w = tmp_path / "w.safetensors"
    assert cli("run", edges, "--node-features", nodes, "--layer", "residual", "--seed", "7", "--rounds", "0",
               "--save-weights", w).code == 0
    meta = compare([edges, "--node-features", nodes, "--layer", "residual", "--weights", w, "--rounds", "1",
                    "--dtype", "float64"], exact=False)
    assert meta["rounds_run"] == 1


def test_converge_and_rule_rounds(tmp_path):
    edges, nodes = write_random_graph(tmp_path, seed=8, f=2)
    conv = tmp_path / "conv.yaml"
    conv.write_text("layer: {type: fixed, message: 'x_j', update: '0.5 * x + 0.25 * aggr_out'}\naggr: mean\n"
                    "rounds: {mode: converge, tol: 0.05, max_rounds: 30}\ndtype: float64\n")
    meta = compare([edges, "--node-features", nodes, "-c", conv], exact=False)
    assert meta["converged"] is True
    rule = tmp_path / "rule.yaml"
    rule.write_text("rounds: {mode: rule, if: 'std(x) > 0.5 and max_degree >= 2 and mean(x) < num_edges', "
                    "then: 2, else: 1}\ndtype: float64\n")
    meta = compare([edges, "--node-features", nodes, "-c", rule], exact=True)
    assert meta["stop_reason"].startswith("rule std(x) = ") and meta["rounds_run"] in (1, 2)


# --- inputs -----------------------------------------------------------------------------

def test_parquet_and_edge_list_inputs_give_the_same_numbers(tmp_path, spark):
    """Parquet edges (src, dst, weight) with a Parquet node table (an array column x), and a
    whitespace edge list with comments, read by Spark: the numbers of the CSV files."""
    edges, nodes = write_random_graph(tmp_path, seed=9, f=2, string_ids=False, weights=True)
    args = ["--aggr", "max", "--message", "x_j * edge_weight", "--rounds", "2", "--dtype", "float64"]
    ref = cli("run", edges, "--node-features", nodes, *args, "-f", "json", "--engine", "spark")
    assert ref.code == 0, ref.stderr
    e = spark.read.option("header", True).csv(edges).selectExpr("cast(src as long) src", "cast(dst as long) dst",
                                                                  "cast(weight as double) weight")
    e.write.parquet(str(tmp_path / "edges.parquet"))
    n = spark.read.option("header", True).csv(nodes).selectExpr("cast(id as long) id",
                                                                  "array(cast(f0 as double), cast(f1 as double)) x")
    n.write.parquet(str(tmp_path / "nodes.parquet"))
    pq = cli("run", tmp_path / "edges.parquet", "--node-features", tmp_path / "nodes.parquet", *args, "-f", "json",
             "--engine", "spark")
    assert pq.code == 0, pq.stderr
    assert _same(rounds_of(pq), rounds_of(ref))
    txt = tmp_path / "g.edges"
    txt.write_text("% a comment\n# another\n" + "".join(
        f"{r['src']}\t{r['dst']}  {r['weight']!r}\n" for r in e.orderBy("src", "dst", "weight").collect()))
    el = cli("run", txt, "--node-features", nodes, *args, "-f", "json", "--engine", "spark")
    assert el.code == 0, el.stderr
    assert _same(rounds_of(el), rounds_of(ref))


def _same(a, b) -> bool:
    return a[0] == b[0] and all(np.array_equal(a[1][r], b[1][r]) for r in a[1]) and sorted(a[1]) == sorted(b[1])


def test_bad_inputs_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("src,dst,weight\n1,2,0.5\n2,3,abc\n")
    fails(cli("run", bad, "--engine", "spark"), 1, "bad.csv", "weight: expected a finite number, got abc")
    head = tmp_path / "head.csv"
    head.write_text("from,to\n1,2\n")
    fails(cli("run", head, "--engine", "spark"), 1, "head.csv", "src,dst or source,target")
    edges, nodes = write_random_graph(tmp_path, seed=10)
    stray = tmp_path / "stray.csv"
    stray.write_text("src,dst\nn1,ghost\n")
    fails(cli("run", stray, "--node-features", nodes, "--engine", "spark"), 1, "'ghost'", "not in the node table")


# --- output -----------------------------------------------------------------------------

def test_parquet_output_every_round_then_success_marker(tmp_path, spark):
    edges, nodes = write_random_graph(tmp_path, seed=11, f=2)
    out_dir = tmp_path / "out"
    res = cli("run", edges, "--node-features", nodes, "--rounds", "3", "--every", "2", "--dtype", "float64",
              "--engine", "spark", "-o", f"{out_dir}/")
    assert res.code == 0, res.stderr
    assert res.stdout == ""
    names = sorted(os.listdir(out_dir))
    assert [n for n in names if n.startswith("round=")] == ["round=0", "round=2", "round=3"]
    assert "_SUCCESS" in names and json.loads((out_dir / "_gnnprop.json").read_text())["rounds_run"] == 3
    local = rounds_of(cli("run", edges, "--node-features", nodes, "--rounds", "3", "--dtype", "float64",
                          "-f", "json"))
    table = spark.read.parquet(str(out_dir))
    assert table.columns == ["id", "x0", "x1", "round"]
    got = {(r["round"], r["id"]): [r["x0"], r["x1"]] for r in table.collect()}
    for rnd in (0, 2, 3):
        for k, node in enumerate(local[0]):
            assert got[(rnd, node)] == local[1][rnd][k].tolist()
    # an earlier run's folder is replaced, as the local engine's is; a folder with other files is refused
    # before Spark starts, with the local engine's words
    again = cli("run", edges, "--node-features", nodes, "--rounds", "1", "--engine", "spark", "-o", f"{out_dir}/")
    assert again.code == 0, again.stderr
    assert sorted(n for n in os.listdir(out_dir) if n.startswith("round=")) == ["round=0", "round=1"]
    (out_dir / "notes.txt").write_text("mine")
    for engine in ("spark", "auto"):
        fails(cli("run", edges, "--node-features", nodes, "--engine", engine, "-o", f"{out_dir}/"), 2,
              f"--output: the folder {out_dir} holds other files (notes.txt)")
    assert (out_dir / "notes.txt").read_text() == "mine"


def test_failed_run_leaves_nothing_that_looks_complete(tmp_path):
    """Overflow at round 3 stops the run (exit 1, naming the round and a node) and removes the folder."""
    edges, nodes = write_random_graph(tmp_path, seed=12, f=2, string_ids=False)
    out_dir = tmp_path / "out"
    res = cli("run", edges, "--node-features", nodes, "--message", "1e200 * x_j", "--aggr", "sum", "--dtype",
              "float64", "--rounds", "4", "--engine", "spark", "-o", f"{out_dir}/")
    assert res.code == 1
    last = res.stderr.splitlines()[-1]
    assert last.startswith("gnnprop: error: round 2: node ") and "--allow-nonfinite" in last
    assert "(float64 overflow)" in last or "(float64 invalid operation)" in last
    assert not out_dir.exists()


def test_collect_limit_refuses_big_results(tmp_path):
    edges, nodes = write_random_graph(tmp_path, seed=13, n=12, f=2)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("spark: {collect_limit: 40}\n")
    out = cli("run", edges, "--node-features", nodes, "-c", cfg, "--rounds", "2", "--engine", "spark", "-f", "csv")
    assert out.code == 2 and out.stdout == ""
    last = out.stderr.splitlines()[-1]   # after the line saying what was read
    assert last.startswith("gnnprop: error: --format: collecting 3 round(s) of 12 nodes x 2 features (72 values) "
                           "exceeds spark.collect_limit (40)") and "--output OUT/" in last


# --- refusals before Spark starts --------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--layer", "gat"], ["does not run the gat layer", "layers fixed, nn, residual, gcn, sage, graphconv, gin, sg, appnp"]),
    (["--aggr", "std"], ["does not run the aggregation std", "sum, mean, max, min or a list of them"]),
    (["--aggr", "sum,std"], ["does not run the aggregation [sum, std]"]),
    (["--features", "random"], ["cannot make random features"]),
])
def test_unsupported_is_refused_listing_what_is_supported(args, words):
    fails(cli("run", SAMPLES / "karate.csv", "--engine", "spark", *args), 2, *words)


def test_json_input_is_refused_with_the_way_out():
    fails(cli("run", SAMPLES / "karate.json", "--engine", "spark"), 2, "does not read JSON", "gnnprop convert")


def test_other_commands_refuse_the_spark_engine():
    fails(cli("inspect", SAMPLES / "seed_example.json", "--node", "0", "--engine", "spark"), 2,
          "inspect explains a node on the local engine", "inspect --from-run OUT")


# --- the hidden costs -------------------------------------------------------------------

@pytest.mark.parametrize("config, rounds", [
    ({"aggr": "sum"}, 5),  # without the checkpoints round 5's plan would be 5 rounds deep
    ({"layer": {"type": "appnp", "args": {"K": 6, "alpha": 0.1}}}, 3),  # K propagations within a round
])
def test_plan_does_not_grow_with_the_rounds(tmp_path, spark, config, rounds, monkeypatch):
    """Every round (and every propagation within one) is checkpointed: what is materialised in the
    last round has a plan as long as round 1's, one propagation deep (two joins), not K or R."""
    from gnnprop.configure import from_mapping
    from gnnprop.engine.spark import run as spark_run

    plans: list[str] = []
    real = spark_run.checkpointer

    def recording(session, cfg):
        cut = real(session, cfg)

        def checkpoint(df):
            plans.append(df._jdf.queryExecution().optimizedPlan().toString())
            return cut(df)
        return checkpoint
    monkeypatch.setattr(spark_run, "checkpointer", recording)
    edges, nodes = write_random_graph(tmp_path, seed=14, f=2)
    run = spark_run.prepare_spark(spark, edges, from_mapping({"rounds": rounds, **config}), node_features=nodes,
                                  exchange="rows")  # the row-level rounds (the blocks': test_spark_blocks.py)
    per_round = []
    for r in run.propagate():
        if r.round:
            per_round.append(plans[:])
        plans.clear()
    assert len(per_round) == rounds
    first, last = per_round[0], per_round[-1]
    assert len(last) == (6 if "layer" in config else 1), len(last)  # appnp: K - 1 inner checkpoints + the round
    assert max(map(len, last)) <= max(map(len, first)) * 1.1, ([len(p) for p in first], [len(p) for p in last])
    assert max(p.count("Join ") for p in last) == 2, last[-1]


def test_earlier_rounds_storage_is_released(tmp_path, spark, monkeypatch):
    """A round's checkpointed blocks are freed once later rounds no longer read them: during a 6-round
    run the cached tables are the input's and the last round or two's, not one more per round."""
    from gnnprop.configure import from_mapping
    from gnnprop.engine.spark import run as spark_run

    monkeypatch.setattr(spark_run, "RELEASE_VALUES", 1)  # as if the tiny graph were big
    edges, nodes = write_random_graph(tmp_path, seed=14, f=2)
    cached = lambda: len(spark.sparkContext._jsc.sc().getRDDStorageInfo())  # noqa: E731 - holds no RDD
    before = cached()
    run = spark_run.prepare_spark(spark, edges, from_mapping({"rounds": 6, "aggr": "sum"}), node_features=nodes,
                                  exchange="rows")  # the row-level rounds (the blocks': test_spark_blocks.py)
    inputs = cached() - before
    counts = [cached() - before - inputs for r in run.propagate()]
    assert len(counts) == 7 and max(counts) <= 3, counts  # without the release: 0, 1, 2, ..., 6


def test_inspect_from_a_spark_run_equals_inspect(tmp_path, spark):
    """The Spark engine's Parquet rounds are what inspect --from-run reads: the derivation equals the
    local inspect's, read from the run's rows instead of recomputed."""
    edges, nodes = write_random_graph(tmp_path, seed=5, f=2)
    out_dir = tmp_path / "out"
    args = ["--node-features", nodes, "--rounds", "2", "--dtype", "float64", "--aggr", "sum"]
    res = cli("run", edges, *args, "--engine", "spark", "-o", f"{out_dir}/")
    assert res.code == 0, res.stderr
    node = json.loads(cli("run", edges, *args, "--last", "-f", "json").stdout)["nodes"][0]
    want = json.loads(cli("inspect", edges, *args, "--node", str(node), "--round", "2", "-f", "json").stdout)
    got = cli("inspect", edges, *args, "--node", str(node), "--round", "2", "-f", "json", "--from-run", str(out_dir))
    assert got.code == 0, got.stderr
    got = json.loads(got.stdout)
    assert [m["from"] for m in got["steps"][0]["messages"]] == [m["from"] for m in want["steps"][0]["messages"]]
    close = lambda a, b: np.allclose(np.array(a, dtype=float), np.array(b, dtype=float), rtol=1e-12, atol=1e-12)  # noqa: E731
    assert close(got["steps"][0]["update"]["value"], want["steps"][0]["update"]["value"])
    assert close(got["steps"][0]["aggregation"]["value"], want["steps"][0]["aggregation"]["value"])


def test_the_python_page_spark_example_runs(tmp_path, monkeypatch):
    """docs/python.md's Spark example: propagate(..., engine="spark") gives the local engine's numbers."""
    import re

    import gnnprop

    page = (SAMPLES.parent / "docs" / "python.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", page, re.S) if 'engine="spark"' in b)
    (tmp_path / "sample_graphs").symlink_to(SAMPLES)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(block, scope)
    res = scope["res"]
    assert res.meta["engine"] == "spark" and tuple(res.x.shape) == (34, 1) and res.session is None
    local = gnnprop.propagate(str(SAMPLES / "karate.csv"), features="degree", aggr="max", rounds=3)
    assert res.node_ids == local.node_ids and np.array_equal(res.x.numpy(), local.x.numpy())
    assert res.rounds_run == 3 and res.stop_reason == local.stop_reason
