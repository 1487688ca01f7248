"""``gnnprop bench``: gnnprop's loader and engine against numpy and plain PyG, on a random graph;
``--engine spark``: the Spark engine against gnnprop's (:mod:`gnnprop.bench.spark`)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from ..errors import UsageError, setting
from . import helptext, spec
from . import options as o
from .app import app
from .env import get_env
from .outputs import choose_output

FORMATS = ("table", "json")


@app.command(**helptext.spec("bench"))
def bench(
    ctx: typer.Context,
    engine: Annotated[str, spec.opt("engine", autocompletion=o.complete("local", "spark"), rich_help_panel=spec.BENCH,
                                    help="local: gnnprop's engine against plain PyG, one round a "
                                    "case | spark: the Spark engine against gnnprop's, load, rounds and memory (the "
                                    "spark extra and Java 17+).")] = "local",
    nodes: Annotated[Optional[int], spec.opt("num_nodes", show_default=False, help="Nodes of the random graph "
                                             "(default 1,000,000; 100,000 with --engine spark).")] = None,
    edges: Annotated[Optional[int], spec.opt("num_edges", show_default=False, help="Distinct directed edges, no self "
                                             "loops (default 10,000,000; 1,000,000 with --engine spark).")] = None,
    features: Annotated[int, spec.opt("num_features")] = 16,
    seed: Annotated[int, spec.opt("seed", help="Seed of the graph, the features and the weights.",
                                  rich_help_panel=spec.BENCH)] = 0,
    repeat: Annotated[Optional[int], spec.opt("repeat", show_default=False, help="Timed repetitions of each phase "
                                              "(medians are reported; default 3, 1 with --engine spark).")] = None,
    cases: Annotated[Optional[str], spec.opt("cases", show_default=False, help="Comma-separated subset of fixed/max, "
                                             "fixed/sum, nn/mean, residual/add, gcn (default: all; with --engine "
                                             "spark all those it runs).")] = None,
    graph: Annotated[str, spec.opt("graph", help="uniform | rmat (R-MAT, a, b, c = 0.57, 0.19, 0.19) | a graph "
                                   "file (its edges; random features; not with spark).")] = "uniform",
    reorder: Annotated[str, spec.opt("reorder", help="The engine's node order: auto | none | degree | bfs | rcm (its "
                                     "cost is reported apart).", rich_help_panel=spec.BENCH)] = "auto",
    rounds: Annotated[Optional[int], spec.opt("rounds", help="--engine spark: rounds of each case (default 10), "
                                              "timed one by one.", rich_help_panel=spec.BENCH)] = None,
    spark_master: Annotated[Optional[str], spec.opt("spark_master", help="--engine spark: the master URL (default "
                                                    "local[*]).", rich_help_panel=spec.BENCH)] = None,
    row_level: Annotated[bool, spec.opt("row_level")] = False,
    sizes: Annotated[Optional[str], spec.opt("sizes")] = None,
    fmt: Annotated[Optional[str], spec.opt("format", help="table | json (default: table on a terminal, else json).",
                                           autocompletion=o.complete("table", "json"))] = None,
    quiet: Annotated[bool, spec.opt("quiet")] = False,
    no_color: o.NoColor = False,
) -> None:
    """Time loading and rounds: gnnprop's engine against plain PyG, or the Spark engine against gnnprop's.

    Writes the graph as a CSV edge file in a temporary folder and loads it with
    gnnprop and numpy.loadtxt; runs each case on the engine (engine auto) and on
    plain PyG classes written as the tutorial writes them, alternating; reports medians, the ratio
    reference / engine, peak memory, whether the outputs agree, and the engine's
    fixed/max time as a multiple of a bytes-moved lower bound. The default graph
    (1M nodes, 10M edges) takes minutes and several GB of memory.

    With --engine spark: writes the graph as a CSV edge file and a node table,
    starts a Spark session (timed apart), then runs each case's rounds (float64)
    on Spark and on gnnprop's engine from the same files, alternating; reports
    the load, every round, peak memory of the Python process and of Spark's JVM,
    the ratio Spark / local, and whether the last rounds agree.
    """
    from ..engine import memory
    from ..bench.cases import resolve_engine

    env = get_env(ctx.obj)
    which = resolve_engine(engine)
    name = choose_output(fmt, None, env, allowed=FORMATS).name
    picked = None if cases is None else [c for c in cases.split(",")]
    if which == "local":
        for value, flag in ((rounds, "--rounds"), (spark_master, "--spark-master"), (row_level or None, "--row-level"),
                            (sizes, "--sizes")):
            if value is not None:
                raise UsageError("applies only to --engine spark (the local bench times one round of each case)",
                                 key=flag)
        from ..bench.local import BenchSpec, run_bench

        spec = BenchSpec(features=features, seed=seed, cases=picked, graph=graph, reorder=reorder)
        run = run_bench
    else:
        from ..bench.spark import SparkBenchSpec, parse_sizes, run_spark_bench

        spec = SparkBenchSpec(features=features, seed=seed, cases=picked, graph=graph, reorder=reorder,
                              debug=bool(ctx.meta.get("debug")), row_level=row_level)
        if sizes is not None:
            if nodes is not None or edges is not None:
                raise UsageError("gives the graphs' sizes: drop --num-nodes / --num-edges", key="--sizes")
            spec.sizes = parse_sizes(sizes)
            spec.nodes, spec.edges = max(spec.sizes)
        if rounds is not None:
            spec.rounds = rounds
        if spark_master is not None:
            spec.master = spark_master
        run = run_spark_bench
    for value, field in ((nodes, "nodes"), (edges, "edges"), (repeat, "repeat")):
        if value is not None:
            setattr(spec, field, value)

    def say(line: str) -> None:
        if not quiet:
            env.err.write(f"gnnprop bench: {line}\n")
            env.err.flush()

    spec.check()
    n, e = max(getattr(spec, "sizes", None) or [(spec.nodes, spec.edges)], key=lambda ne: ne[1])
    # at the least: the features (float32) and node ids, the edges as int64 pairs and the loaded copy
    need = n * (features * 4 + memory.BYTES_PER_NODE) + e * 16 * 2
    memory.require(need, f"the benchmark graph ({n:,} nodes, {e:,} edges, {features} features)",
                   hint=f"use smaller {setting('num_nodes')} / {setting('num_edges')}")
    result = run(spec, say)
    if name == "json":
        env.out.write(json.dumps(result, indent=2) + "\n")
        env.out.flush()
    else:
        console = env.console(env.out, tty=env.out_is_tty(), no_color=no_color)
        (render if which == "local" else render_spark)(console, result)


def _num(x: Any, spec: str = ".3g") -> str:
    return "-" if x is None else format(x, spec)


def _compact() -> dict[str, Any]:
    from rich import box

    return {"box": box.SIMPLE_HEAD, "padding": (0, 1), "pad_edge": False, "collapse_padding": True}


def render(console, r: dict[str, Any]) -> None:
    """The result as Rich tables, readable at 80 columns (numbers are never cut: times in
    milliseconds, headers on two lines, no vertical rules)."""
    from rich.table import Table
    from rich.text import Text

    from .render import wrap_fields

    g, m, load, bound = r["graph"], r["machine"], r["load"], r["bound"]
    kind = g.get("file") or g.get("kind", "uniform")
    console.print(Text(f"graph: {kind}, {g['nodes']:,} nodes, {g['edges']:,} edges, {g['features']} features, "
                       f"seed {g['seed']} ({'file' if g.get('file') else 'CSV'} {g['csv_mb']} MB)", style="bold"))
    for line in wrap_fields([f"machine: {m['cpus']} cpus", f"torch {m['torch']} ({m['torch_threads']} threads)",
                             f"PyG {m['torch_geometric']}", f"copy bandwidth {m['copy_bandwidth_gbs']} GB/s",
                             f"medians of {r['repeat']}"], console.width, sep=", "):
        console.print(line, markup=False)
    console.print()

    t = Table(title="load the CSV edge file", title_justify="left", **_compact())
    for col in ("loader", "ms", "peak MB"):
        t.add_column(col, justify="left" if col == "loader" else "right")
    t.add_row("gnnprop.io.load_graph", _ms_or_dash(load["gnnprop_s"]), _num(load["gnnprop_peak_mb"], ".0f"))
    if load["numpy_s"] is not None:
        t.add_row("numpy.loadtxt", _ms_or_dash(load["numpy_s"]), _num(load["numpy_peak_mb"], ".0f"))
    console.print(t)
    if load["ratio"] is not None:
        console.print(f"gnnprop / numpy: {_num(load['ratio'])}x", markup=False)
    console.print()

    t = Table(title="one round: gnnprop's engine against plain PyG (the reference)", title_justify="left",
              **_compact())
    heads = ("case", "kernel", "engine\nms", "PyG\nms", "PyG /\nengine", "engine\nMB", "PyG\nMB", "prepare\nms",
             "agree")
    for col in heads:
        t.add_column(col, justify="left" if col in ("case", "kernel", "agree") else "right", no_wrap=True)
    orders = []
    for c in r["cases"]:
        if c.get("reorder", "none") != "none":  # the node order, and what computing it took: under the table
            orders.append(f"{c['case']}: node order {c['reorder']} ({_ms_or_dash(c.get('reorder_s'))} ms)")
        t.add_row(c["case"], c["engine"], _ms_or_dash(c["engine_s"]), _ms_or_dash(c["reference_s"]),
                  _times(c["ratio"]), _num(c["engine_peak_mb"], ".0f"), _num(c["reference_peak_mb"], ".0f"),
                  _ms_or_dash(c["prepare_s"]),
                  Text("yes" if c["agree"] else "NO", style="green" if c["agree"] else "bold red"))
    console.print(t)
    console.print("MB: peak memory above the start; prepare: the one-off CSR build; agree: the outputs "
                  "match (max/min bit for bit, the others within rounding).", markup=False)
    for line in orders:
        console.print(line, markup=False)
    console.print()
    console.print(Text("lower bound for one round", style="bold"))
    console.print(f"{bound['formula']}", markup=False)
    console.print(f"= {bound['bytes'] / 1e6:,.1f} MB -> {_num(bound['seconds'])} s", markup=False)
    if bound["multiple"] is not None:
        console.print(f"engine fixed/max: {_num(bound['engine_s'])} s = {_num(bound['multiple'])}x the bound",
                      markup=False)
    gather = bound.get("gather")
    if gather:
        console.print(Text("counting the gathered rows too", style="bold"))
        console.print(gather["formula"], markup=False)
        console.print(f"= {gather['bytes'] / 1e6:,.1f} MB -> {_num(gather['seconds'])} s"
                      + (f"; engine fixed/max = {_num(gather['multiple'])}x" if gather["multiple"] is not None
                         else ""), markup=False)


def _times(x: Any) -> str:
    return "-" if x is None else (f"{x:,.0f}x" if x >= 100 else f"{x:.3g}x")


def _ms_or_dash(t: float | None) -> str:
    return "-" if t is None else _ms(t)


def _ms(t: float) -> str:
    ms = t * 1000
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.3g}" if ms >= 1 else f"{ms:.2g}"


def _render_sweep(console, sweep: list[dict[str, Any]]) -> None:
    """The ``--sizes`` sweep: a round's median by graph and case (seconds)."""
    from rich.table import Table

    t = Table(title="sweep: a round (seconds)", title_justify="left", **_compact())
    for col in ("nodes", "edges", "case", "spark", "rows", "local", "rows/spark"):
        t.add_column(col, justify="left" if col == "case" else "right", no_wrap=True)
    for g in sweep:
        for c in g["cases"]:
            rl = c.get("row_level") or {}
            t.add_row(f"{g['graph']['nodes']:,}", f"{g['graph']['edges']:,}", c["case"], _num(c["round_median_s"]),
                      _num(rl.get("round_median_s")), _num(c["local"]["round_median_s"]), _times(rl.get("speedup")))
    console.print()
    console.print(t)


def render_spark(console, r: dict[str, Any]) -> None:
    """A Spark bench result (``--engine spark``) as Rich tables, readable at 80 columns."""
    from rich.table import Table
    from rich.text import Text

    g, m, sp = r["graph"], r["machine"], r["spark"]
    jvm = sp["jvm"]
    console.print(Text(f"graph: {g['kind']}, {g['nodes']:,} nodes, {g['edges']:,} edges, {g['features']} features, "
                       f"seed {g['seed']}", style="bold"))
    console.print(f"files: edges.csv {g['csv_mb']} MB, nodes.csv {g['nodes_csv_mb']} MB; {sp['rounds']} rounds "
                  f"a case, {sp['dtype']}", markup=False)
    console.print(f"Spark {sp['version']}, {sp['master']}, {sp['partitions']} partitions; {m['cpus']} cpus, "
                  f"torch {m['torch_threads']} threads", markup=False)
    local_master = sp["master"].startswith("local")
    console.print(f"session {'joined' if sp['joined'] else 'start'} {_num(sp['session_start_s'])} s, first job "
                  f"{_num(sp.get('first_job_s'))} s; JVM {_num(jvm['start_mb'], '.0f')} MB, peak "
                  f"{_num(jvm['peak_mb'], '.0f')} MB", markup=False)
    console.print(f"executors: {sp['executors']}; medians of {r['repeat']}" if not local_master
                  else f"executors: threads of that JVM (local master); medians of {r['repeat']}", markup=False)
    console.print()

    t = Table(title="Spark against gnnprop's engine (seconds, MB)", title_justify="left")
    for col in ("case", "engine", "load", "round", "ratio", "peak MB", "agree"):
        t.add_column(col, justify="left" if col in ("case", "engine", "agree") else "right", no_wrap=True)
    for c in sp["cases"]:
        lo = c["local"]
        agree = Text("yes" if c["agree"] else "NO", style="green" if c["agree"] else "bold red")
        peak = f"{_num(c['peak_mb']['jvm'], '.0f')}+{_num(c['peak_mb']['driver'], '.0f')}"
        t.add_row(c["case"], "spark", _num(c["load_s"]), _num(c["round_median_s"]), _times(c["ratio"]), peak, agree)
        rl = c.get("row_level")
        if rl:
            ok = Text("yes" if rl["agree"] else "NO", style="green" if rl["agree"] else "bold red")
            ratio = rl["round_median_s"] / lo["round_median_s"] if lo["round_median_s"] else None
            t.add_row("", "rows", _num(rl["load_s"]), _num(rl["round_median_s"]), _times(ratio), "", ok)
        t.add_row("", "local", _num(lo["load_s"]), _num(lo["round_median_s"]), "",
                  _num(lo["peak_mb"], ".0f"), "")
    console.print(t)
    console.print("round: the median round; ratio: spark / local, a round. peak MB: spark = the", markup=False)
    console.print("JVM's resident peak + the Python process's above its start; local = the Python", markup=False)
    console.print("process's above its start (gnnprop's engine: auto).", markup=False)
    console.print("agree: the last rounds by node id; max/min bit-exact, others within 1e-12", markup=False)
    console.print("norm-wise.", markup=False)
    if any(c.get("row_level") for c in sp["cases"]):
        console.print("rows: the same case on the Spark engine's row-level rounds (--row-level).", markup=False)
    for c in sp["cases"]:
        if c.get("row_level"):
            console.print(f"{c['case']}: a round row by row / in blocks ({c['exchange']}): "
                          f"{_times(c['row_level']['speedup'])}", markup=False)
    if r.get("sweep"):
        _render_sweep(console, r["sweep"])
    console.print()
    console.print(Text("every round (milliseconds)", style="bold"))
    for c in sp["cases"]:
        for label, ts in ((f"{c['case']} spark", c["rounds_s"]), (f"{c['case']} local", c["local"]["rounds_s"])):
            console.print(f"{label:<19} {' '.join(_ms(t_) for t_ in ts)}", markup=False)
