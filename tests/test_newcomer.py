"""What a newcomer met first: the smoothing recipe (A_hat^K X, checked against numpy on a real graph),
the warning for rows a directed graph leaves empty, error lines on a terminal, one suggestion per
name, bench's table at 80 columns, PyG's generated files, and no "seed" jargon in what users read."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from gnnprop.cli import app
from gnnprop.cli.env import Env
from gnnprop.cli.errline import error_text

from .clitools import cli, fails

ROOT = pathlib.Path(__file__).resolve().parent.parent
GRQC = ROOT / "sample_graphs" / "ca-grqc.txt"


def _terminal(*args: str, width: int = 80):
    """The command as a person sees it: stdout and stderr terminals ``width`` columns wide."""
    env = Env(stdout_isatty=True, stderr_isatty=True, color=False, width=width)
    return CliRunner().invoke(app, [str(a) for a in args], obj=env, catch_exceptions=False)


# --- A_hat^K X: configs/sgc.yaml -------------------------------------------------------------------

def _a_hat_power(n: int, src: np.ndarray, dst: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """numpy: (D^-1/2 (A + I) D^-1/2)^k x, messages from src to dst; a node's own self loop counts once."""
    keep = src != dst
    s = np.concatenate([src[keep], np.arange(n)])
    d = np.concatenate([dst[keep], np.arange(n)])
    deg = np.bincount(d, minlength=n).astype(np.float64)
    w = 1.0 / np.sqrt(deg[s] * deg[d])
    for _ in range(k):
        out = np.zeros_like(x)
        np.add.at(out, d, w[:, None] * x[s])
        x = out
    return x


def _grqc_edges():
    ids, src, dst = {}, [], []
    for line in GRQC.read_text().splitlines():
        if line.startswith("#"):
            continue
        a, b = line.split()
        src.append(int(a))
        dst.append(int(b))
    for v in sorted(set(src) | set(dst)):  # gnnprop's node order: integer ids ascending
        ids[v] = len(ids)
    return len(ids), np.array([ids[v] for v in src]), np.array([ids[v] for v in dst])


def test_sgc_config_is_a_hat_to_the_k_on_a_real_graph():
    out = cli("run", GRQC, "-c", ROOT / "configs" / "sgc.yaml", "--features", "random", "--feature-dim", "3",
              "--dtype", "float64", "--rounds", "3", "-f", "json")
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    n, src, dst = _grqc_edges()
    assert doc["nodes"] == sorted(doc["nodes"]) and len(doc["nodes"]) == n == 5242
    x0 = np.array(doc["rounds"][0]["x"])
    for r in (1, 2, 3):
        want = _a_hat_power(n, src, dst, x0, r)
        got = np.array(doc["rounds"][r]["x"])
        assert np.linalg.norm(got - want) <= 1e-12 * np.linalg.norm(want), r
    assert doc["meta"]["layer"] == "appnp"


def test_sgc_config_has_no_weights_and_keeps_every_hop(tmp_path):
    weights = tmp_path / "w.safetensors"
    out = cli("run", ROOT / "sample_graphs" / "karate.json", "-c", ROOT / "configs" / "sgc.yaml", "--features",
              "degree", "-f", "csv", "--save-weights", weights)
    assert out.code == 0, out.stderr
    assert {line.split(",")[0] for line in out.stdout.splitlines()[1:]} == {"0", "1", "2"}
    from safetensors.numpy import load_file

    assert load_file(str(weights)) == {}  # nothing learned, nothing random


# --- rows a directed graph leaves without messages ---------------------------------------------------

def _citations(tmp_path) -> pathlib.Path:
    """A directed citation file: 0..4 cite 5..9; papers 0..4 are never cited; 10 stands alone (a self loop)."""
    p = tmp_path / "cites.txt"
    p.write_text("".join(f"{a} {b}\n" for a in range(5) for b in range(5, 10) if (a + b) % 2) + "10 10\n11 11\n")
    return p


def test_smoothing_a_directed_graph_warns_about_the_rows_it_empties(tmp_path):
    out = cli("run", _citations(tmp_path), "--message", "x_j", "--update", "aggr_out", "--aggr", "mean",
              "--rounds", "1", "-f", "csv")
    assert out.code == 0
    warning = [line for line in out.stderr.splitlines() if "receive none" in line]
    assert len(warning) == 1 and warning[0].startswith("gnnprop: warning: 5 of 12 nodes send messages")
    assert "--undirected" in warning[0] and "'aggr_out'" in warning[0]
    rows = [line.split(",") for line in out.stdout.splitlines()[1:] if line.startswith("1,")]
    assert [r[1] for r in rows if r[2] == "0.0"] == ["0", "1", "2", "3", "4"]  # what the warning is about


@pytest.mark.parametrize("flags", [["--undirected"], ["--update", "0.5 * x + 0.5 * aggr_out"],
                                   ["--layer", "gcn"], ["-c", str(ROOT / "configs" / "sgc.yaml")]])
def test_no_warning_where_no_row_is_emptied(tmp_path, flags):
    base = ["--message", "x_j", "--update", "aggr_out"] if "--layer" not in flags and "-c" not in flags else []
    out = cli("run", _citations(tmp_path), *base, "--aggr", "mean", "--rounds", "1", "-f", "csv", *flags)
    assert out.code == 0, out.stderr
    assert "receive none" not in out.stderr


def test_the_warning_reaches_inspect_too(tmp_path):
    out = cli("inspect", _citations(tmp_path), "--node", "0", "--message", "x_j", "--update", "aggr_out", "-f", "json")
    assert out.code == 0 and "5 of 12 nodes send messages but receive none" in out.stderr


# --- error lines ---------------------------------------------------------------------------------------

def test_an_error_on_a_terminal_is_wrapped_to_its_width():
    r = _terminal("run", str(ROOT / "sample_graphs" / "seed_example.json"), "--layer", "fixd", width=60)
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) > 1 and all(len(line) <= 60 for line in lines), lines
    assert lines[0].startswith("gnnprop: error: ") and all(line.startswith("  ") for line in lines[1:])
    piped = cli("run", ROOT / "sample_graphs" / "seed_example.json", "--layer", "fixd")
    fails(piped, 2, "unknown layer 'fixd'")  # one line in a pipe
    assert " ".join(line.strip() for line in lines) == piped.stderr.strip()


def test_error_text_keeps_words_and_paths_whole():
    path = "/a/very/long/path/" + "x" * 70 + ".json"
    text = error_text(f"{path}: line 3: expected a number", tty=True, width=40)
    assert path in text.replace("\n  ", "\n").splitlines()[1]  # on a line of its own, not cut
    assert error_text("a\nb", tty=False, width=10) == "gnnprop: error: a b\n"


@pytest.mark.parametrize("name, said", [("fixd", "closest: fixed (also nn, residual, or path/to/file.py"),
                                        ("resdual", "closest: residual (also fixed, nn, or"),
                                        ("sgg", "closest: sg (also fixed, nn, residual, or")])
def test_a_misspelled_layer_names_each_kind_once(name, said):
    out = cli("run", ROOT / "sample_graphs" / "seed_example.json", "--layer", name)
    fails(out, 2, said)
    line = out.stderr
    for kind in ("fixed", "nn", "residual"):
        assert len(re.findall(rf"\b{kind}\b", line.split("unknown layer")[1])) <= 1, (kind, line)


# --- bench at 80 columns ----------------------------------------------------------------------------------

def test_bench_table_fits_80_columns_and_cuts_no_number():
    r = _terminal("bench", "--num-nodes", "2000", "--num-edges", "10000", "--repeat", "1", "-q", "--reorder", "degree")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines), max(lines, key=len)
    assert "…" not in r.stdout
    table = r.stdout.split("one round:")[1]
    for case in ("fixed/max", "fixed/sum", "nn/mean", "residual/add", "gcn"):
        row = next(line for line in table.splitlines() if line.startswith(f" {case} "))
        cells = row.split()
        assert cells[1] == "fused" and cells[-1] == "yes" and cells[4].endswith("x")
        assert all(re.fullmatch(r"[\d.,]+x?", c) for c in cells[2:-1]), row
    assert "fixed/max: node order degree (" in r.stdout


# --- PyG's generated code -------------------------------------------------------------------------------------

LAYER = '''
import glob, os, sys, tempfile
from torch_geometric.nn import MessagePassing

class Shout(MessagePassing):
    def __init__(self):
        super().__init__(aggr="sum")
        made = glob.glob(os.path.join(tempfile.gettempdir(), "*_propagate_*.py"))
        print(f"TMP {tempfile.gettempdir()} {len(made)}", file=sys.stderr)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)
'''


def test_pyg_generated_code_goes_to_a_private_folder_removed_at_exit(tmp_path):
    (tmp_path / "shout.py").write_text(LAYER)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    for layer in ("shout.py:Shout", "gat"):
        out = subprocess.run([sys.executable, "-m", "gnnprop", "run", str(ROOT / "sample_graphs" / "karate.json"),
                              "--layer", layer, "--rounds", "1", "-f", "csv", "--engine", "reference"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        if layer.startswith("shout"):
            said = next(line for line in out.stderr.splitlines() if line.startswith("TMP "))
            folder, count = said.split()[1:]
            assert pathlib.Path(folder).parent == tmp and pathlib.Path(folder).name.startswith("gnnprop-")
            assert int(count) >= 1  # PyG wrote its code there
        assert list(tmp.iterdir()) == []  # and nothing is left


# --- no "seed" jargon ------------------------------------------------------------------------------------------

JARGON = re.compile(r"seed 00\d|\bseed'?s\b(?! of)|seed doc", re.IGNORECASE)


def test_no_seed_jargon_in_configs_help_or_docs():
    texts = {p.name: p.read_text() for p in sorted((ROOT / "configs").glob("*.yaml"))}
    texts.update({p.name: p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))})
    for command in ("run", "inspect", "plot", "bench", "validate", "convert", "layers", "explore", "config show"):
        texts[f"{command} --help"] = cli(*command.split(), "--help").stdout
    texts["layers"] = cli("layers").stdout
    bad = {name: JARGON.findall(text) for name, text in texts.items() if JARGON.search(text)}
    assert not bad, bad


def test_the_residual_width_error_names_the_snippet():
    fails(cli("run", ROOT / "sample_graphs" / "path3.json", "--layer", "residual", "--out-dim", "32", "--rounds", "1"),
          2, "the dynamic-rounds snippet's own 16 -> 32 example")
