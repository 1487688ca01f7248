"""Every option of every command, declared once: its flags, its placeholder, what it means.

A command takes an option with ``name: Annotated[type, spec.opt("format")] = default``; it
may word the help for itself (``help=...``) but never the flags or the placeholder, so a flag
means one thing in every command (a test walks them all). The config's settings are options
too: :data:`gnnprop.config.flags.FLAGS` is their table, turned into options here. The CLI
reference in ``docs/cli.md`` is generated from the commands these build
(:mod:`gnnprop.cli.reference`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import typer

from ..config.flags import CONFIG, FLAGS, GRAPH

OUTPUT, PICTURE, BENCH = "Output", "Picture", "Benchmark"


def complete(*names: str) -> Callable[[str], list[str]]:
    """Shell completion (``gnnprop --install-completion``) of an option's value from ``names``."""
    def values(incomplete: str) -> list[str]:
        return [n for n in names if n.startswith(incomplete)]
    return values


def _formats(incomplete: str) -> list[str]:
    from ..output.formats import FORMATS

    return [f for f in FORMATS if f.startswith(incomplete)]


def _graph_formats(incomplete: str) -> list[str]:
    from ..io.save import SAVE_FORMATS

    return [f for f in SAVE_FORMATS if f.startswith(incomplete)]


@dataclass(frozen=True)
class Opt:
    flags: tuple[str, ...]       # the long flag first ("--format", "-f"; "--last"; "--undirected/--directed")
    metavar: str | None          # the placeholder of its value (None: an on/off flag)
    help: str
    panel: str | None = None
    complete: Callable | None = None
    extra: dict = field(default_factory=dict)  # min, max, show_default, ...

    @property
    def long(self) -> str:
        return self.flags[0].split("/")[0]


OPTIONS: dict[str, Opt] = {
    # graph input
    "paths_from": Opt(("--paths-from",), "FILE", "Read graph paths from FILE (- for stdin), one a line; # comments "
                      "and blank lines are skipped.", GRAPH),
    "input_format": Opt(("--input-format",), "FORMAT", "json | csv | edgelist | parquet (default: from the "
                        "extension).", GRAPH, complete("json", "csv", "edgelist", "parquet")),
    "node_features": Opt(("--node-features",), "FILE", "Node table for CSV / edge lists / Parquet: id,f1,f2,... "
                         "(.parquet: id and x or feature columns).", GRAPH),
    # the layer's parameters
    "config": Opt(("--config", "-c"), "FILE", "YAML config file.", CONFIG),
    "weights": Opt(("--weights",), "FILE", "Load the layer's parameters (.safetensors; .pt tensors only).", CONFIG),
    "save_weights": Opt(("--save-weights",), "FILE", "Write the layer's parameters after initialisation "
                        "(.safetensors).", CONFIG),
    # output
    "format": Opt(("--format", "-f"), "FORMAT", "The output's format.", OUTPUT, _formats),
    "output": Opt(("--output", "-o"), "PATH", "Write here instead of stdout.", OUTPUT),
    "last": Opt(("--last",), None, "Only the final round.", OUTPUT),
    "every": Opt(("--every",), "K", "Every K-th round (and the last).", OUTPUT, extra={"min": 1}),
    "nodes": Opt(("--nodes",), "IDS", "Only these node ids, comma separated.", OUTPUT),
    "precision": Opt(("--precision",), "N", "At most N digits after the point.", OUTPUT,
                     extra={"min": 0, "max": 17}),
    "max_rows": Opt(("--max-rows",), "N", "Rows per table before eliding (0: all; default 20 on a terminal, all "
                    "in a .txt file).", OUTPUT, extra={"min": 0, "show_default": False}),
    "max_cols": Opt(("--max-cols",), "N", "Feature columns per table (0: all; default: as many as fit the "
                    "terminal, all in a .txt file).", OUTPUT, extra={"min": 0, "show_default": False}),
    "no_color": Opt(("--no-color",), None, "No colour (NO_COLOR is honoured too).", OUTPUT),
    "allow_nonfinite": Opt(("--allow-nonfinite",), None, "Keep going when values overflow (JSON writes null for "
                           "inf/nan).", OUTPUT),
    "resume": Opt(("--resume",), "OUT", "Continue the stopped run in the run folder OUT from its last complete "
                  "round (its config, graph and output come from OUT; GRAPH only when the file has moved).", OUTPUT),
    "verbose": Opt(("--verbose",), None, "Also show what the engine itself logs (Spark's JVM warnings).", OUTPUT),
    "quiet": Opt(("--quiet", "-q"), None, "No progress lines on stderr."),
    # one node
    "node": Opt(("--node", "-n"), "ID", "The node's id."),
    "round": Opt(("--round", "-r"), "R", "The round (1 = the first)."),
    "all_rounds": Opt(("--all-rounds",), None, "Every round the run computes."),
    "from_run": Opt(("--from-run",), "OUT", "Explain from a finished run folder (gnnprop run ... -o OUT/, either "
                    "engine): its config, graph and parameters come from OUT, and round R-1 of the node and its "
                    "in-neighbours is read instead of recomputing the rounds."),
    "max_messages": Opt(("--max-messages",), "N", "Message lines to show before a summary (0: all).",
                        extra={"min": 0}),
    # pictures
    "kind": Opt(("--kind", "-k"), "KIND", "graph | evolution | derivation.", PICTURE),
    "feature": Opt(("--feature",), "K", "Which feature colours / is traced (0 = x0).", PICTURE, extra={"min": 0}),
    "log": Opt(("--log",), None, "Log colour / y scale (symlog when values are not all positive), for values that "
               "explode.", PICTURE),
    "layout": Opt(("--layout",), "NAME", "graph: spring | circle.", PICTURE),
    "sample": Opt(("--sample",), "N", "graph: draw this many nodes, breadth-first around --node or the busiest "
                  "node.", PICTURE, extra={"min": 1, "show_default": False}),
    "max_nodes": Opt(("--max-nodes",), "N", "graph: refuse to draw more nodes than this without --sample.",
                     PICTURE, extra={"min": 1}),
    "size": Opt(("--size",), "WxH", "Figure size in inches, WxH.", PICTURE),
    "dpi": Opt(("--dpi",), "N", "Dots per inch (png).", PICTURE, extra={"min": 10, "max": 1200}),
    "title": Opt(("--title",), "TEXT", "Replace the title.", PICTURE, extra={"show_default": False}),
    "max_neighbours": Opt(("--max-neighbours",), "N", "derivation: in-neighbours drawn (max/min winners first; "
                          "the rest counted; 0: all).", PICTURE, extra={"min": 0}),
    # explore
    "derivations": Opt(("--derivations",), "N", "Record the derivations of this many nodes, nearest --nodes first "
                       "(default: as many as fit in about 3 MB).", extra={"min": 0, "show_default": False}),
    "serve": Opt(("--serve",), None, "Then serve the page on 127.0.0.1 (loopback only) and open it in a browser, "
                 "until Ctrl-C."),
    "port": Opt(("--port",), "N", "--serve: the port (0: any free one).", extra={"min": 0, "max": 65535}),
    # convert
    "to": Opt(("--to", "-t"), "FORMAT", "The graph format (default: from OUT's extension).",
              complete=_graph_formats, extra={"show_default": False}),
    "nodes_out": Opt(("--nodes-out",), "FILE", "Also write the node ids and features here.",
                     extra={"show_default": False}),
    # bench
    "num_nodes": Opt(("--num-nodes",), "N", "Nodes of the random graph.", BENCH),
    "num_edges": Opt(("--num-edges",), "N", "Distinct directed edges of the random graph, no self loops.", BENCH),
    "num_features": Opt(("--num-features",), "N", "Features per node (standard normal, float32).", BENCH),
    "repeat": Opt(("--repeat",), "N", "Timed repetitions of each phase (medians are reported).", BENCH),
    "cases": Opt(("--cases",), "LIST", "Comma-separated subset of the cases.", BENCH),
    "graph": Opt(("--graph",), "KIND", "uniform | rmat | a graph file.", BENCH),
    "row_level": Opt(("--row-level",), None, "--engine spark: also run each case on the engine's row-level rounds "
                     "(a join and a groupBy a round, as before its blocks), for comparison.", BENCH,
                     extra={"show_default": False}),
    "sizes": Opt(("--sizes",), "LIST", "--engine spark: a sweep of graphs, NODES/EDGES pairs (K, M, G), e.g. "
                 "100K/1M,300K/3M,1M/10M (instead of --num-nodes / --num-edges).", BENCH,
                 extra={"show_default": False}),
    # gnnprop itself
    "version": Opt(("--version",), None, "Print the version and exit."),
    "debug": Opt(("--debug",), None, "Show a traceback with errors."),
}

def _layer_names(incomplete: str) -> list[str]:
    from ..layers import KIND_MODULES, PYG_FRIENDLY

    return complete(*KIND_MODULES, *PYG_FRIENDLY)(incomplete)


def _aggregations(incomplete: str) -> list[str]:
    """A name, or the next name of a comma list (``mean,m`` -> ``mean,max``, ``mean,min``, ...)."""
    from ..aggregation import AGGREGATIONS, ALIASES

    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    return [prefix + n for n in (*AGGREGATIONS, *ALIASES) if n.startswith(last)]


_DYNAMIC = {"layers": _layer_names, "aggregations": _aggregations}


def _config_option(f) -> Opt:
    done = _DYNAMIC[f.complete] if isinstance(f.complete, str) else complete(*f.complete) if f.complete else None
    return Opt((f.declaration,), None if f.type is bool else f.metavar, f.help, f.panel, done,
               {"show_default": False} if f.type is bool else {})


#: The config's settings, one option each (their flags and placeholders from the table of settings).
CONFIG_OPTIONS: dict[str, Opt] = {f.key: _config_option(f) for f in FLAGS}


def opt(key: str, **override: Any):
    """The ``typer.Option`` of the option ``key`` (``help`` and the defaults' display may be worded per
    command; the flags and the placeholder may not)."""
    o = OPTIONS[key] if key in OPTIONS else CONFIG_OPTIONS[key]
    kw: dict[str, Any] = {"help": o.help, "rich_help_panel": o.panel, **o.extra}
    if o.metavar is not None:
        kw["metavar"] = o.metavar
    if o.complete is not None:
        kw["autocompletion"] = o.complete
    kw.update(override)
    return typer.Option(*o.flags, **kw)


def every_option() -> dict[str, Opt]:
    return {**CONFIG_OPTIONS, **OPTIONS}
