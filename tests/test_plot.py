"""``gnnprop plot``: every kind renders on the sample graphs; refusals are clean."""

import struct
import sys

import numpy as np
import pytest

from gnnprop import plot as P

from .clitools import cli, fails
from .conftest import SAMPLES

SEED = SAMPLES / "seed_example.json"
GRQC = SAMPLES / "ca-grqc.txt"
MEAN = ["--message", "x_j", "--update", "0.5 * x + 0.5 * aggr_out", "--aggr", "mean"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def drawn(tmp_path, *args, name="fig.png"):
    out = tmp_path / name
    r = cli("plot", *args, "-o", out, "--size", "4x3", "--dpi", "50")
    assert r.code == 0, r.stderr
    assert r.stdout == ""
    assert r.stderr.splitlines()[-1] == f"gnnprop: wrote {out}"
    return out.read_bytes(), r.stderr


@pytest.mark.parametrize("args", [
    [SEED, "--rounds", "10"],
    [SEED, "--kind", "evolution", "--rounds", "10", "--log"],
    [SEED, "--kind", "derivation", "--node", "0"],
    [SAMPLES / "karate.json", "--layer", "gcn", "--rounds", "3", "--features", "degree", "--feature", "0"],
    [SAMPLES / "karate.json", "--kind", "evolution", "--features", "degree", *MEAN],  # 34 nodes: a heatmap
    [SAMPLES / "karate.json", "--kind", "derivation", "--node", "33", "--features", "degree", *MEAN],
    [GRQC, "--undirected", "--features", "degree", "--sample", "150", "--rounds", "2", *MEAN],
    [GRQC, "--undirected", "--features", "degree", "--kind", "evolution", "--rounds", "3", *MEAN],  # rows sampled
    [SAMPLES / "path3.json", "--layer", "nn", "--kind", "derivation", "--node", "1", "--round", "2"],
    [SEED, "--layout", "circle", "--round", "0", "--log"],
], ids=["graph", "evolution-lines-log", "derivation", "gcn-graph", "evolution-heatmap", "derivation-34",
        "sampled-graph", "heatmap-rows", "derivation-nn", "circle-round0"])
def test_every_kind_renders(tmp_path, args):
    data, _ = drawn(tmp_path, *args)
    assert png_size(data) == (200, 150)  # 4x3 inches at 50 dpi
    assert len(data) > 3000  # something was drawn


def test_svg_pdf_and_the_same_bytes_every_time(tmp_path):
    svg, _ = drawn(tmp_path, SEED, "--kind", "derivation", "--node", "0", name="d.svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert b"(12.5, 8)" in svg or b"12.5" in svg  # the update's value is in the picture's text
    pdf, _ = drawn(tmp_path, SEED, name="g.pdf")
    assert pdf.startswith(b"%PDF")
    again, _ = drawn(tmp_path, SEED, name="g.pdf")
    assert again == pdf
    one, _ = drawn(tmp_path, SAMPLES / "karate.json", name="a.png")
    two, _ = drawn(tmp_path, SAMPLES / "karate.json", name="b.png")
    assert one == two  # the layout is seeded; no timestamps


def test_log_is_suggested_when_values_explode(tmp_path):
    _, err = drawn(tmp_path, SEED, "--kind", "evolution", "--rounds", "10")
    assert "--log may read better" in err
    _, err = drawn(tmp_path, SEED, "--kind", "evolution", "--rounds", "1")
    assert "--log" not in err


def test_refusals(tmp_path):
    out = tmp_path / "x.png"
    fails(cli("plot", GRQC, "-o", out), 2, "5,242 nodes", "--sample", "--kind evolution")
    fails(cli("plot", SEED, "-o", out, "--kind", "derivation"), 2, "--node")
    fails(cli("plot", SEED, "-o", out, "--kind", "histogram"), 2, "--kind", "histogram")
    fails(cli("plot", SEED, "-o", tmp_path / "x.gif"), 2, ".png", ".svg", ".pdf")
    fails(cli("plot", SEED, "-o", out, "--feature", "2"), 2, "--feature", "width 2")
    fails(cli("plot", SEED, "-o", out, "--round", "11"), 2, "--round", "11")
    fails(cli("plot", SEED, "-o", out, "--size", "big"), 2, "--size")
    fails(cli("plot", SEED, "-o", out, "--layout", "tree"), 2, "--layout")
    fails(cli("plot", SEED, "-o", out, "--kind", "derivation", "--node", "7"), 1, "no node with id '7'")
    fails(cli("plot", SEED, "-o", tmp_path / "no" / "x.png"), 2, "--output", "does not exist")
    assert not out.exists()


def test_without_matplotlib_it_says_how_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    fails(cli("plot", SEED, "-o", tmp_path / "x.png"), 2, "needs matplotlib", "pip install 'gnnprop[plot]'")


def test_sample_is_a_connected_ball_around_the_centre():
    # a path 0-1-2-...-9 plus an isolated pair 10-11
    src = np.array(list(range(9)) + [10])
    dst = np.array(list(range(1, 10)) + [11])
    ei = np.stack([src, dst])
    nodes, centre = P.sample_nodes(12, ei, 3, 5)
    assert nodes.tolist() == [4, 5, 6] and centre == 5
    assert P.sample_nodes(12, ei, 12, 5)[0].tolist() == list(range(12))  # then the other component
    nodes, centre = P.sample_nodes(12, ei, 4, None)
    assert len(nodes) == 4 and centre == 1  # the first of the busiest (two edges each)


def test_when_a_log_scale_is_suggested():
    assert P.explodes(np.array([[1.0, 6.0], [12.0, 13.0], [18288.0, 18242.0]]))  # the seed layer's growth
    assert not P.explodes(np.array([[1.0, -6.0], [3.0, 2.0]]))
    assert not P.explodes(np.array([1e-9, 0.5, -0.7, 1.2]))  # values near zero are not an explosion
    assert P.explodes(np.array([1.0, 2.0, 1.5, 1e6]))
    assert not P.explodes(np.array([[np.nan, 0.0], [0.0, 0.0]]))


def test_layout_is_seeded_and_inside_the_unit_square():
    ei = np.array([[0, 1, 2, 3], [1, 2, 3, 0]])
    a = P.layout(5, ei, "spring", seed=1)
    assert np.array_equal(a, P.layout(5, ei, "spring", seed=1))
    assert a.shape == (5, 2) and (a >= 0).all() and (a <= 1).all()
    assert not np.array_equal(a, P.layout(5, ei, "spring", seed=2))
    assert P.layout(0, ei[:, :0]).shape == (0, 2)


def test_readme_pictures_exist_and_are_modest():
    import re

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"\]\((docs/[^)]+\.png)\)", readme)
    assert len(pictures) >= 4
    total = 0
    for rel in pictures:
        data = (ROOT / rel).read_bytes()
        png_size(data)
        total += len(data)
    assert total < 600_000
