"""``gnnprop bench``: gnnprop's loader and engine against numpy and plain PyG, on a random graph."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from ..errors import setting
from . import helptext
from .app import app
from .env import get_env

FORMATS = ("table", "json")


@app.command(**helptext.spec("bench"))
def bench(
    ctx: typer.Context,
    nodes: Annotated[int, typer.Option("--nodes", "-n", help="Nodes of the random graph.")] = 1_000_000,
    edges: Annotated[int, typer.Option("--edges", "-e", help="Distinct directed edges (no self loops).")] = 10_000_000,
    features: Annotated[int, typer.Option("--features", "-f", help="Features per node (standard normal, float32).")] = 16,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the graph, the features and the weights.")] = 0,
    repeat: Annotated[int, typer.Option("--repeat", help="Timed repetitions of each phase (medians are reported).")] = 3,
    cases: Annotated[Optional[str], typer.Option("--cases", help="Comma-separated subset of fixed/max, fixed/sum, "
                                                 "nn/mean, residual/add, gcn (default: all).")] = None,
    graph: Annotated[str, typer.Option("--graph", help="uniform | rmat (R-MAT, a, b, c = 0.57, 0.19, 0.19) "
                                       "| a graph file (its edges; random features).")] = "uniform",
    reorder: Annotated[str, typer.Option("--reorder", help="The engine's node order: auto | none | degree | bfs "
                                         "| rcm (its cost is reported apart).")] = "auto",
    fmt: Annotated[Optional[str], typer.Option("--format", help="table | json (default: table on a terminal, "
                                               "else json).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour (NO_COLOR is honoured too).")] = False,
) -> None:
    """Time loading and one round of each layer: gnnprop's engine against plain PyG, on a random graph or yours.

    Writes the graph as a CSV edge file in a temporary folder and loads it with
    gnnprop and numpy.loadtxt; runs each case on the engine (engine auto) and on
    the seed documents' PyG classes, alternating; reports medians, the ratio
    reference / engine, peak memory, whether the outputs agree, and the engine's
    fixed/max time as a multiple of a bytes-moved lower bound. The default graph
    (1M nodes, 10M edges) takes minutes and several GB of memory.
    """
    from .. import memory
    from ..bench import BenchSpec, run_bench

    env = get_env(ctx.obj)
    name = env.choose_format(fmt, FORMATS)
    picked = None if cases is None else [c for c in cases.split(",")]
    spec = BenchSpec(nodes=nodes, edges=edges, features=features, seed=seed, repeat=repeat, cases=picked,
                     graph=graph, reorder=reorder)

    def say(line: str) -> None:
        if not quiet:
            env.err.write(f"gnnprop bench: {line}\n")
            env.err.flush()

    spec.check()
    # at the least: the features (float32) and node ids, the edges as int64 pairs and the loaded copy
    need = nodes * (features * 4 + memory.BYTES_PER_NODE) + edges * 16 * 2
    memory.require(need, f"the benchmark graph ({nodes:,} nodes, {edges:,} edges, {features} features)",
                   hint=f"use smaller {setting('nodes')} / {setting('edges')}")
    result = run_bench(spec, say)
    if name == "json":
        env.out.write(json.dumps(result, indent=2) + "\n")
        env.out.flush()
    else:
        render(env.console(env.out, tty=env.out_is_tty(), no_color=no_color), result)


def _num(x: Any, spec: str = ".3g") -> str:
    return "-" if x is None else format(x, spec)


def render(console, r: dict[str, Any]) -> None:
    """The result as Rich tables."""
    from rich.table import Table
    from rich.text import Text

    g, m, load, bound = r["graph"], r["machine"], r["load"], r["bound"]
    kind = g.get("file") or g.get("kind", "uniform")
    console.print(Text(f"graph: {kind}, {g['nodes']:,} nodes, {g['edges']:,} edges, {g['features']} features, "
                       f"seed {g['seed']} ({'file' if g.get('file') else 'CSV'} {g['csv_mb']} MB)", style="bold"))
    console.print(f"machine: {m['cpus']} cpus, torch {m['torch']} ({m['torch_threads']} threads), "
                  f"PyG {m['torch_geometric']}, copy bandwidth {m['copy_bandwidth_gbs']} GB/s; "
                  f"medians of {r['repeat']}", markup=False)
    console.print()

    t = Table(title="load the CSV edge file", title_justify="left")
    for col in ("loader", "seconds", "peak MB"):
        t.add_column(col, justify="left" if col == "loader" else "right")
    t.add_row("gnnprop.io.load_graph", _num(load["gnnprop_s"]), _num(load["gnnprop_peak_mb"], ".0f"))
    if load["numpy_s"] is not None:
        t.add_row("numpy.loadtxt", _num(load["numpy_s"]), _num(load["numpy_peak_mb"], ".0f"))
    console.print(t)
    if load["ratio"] is not None:
        console.print(f"gnnprop / numpy: {_num(load['ratio'])}x", markup=False)
    console.print()

    t = Table(title="one round: gnnprop's engine vs the reference (plain PyG); peak MB above the start",
              title_justify="left")
    for col in ("case", "kernel", "engine s", "ref s", "ref/engine", "engine MB", "ref MB", "prepare s", "agree"):
        t.add_column(col, justify="left" if col in ("case", "kernel", "agree") else "right", no_wrap=True)
    for c in r["cases"]:
        kernel = c["engine"]
        if c.get("reorder", "none") != "none":  # the node order, and what computing it took
            kernel += f" {c['reorder']} {_num(c.get('reorder_s'))} s"
        t.add_row(c["case"], kernel, _num(c["engine_s"]), _num(c["reference_s"]), f"{_num(c['ratio'])}x",
                  _num(c["engine_peak_mb"], ".0f"), _num(c["reference_peak_mb"], ".0f"), _num(c["prepare_s"]),
                  Text("yes" if c["agree"] else "NO", style="green" if c["agree"] else "bold red"))
    console.print(t)
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
