"""What ``--help`` shows besides the options: a one-line summary and examples for every command.

Every command is declared with ``@app.command(**helptext.spec("run"))``: the summary
is what ``gnnprop --help`` lists (whole, never cut to "..."), the examples close the
command's own ``--help``, and the usage line names arguments plainly
(``gnnprop run [OPTIONS] GRAPH``). The examples run from a clone's root; a test runs them.
"""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperCommand

SUMMARIES: dict[str, str] = {
    "run": "Propagate features round by round; show or write every round.",
    "inspect": "How one node's value was derived, message by message.",
    "plot": "Draw the graph, the rounds, or one node's derivation.",
    "explore": "One HTML page: move through the rounds, click a node.",
    "bench": "Time the engine against plain PyG, or Spark against the engine.",
    "validate": "Load a graph and report what it holds.",
    "convert": "Write a graph in another format (JSON, CSV, edge list).",
    "layers": "List layers, aggregations, round modes and features.",
    "config": "Show the config a run would use.",
    "config show": "Print the config a run with these flags would use, as YAML.",
}

EXAMPLES: dict[str, list[str]] = {
    "run": [
        "gnnprop run sample_graphs/seed_example.json --rounds 3",
        "gnnprop run sample_graphs/karate.json --layer gcn --features degree --last",
        "gnnprop run sample_graphs/karate.json -c configs/converge.yaml -f ndjson",
        "gnnprop run sample_graphs/*.json --rounds 2 -o out/",
    ],
    "inspect": [
        "gnnprop inspect sample_graphs/seed_example.json --node 0 --round 1",
        "gnnprop inspect sample_graphs/karate.json --node 33 --max-messages 5",
        "gnnprop inspect sample_graphs/seed_example.json --node 2 --layer nn -f json",
    ],
    "plot": [
        "gnnprop plot sample_graphs/karate.json --layer gcn --rounds 3 -o g.png",
        "gnnprop plot sample_graphs/seed_example.json --kind evolution --log -o e.png",
        "gnnprop plot sample_graphs/karate.json --kind derivation --node 33 -o d.png",
    ],
    "explore": [
        "gnnprop explore sample_graphs/seed_example.json -o seed.html",
        "gnnprop explore sample_graphs/karate.json --layer gcn -o k.html",
        "gnnprop explore sample_graphs/ca-grqc.txt --nodes 13 --rounds 3 -o g.html",
    ],
    "bench": [
        "gnnprop bench --num-nodes 100000 --num-edges 1000000",
        "gnnprop bench --num-nodes 10000 --cases fixed/max,gcn -f json",
        "gnnprop bench --engine spark --cases fixed/max,nn/mean --format json",
        "gnnprop bench --engine spark --num-nodes 10000 --spark-master 'local[2]'",
    ],
    "validate": [
        "gnnprop validate sample_graphs/ca-grqc.txt",
        "gnnprop validate sample_graphs/karate.csv --format json",
    ],
    "convert": [
        "gnnprop convert sample_graphs/ca-grqc.txt grqc.csv",
        "gnnprop convert sample_graphs/path3.json p.txt --nodes-out p.nodes.txt",
        "gnnprop convert sample_graphs/karate.csv - --to json",
    ],
    "layers": [
        "gnnprop layers",
        "gnnprop layers | grep '^aggr'",
    ],
    "config": [
        "gnnprop config show",
        "gnnprop config show -c configs/converge.yaml --aggr max",
    ],
    "config show": [
        "gnnprop config show",
        "gnnprop config show -c configs/converge.yaml --aggr max",
    ],
}


def examples_text(name: str) -> str:
    """The epilog: ``Examples:`` and one command a line, kept as written (``\\b`` stops click rewrapping)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])


class Command(TyperCommand):
    """A Typer command whose usage line names arguments plainly: ``GRAPH``, not ``{GRAPH}``, and
    ``GRAPH...`` for run's graphs (optional only because ``--paths-from`` can give them); its
    Arguments section shows their names, not Python's types (``GRAPH``, not ``GRAPH <list[str]>``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: None

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        pieces = [re.sub(r"^\{(.+)\}((\.\.\.)?)$", r"\1\2", p) for p in pieces]  # {GRAPH} -> GRAPH
        return [re.sub(r"^\[(.+)\]\.\.\.$", r"\1...", p) for p in pieces]  # [GRAPH]... -> GRAPH...


def spec(name: str) -> dict[str, Any]:
    """``app.command`` arguments for command ``name``: its class, summary and examples."""
    return {"cls": Command, "short_help": SUMMARIES[name], "epilog": examples_text(name)}
