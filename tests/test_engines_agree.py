"""One table of run cases through both engines: the same flags give the same exit code, the same
stdout, the same stderr (but Spark's progress lines), and the same files, laid out the same way."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from .clitools import cli
from .spark_tools import skip_reason, write_random_graph

pytestmark = [pytest.mark.spark, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]

MAX = ["--aggr", "max", "--dtype", "float64", "--rounds", "1"]

# (name, args after GRAPH --node-features NODES, tty): every case runs on both engines
CASES = [
    ("json", [*MAX, "-f", "json"], False),
    ("ndjson", [*MAX, "-f", "ndjson"], False),
    ("csv", [*MAX, "-f", "csv"], False),
    ("tsv", [*MAX, "-f", "tsv"], False),
    ("text", [*MAX, "-f", "text"], False),
    ("json last", [*MAX, "-f", "json", "--last"], False),
    ("csv every", ["--aggr", "max", "--dtype", "float64", "--rounds", "3", "--every", "2", "-f", "csv"], False),
    ("ndjson nodes", [*MAX, "-f", "ndjson", "--nodes", "n3,n1"], False),
    ("pipe default", MAX, False),
    ("table on a terminal", [*MAX, "--max-rows", "0"], True),
    ("float32", ["--aggr", "min", "--rounds", "3", "-f", "csv"], False),
    ("rounds 0", ["--rounds", "0", "-f", "json"], False),
    ("nn", ["--layer", "nn", "--aggr", "max", "--dtype", "float64", "--rounds", "2", "-f", "csv"], False),
    ("residual", ["--layer", "residual", "--aggr", "max", "--dtype", "float64", "-f", "csv", "--rounds", "2"], False),
    ("list of aggregations", ["--aggr", "max,min", "--aggr-mode", "max", "--dtype", "float64", "--rounds", "2",
                              "-f", "csv"], False),
    ("undirected", [*MAX, "--undirected", "-f", "csv"], False),
    ("o json", [*MAX, "-o", "out.json"], False),
    ("o csv", [*MAX, "-o", "out.csv"], False),
    ("o tsv", [*MAX, "-o", "out.tsv"], False),
    ("o txt", [*MAX, "-o", "out.txt"], False),
    ("o npy", [*MAX, "-o", "out.npy"], False),
    ("o parquet file", [*MAX, "-o", "out.parquet"], False),
    ("o run folder", [*MAX, "-o", "out/"], False),
    ("o run folder every", ["--aggr", "max", "--dtype", "float64", "--rounds", "3", "--every", "2", "-o", "out/"],
     False),
    ("o run folder last", [*MAX, "--last", "-o", "out/"], False),
    ("o run folder nodes", [*MAX, "--nodes", "n1,n3", "-o", "out/"], False),
    ("o folder of files", [*MAX, "-f", "json", "-o", "out/"], False),
    ("save weights", ["--layer", "nn", "--aggr", "max", "--rounds", "1", "-o", "out.csv", "--save-weights",
                      "w.safetensors"], False),
    ("allow nonfinite", ["--message", "1e200 * x_j", "--aggr", "max", "--dtype", "float64", "--rounds", "3",
                         "--allow-nonfinite", "-f", "json"], False),
    # refusals and failures
    ("overflow", ["--message", "1e200 * x_j", "--aggr", "max", "--dtype", "float64", "--rounds", "4", "-f", "json"],
     False),
    ("unknown node", [*MAX, "--nodes", "ghost", "-f", "json"], False),
    ("unknown extension", [*MAX, "-o", "out.xyz"], False),
    ("binary to a terminal", [*MAX, "-f", "npy"], True),
    ("width cannot be fed back", ["--layer", "nn", "--out-dim", "3", "--rounds", "2", "-f", "json"], False),
    ("unknown format", [*MAX, "-f", "yaml"], False),
    ("folder with other files", [*MAX, "-o", "mine/"], False),
    ("output is an input", [*MAX, "-o", "NODES"], False),
]

#: Keys of the run's meta that say which engine ran (and how long it took)
ENGINE_KEYS = ("engine", "engine_note", "device", "seconds", "reorder", "start_seconds", "read_seconds", "blocks",
               "exchange", "exchange_why")


def _norm_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in ENGINE_KEYS}


def _norm_stdout(text: str, fmt_json: bool) -> str:
    if not fmt_json:
        import re

        return re.sub(r"computed in [0-9.e-]+ s;.*", "computed in T s", text, flags=re.S)
    doc = json.loads(text)
    doc["meta"] = _norm_meta(doc["meta"])
    return json.dumps(doc)


def _files(folder) -> dict:
    """What a case left in its folder: each file's content (normalised), a run folder's rounds as tables."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name in ("e.csv", "n.csv"):
            continue
        if os.path.isdir(path):
            if os.path.exists(os.path.join(path, "_gnnprop.json")):
                m = json.load(open(os.path.join(path, "_gnnprop.json")))
                rounds = {r: ds.dataset(os.path.join(path, f"round={r}"), format="parquet").to_table()
                          .sort_by("id").to_pylist() for r in m["written"]["rounds"]}
                kept = {k: m[k] for k in ("written", "num_nodes", "num_edges", "dtype", "config", "rounds_run",
                                          "stop_reason", "status")}
                kept["config"] = {k: v for k, v in kept["config"].items() if k not in ("engine", "spark")}
                out[name] = ("run folder", kept, rounds, sorted(n for n in os.listdir(path)
                                                                if not n.startswith(("part-", ".")) and "=" not in n))
            else:
                out[name] = ("folder", _files(path))
        elif name.endswith(".json"):
            doc = json.load(open(path))
            doc["meta"] = _norm_meta(doc["meta"])
            out[name] = doc
        elif name.endswith(".parquet"):
            out[name] = pq.read_table(path).to_pylist()
        elif name.endswith(".npy"):
            out[name] = np.load(path).tolist()
        elif name.endswith(".txt"):
            text = open(path).read()
            out[name] = _norm_stdout(text, False)
        else:
            out[name] = open(path, "rb").read()
    return out


def _stderr(text: str, folder) -> list[str]:
    return [line.replace(str(folder), "DIR") for line in text.splitlines() if not line.startswith("gnnprop: spark:")]


@pytest.mark.parametrize("name, args, tty", CASES, ids=[c[0] for c in CASES])
def test_both_engines_say_and_write_the_same(tmp_path, monkeypatch, spark_session, name, args, tty):
    edges, nodes = write_random_graph(tmp_path, seed=31, f=2)
    seen = {}
    for engine in ("auto", "spark"):
        work = tmp_path / engine
        work.mkdir()
        shutil.copy(edges, work / "e.csv")
        shutil.copy(nodes, work / "n.csv")
        (work / "mine").mkdir()
        (work / "mine" / "notes.txt").write_text("keep")
        monkeypatch.chdir(work)
        typed = [a if a != "NODES" else "n.csv" for a in args]
        res = cli("run", "e.csv", "--node-features", "n.csv", *typed, "--engine", engine, tty=tty)
        json_out = ("-o" not in typed) and (("-f" in typed and typed[typed.index("-f") + 1] == "json")
                                            or ("-f" not in typed and not tty))
        stdout = _norm_stdout(res.stdout, json_out) if res.code == 0 and res.stdout else res.stdout
        seen[engine] = (res.code, stdout, _stderr(res.stderr, work), _files(work))
    local, spark = seen["auto"], seen["spark"]
    assert spark[0] == local[0], (name, local[2], spark[2])
    assert spark[2] == local[2], name
    assert spark[1] == local[1], name
    assert spark[3] == local[3], name
