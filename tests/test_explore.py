"""`gnnprop explore`: the page's recorded derivations are inspect's, for every layer kind; its size on a
Cora-sized graph; sampling; refusals; --serve on loopback. (The page in a real browser:
test_explore_browser.py.)"""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from gnnprop.configure import apply_overrides, load_config
from gnnprop.config.flags import FLAGS
from gnnprop.engine.session import open_session
from gnnprop.tracing import explain, to_dict
from gnnprop.tracing.batch import explain_many

from .clitools import cli, fails
from .exploretools import page_data, recorded_steps

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_graphs"
KARATE = SAMPLES / "karate.json"
SEED = SAMPLES / "seed_example.json"
USER = str(ROOT / "tests" / "fixtures" / "seed_layers.py")

KINDS = [
    [],
    ["--aggr", "mean", "--message", "x_j", "--update", "0.5 * x + 0.5 * aggr_out"],
    ["--aggr", "min", "--dtype", "float64"],
    ["--aggr", "std"],
    ["--aggr", "mean,max", "--aggr-mode", "sum"],
    ["--layer", "nn", "--aggr", "mean,max"],
    ["--layer", "nn"],
    ["--layer", "nn", "--engine", "reference", "--aggr", "max"],
    ["--layer", "residual"],
    ["--layer", "gcn"],
    ["--layer", "gat", "--arg", "heads=2", "--arg", "concat=false"],
    ["--layer", "sage"],
    ["-c", str(ROOT / "configs" / "sgc.yaml")],
    ["--layer", f"{USER}:self_designed_MessagePassingLayer"],
    ["--layer", f"{USER}:NN_MessagePassingLayer", "--arg", "input_dim=1", "--arg", "hidden_dim=3",
     "--arg", "output_dim=1"],
]


@pytest.mark.parametrize("flags", KINDS, ids=[" ".join(k)[-40:] or "fixed max" for k in KINDS])
def test_the_page_records_what_inspect_gives_for_every_layer_kind(tmp_path, flags):
    page = tmp_path / "k.html"
    out = cli("explore", KARATE, "--features", "degree", "--rounds", "2", *flags, "-o", page)
    assert out.code == 0, out.stderr
    assert out.stdout == "" and f"gnnprop: wrote {page} (" in out.stderr
    data, _ = page_data(page.read_text())
    steps = recorded_steps(data)
    assert sorted(steps) == list(range(34)) and data["rounds"] == 2  # small: every node's derivations
    for node in (0, 11, 33):  # the CLI's inspect, as a user runs it
        got = cli("inspect", KARATE, "--features", "degree", "--rounds", "2", *flags, "--node", str(node),
                  "--all-rounds", "-f", "json")
        assert got.code == 0, got.stderr
        assert steps[node] == json.loads(got.stdout)["steps"], node


def _session(**settings):
    cfg = apply_overrides(load_config(None), {f.path: settings.get(f.key) for f in FLAGS})
    return open_session(str(KARATE), cfg)


@pytest.mark.parametrize("settings", [{}, {"layer": "nn"}, {"layer": "gcn"}, {"engine": "reference", "aggr": "sum"},
                                      {"layer": "residual", "dtype": "float64"}, {"layer": "gin"}])
def test_explain_many_is_explain_for_every_node_and_round(settings):
    session = _session(features="degree", rounds=3, **settings)
    many = explain_many(session, range(34))
    for node in range(34):
        one = to_dict(explain(session, node, all_rounds=True), session.numpy_dtype)
        batch = to_dict(many[node], session.numpy_dtype)
        one["meta"].pop("seconds")
        batch["meta"].pop("seconds")
        assert batch == one, node


def test_a_cora_sized_page_is_under_5_mb_and_says_what_it_holds(cora_page):
    size = cora_page.page.stat().st_size
    assert size < 5_000_000, size
    said = cora_page.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"gnnprop: wrote .*cora\.html \(\d\.\d MB\): 2,708 of 2,708 nodes drawn, derivations of "
                        r"\d+, 10 rounds", said), said
    html = cora_page.page.read_text()
    data, levels = page_data(html)
    k = len(data["records"])
    assert 100 <= k < 2708 and f"Derivations are recorded for {k:,} of the 2,708 drawn nodes" in html
    assert levels.size == 11 * len(data["channels"]) * 2708 and data["channels"][:2] == ["norm", "x0"]
    assert html.count('<circle class="n"') == 2708


def test_the_page_fetches_nothing(cora_page):
    html = cora_page.page.read_text()
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}  # a namespace
    assert not re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=|@import|url\((?!#)", html)
    assert "default-src 'none'" in html  # and the browser is told to refuse any fetch


def test_a_large_graph_is_drawn_around_the_chosen_nodes(tmp_path):
    page = tmp_path / "g.html"
    out = cli("explore", SAMPLES / "ca-grqc.txt", "--undirected", "--nodes", "13", "--max-nodes", "400",
              "--rounds", "2", "-o", page)
    assert out.code == 0, out.stderr
    assert "400 of 5,242 nodes drawn" in out.stderr
    html = page.read_text()
    assert "400 of 5,242 nodes are drawn (at most 400: --max-nodes), breadth-first around node 13" in html
    data, _ = page_data(html)
    steps = recorded_steps(data)
    assert 13 in steps and data["ids"][data["pinned"][0]] == 13
    ref = cli("inspect", SAMPLES / "ca-grqc.txt", "--undirected", "--rounds", "2", "--node", "13", "--all-rounds",
              "-f", "json")
    assert steps[13] == json.loads(ref.stdout)["steps"]


def test_derivations_counts_exactly_and_the_page_is_the_same_every_time(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for p in (a, b):
        assert cli("explore", KARATE, "--derivations", "5", "--nodes", "33", "-o", p).code == 0
    assert a.read_bytes() == b.read_bytes()
    data, _ = page_data(a.read_text())
    assert len(data["records"]) == 5 and 33 in recorded_steps(data)


@pytest.mark.parametrize("args, code, words", [
    ([], 2, ["-o FILE.html", "--serve"]),
    (["-o", "page.txt"], 2, ["page.txt", "HTML"]),
    (["--nodes", "99", "-o", "p.html"], 1, ["99"]),
    (["--feature", "5", "-o", "p.html"], 2, ["--feature", "5"]),
    (["--layer", "fixd", "-o", "p.html"], 2, ["unknown layer 'fixd'"]),
])
def test_refusals_are_one_line(tmp_path, monkeypatch, args, code, words):
    monkeypatch.chdir(tmp_path)
    fails(cli("explore", SEED, *args), code, *words)
    assert not list(tmp_path.iterdir())


def test_serve_answers_on_loopback_only_the_page(tmp_path):
    page = tmp_path / "s.html"
    env = {**os.environ, "BROWSER": "true"}  # webbrowser runs `true URL`: no browser in a test
    proc = subprocess.Popen([sys.executable, "-m", "gnnprop", "explore", str(SEED), "-o", str(page), "--serve"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        url = None
        deadline = time.time() + 120
        while url is None and time.time() < deadline:
            line = proc.stderr.readline()
            found = re.search(r"serving .* at (http://127\.0\.0\.1:\d+/) \(loopback only", line)
            url = found.group(1) if found else None
        assert url, "no serving line"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and r.read() == page.read_bytes()
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url + "etc/passwd", timeout=10)
        assert e.value.code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0 and "stopped serving" in rest


def test_edge_cases_a_lone_node_no_rounds_and_ids_that_look_like_markup(tmp_path):
    lone = tmp_path / "one.json"
    lone.write_text('{"x": [[1.5, -2.0]], "edge_index": [[], []]}')
    page = tmp_path / "one.html"
    assert cli("explore", lone, "--rounds", "0", "-o", page).code == 0
    data, levels = page_data(page.read_text())
    assert data["rounds"] == 0 and data["vectors"][data["inputs"]["0"]] == [1.5, -2.0] and levels.size == 3
    odd = tmp_path / "odd.csv"
    odd.write_text('src,dst\n"<b>a</b>",b\nb,"c&d"\n')
    page = tmp_path / "odd.html"
    assert cli("explore", odd, "--rounds", "1", "--nodes", "<b>a</b>", "--title", "<i>t</i>", "-o", page).code == 0
    html = page.read_text()
    assert "<b>a</b>" not in html and "<i>t</i>" not in html and "<h1>&lt;i&gt;t&lt;/i&gt;</h1>" in html
    assert page_data(html)[0]["ids"] == ["<b>a</b>", "b", "c&d"]
