"""Every layer `gnnprop layers` lists either runs on karate with gnnprop's defaults, or is refused
before it is built, in one line of gnnprop's own words naming what it needs (config keys, edge
attributes, or why no config makes it run). Walked through the CLI on karate with and without edge
attributes; no message may carry a Python exception's own text."""

from __future__ import annotations

import json
import re

import pytest
import torch

from .clitools import cli
from .zoo import KARATE

#: What a layer that says it needs arguments is given to show that it then runs.
EXAMPLE_ARGS = {
    "GatedGraphConv": ["num_layers=2"],
    "SSGConv": ["alpha=0.1"],
    "GMMConv": ["kernel_size=2"],
    "PNAConv": ["aggregators=[mean, max]", "scalers=[identity, amplification]", "deg=[0, 4, 6, 3]"],
}
#: Words of exception messages (PyG's, torch's, Python's) that must never reach the user here.
EXCEPTION_TEXT = re.compile(r"positional argument|has no attribute|NoneType|shapes cannot be multiplied|"
                            r"must match|Traceback|Error\b|expected .* got|object is not|__init__\(\)")


def listed() -> dict[str, str]:
    """``{name: text}`` of every PyG layer `gnnprop layers` lists (as a pipe reads it)."""
    out = cli("layers")
    assert out.code == 0 and out.stderr == ""
    rows = [line.split(None, 2) for line in out.stdout.splitlines() if line.startswith("layer ")]
    return {name: text for _, name, text in rows if text.startswith(("PyG", "cannot run"))}


@pytest.fixture(scope="module")
def graphs(tmp_path_factory) -> dict[str, str]:
    """karate with 6 random features (MixHopConv's 3 powers then keep the width), without and
    with 2 edge attributes."""
    from gnnprop.io import load_graph

    g = load_graph(KARATE)
    gen = torch.Generator().manual_seed(7)
    base = {"x": torch.randn(g.num_nodes, 6, generator=gen).tolist(), "edge_index": g.edge_index.tolist()}
    folder = tmp_path_factory.mktemp("walk")
    files = {}
    for name, extra in (("plain", {}), ("attr", {"edge_attr": torch.randn(g.num_edges, 2, generator=gen).tolist()})):
        path = folder / f"karate_{name}.json"
        path.write_text(json.dumps({**base, **extra}))
        files[name] = str(path)
    return files


def run(path: str, name: str, *args: str):
    flags = [a for kv in args for a in ("--arg", kv)]
    return cli("run", path, "--layer", name, *flags, "--rounds", "2", "--last", "-f", "csv")


def refused(out, *words: str) -> str:
    """The one line of a refusal before any output, checked to be gnnprop's own words."""
    assert out.code == 2, (out.code, out.stdout[:200], out.stderr)
    assert out.stdout == "" and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gnnprop: error: "), out.stderr
    assert not EXCEPTION_TEXT.search(lines[0]), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_the_walk_covers_every_pyg_class():
    from gnnprop.layers import pyg

    names = listed()
    assert len(names) == len(pyg.classes()) and "FusedGATConv" in names and "gcn" in names
    assert names["FusedGATConv"].startswith("cannot run in gnnprop: it takes the dgNN package's")
    assert names["CGConv"] == "PyG; args: batch_norm, bias"  # its edge width, dim, comes from the graph


def test_every_listed_layer_runs_or_says_what_it_needs(graphs):
    counts = {"runs": 0, "needs args": 0, "needs edge attributes": 0, "cannot run": 0}
    for name, text in listed().items():
        cls = re.sub(r"^PyG (\w+).*", r"\1", text) if text.startswith("PyG ") else name
        if text.startswith("cannot run in gnnprop: "):
            why = text.removeprefix("cannot run in gnnprop: ")
            for path in graphs.values():
                refused(run(path, name), f"{cls} cannot run in gnnprop: {why}")
            counts["cannot run"] += 1
            continue
        need = re.search(r"; needs (.*?); args:", text)
        need = need.group(1) if need else ""
        graph = graphs["plain"]
        if need.startswith("edge attributes"):
            refused(run(graph, name), f"{cls} needs edge attributes (edge_attr in the graph file), "
                                      "and this graph has none")
            graph = graphs["attr"]
            need = need.removeprefix("edge attributes (edge_attr in the graph file)").removeprefix(" and ")
            counts["needs edge attributes"] += 1
        if need:
            refused(run(graph, name), f"{cls} needs {need} (layer: {{type: {name}, ")
            counts["needs args"] += 1
        for path in (graph, graphs["attr"]):
            out = run(path, name, *EXAMPLE_ARGS.get(cls, []))
            assert out.code == 0, (name, out.stderr)
            assert out.stdout.startswith("round,node,x0,"), name
        counts["runs"] += 1
    assert counts["runs"] >= 35 and counts["cannot run"] >= 15, counts
    assert counts["needs args"] == len(EXAMPLE_ARGS) and counts["needs edge attributes"] >= 4, counts


def test_width_arguments_under_other_names_come_from_the_graph(graphs):
    from gnnprop.configure import from_mapping
    from gnnprop.engine.session import prepare
    from gnnprop.io import load_graph

    g = load_graph(graphs["attr"])
    for name, attr, want in (("CGConv", "dim", 2), ("GeneralConv", "in_edge_channels", 2), ("gat", "edge_dim", 2),
                             ("PDNConv", "hidden_channels", 6)):
        layer = prepare(g, from_mapping({"layer": {"type": name}, "rounds": 1})).params
        assert getattr(layer, attr) == want, name
    layer = prepare(g, from_mapping({"layer": {"type": "PDNConv", "hidden_dim": 3}, "rounds": 1})).params
    assert layer.hidden_channels == 3
    layer = prepare(g, from_mapping({"layer": {"type": "GINEConv"}, "rounds": 1})).params
    assert layer.lin.weight.shape == (6, 2)  # GINEConv maps the 2 edge attributes to the node width


def test_the_terminal_listing_fits_80_columns_and_breaks_only_between_words():
    wrapped = cli_at(80)
    assert all(len(line) <= 80 for line in wrapped.splitlines()), max(wrapped.splitlines(), key=len)
    # read the entries back: a name at column 2, its text from column 18 or after the name, continued
    # on lines indented 18; joined with single spaces they are the pipe's entries, word for word
    entries, current = [], None
    for line in wrapped.splitlines():
        if line.startswith(" " * 18):
            current[1] += " " + line.strip()
        elif line.startswith("  ") and not line.startswith("   "):
            name, text = line.strip().split("  ", 1)
            current = [name, text.strip()]
            entries.append(current)
    plain = [re.split(r"\s{2,}", line, maxsplit=2)[1:] for line in cli("layers").stdout.splitlines()]
    cannot = [[n, t.removeprefix("cannot run in gnnprop: ")] for n, t in plain if t.startswith("cannot run")]
    plain = [p for p in plain if not p[1].startswith("cannot run")]
    user = next(k for k, (n, _) in enumerate(plain) if n == "FILE.py:Class")
    assert entries == plain[:user + 1] + cannot + plain[user + 1:]
    assert "\nPyG layers gnnprop cannot run\n  GravNetConv     it builds a graph of its own" in wrapped


def cli_at(width: int) -> str:
    """``gnnprop layers`` as a terminal of ``width`` columns shows it."""
    from typer.testing import CliRunner

    from gnnprop.cli import app
    from gnnprop.cli.env import Env

    result = CliRunner().invoke(app, ["layers"], obj=Env(stdout_isatty=True, stderr_isatty=False, color=False,
                                                          width=width), catch_exceptions=False)
    assert result.exit_code == 0
    return result.stdout
