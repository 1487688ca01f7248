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


def drawn(tmp_path, *args, name="fig.png", size="4x3"):
    out = tmp_path / name
    r = cli("plot", *args, "-o", out, "--size", size, "--dpi", "50")
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
    pixels = png_pixels(data)
    inked = (np.abs(pixels[..., :3] - 1.0).max(axis=2) > 0.1).mean()
    assert 0.03 < inked < 0.9, inked  # drawn on, and not a solid block


def png_pixels(data: bytes) -> np.ndarray:
    import io

    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")


def svg_texts(data: bytes) -> list[str]:
    """The texts of an SVG matplotlib wrote (it keeps each text line in a comment before its glyphs)."""
    import re

    return [t.strip() for t in re.findall(r"<!-- (.*?) -->", data.decode())]


def test_svg_pdf_and_the_same_bytes_every_time(tmp_path):
    svg, _ = drawn(tmp_path, SEED, "--kind", "derivation", "--node", "0", name="d.svg", size="8x5")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    texts = svg_texts(svg)
    assert "node 1: 0.5*(6, 4) + 2*(0, 1) = (3, 4)" in texts  # each message, its formula with the values
    assert "node 2: 0.5*(6, 4) + 2*(5, 3) = (13, 8)" in texts
    assert "aggregate: max of 2 messages" in texts and "= (13, 8)" in texts
    assert "update: (6, 4) + 0.5*(13, 8)" in texts and "= (12.5, 8)" in texts
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


def test_the_pictures_page_pictures_exist_and_are_modest():
    import re

    from .conftest import ROOT

    page = (ROOT / "docs" / "pictures.md").read_text()
    pictures = re.findall(r"\]\(([^)/]+\.png)\)", page)
    assert len(pictures) >= 4
    total = 0
    for rel in pictures:
        data = (ROOT / "docs" / rel).read_bytes()
        png_size(data)
        total += len(data)
    assert total < 600_000


def _derivation_figure(graph, node, size=(8.0, 5.0), **kw):
    from gnnprop.cli.options import build_config
    from gnnprop.cli.plot_cmd import _derivation
    from gnnprop.io import load_graph
    from gnnprop.engine.session import prepare

    cap = kw.pop("max_neighbours", 12)
    cfg = build_config(None, **kw)
    session = prepare(load_graph(str(graph)), cfg)
    spec = P.PlotSpec(kind="derivation", size=size, dpi=80, max_neighbours=cap)
    fig = _derivation(session, node, spec, 4)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # lays out the text boxes and clips the arrows, as saving does
    return fig


def _boxes(fig):
    """Window extents of the text boxes of the derivation's left panel, by text."""
    ax = fig.axes[0]
    return {t.get_text(): t.get_bbox_patch().get_extents() if t.get_bbox_patch() else t.get_window_extent()
            for t in ax.texts}


@pytest.mark.parametrize("kw, size, drawn_count, more", [
    ({"features": "degree", "message": "x_j", "update": "0.5 * x + 0.5 * aggr_out", "aggr": "mean"}, (8.0, 5.0),
     12, "and 5 more (gnnprop inspect lists them all)"),
    ({"features": "degree", "aggr": "max", "max_neighbours": 0}, (8.0, 6.0), 17, None),
    ({"layer": "nn", "features": "degree"}, (8.0, 5.0), 12, "and 5 more (gnnprop inspect lists them all)"),
])
def test_derivation_of_a_busy_node_has_no_overlap_and_visible_arrowheads(kw, size, drawn_count, more):
    from matplotlib.patches import FancyArrowPatch

    fig = _derivation_figure(SAMPLES / "karate.json", "33", size=size, **dict(kw))
    boxes = _boxes(fig)
    neighbours = [t for t in boxes if t.startswith("node ") and ":" in t]
    assert len(neighbours) == drawn_count
    assert (more in boxes) if more else not any(t.startswith("and ") for t in boxes)
    items = list(boxes.items())
    for i, (a, ba) in enumerate(items):
        for b, bb in items[i + 1:]:
            assert not ba.overlaps(bb), (a, b)  # no label over another
    target = boxes[next(t for t in boxes if t.startswith("node 33\n"))]
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == drawn_count
    for arrow in arrows:
        verts = fig.axes[0].transData.transform(arrow.get_path().vertices)  # the arrow as drawn, in pixels
        tip = verts[np.argmin([np.hypot(x - target.x0, y - (target.y0 + target.y1) / 2) for x, y in verts])]
        gap = max(target.x0 - tip[0], tip[1] - target.y1, target.y0 - tip[1], 0)
        assert not (target.x0 < tip[0] < target.x1 and target.y0 < tip[1] < target.y1), "arrowhead under the box"
        assert gap < 8, gap  # and it reaches the box
    for text, box in boxes.items():  # inside the figure
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height, text


def test_derivation_panel_says_aggregate_and_update_in_words():
    fig = _derivation_figure(SAMPLES / "karate.json", "33", features="degree", message="x_j",
                             update="0.5 * x + 0.5 * aggr_out", aggr="mean")
    panel = " ".join(t.get_text() for t in fig.axes[1].texts).split()
    assert " ".join(panel) == "aggregate: mean of 17 messages = (3.8235) sum (65) / 17 messages update: 0.5*(17) + " \
                              "0.5*(3.8235) = (10.4118)"


def test_max_neighbours_on_the_command_line(tmp_path):
    data, _ = drawn(tmp_path, SAMPLES / "karate.json", "--kind", "derivation", "--node", "33", "--features",
                    "degree", "--max-neighbours", "3", name="d.svg")
    texts = svg_texts(data)
    import re

    shown = [t for t in texts if re.match(r"node \d+: ", t)]
    assert shown == ["node 32: 0.5*(17) + 2*(12) = (32.5)",  # the max's winner first, then in edge order
                     "node 8: 0.5*(17) + 2*(5) = (18.5)", "node 9: 0.5*(17) + 2*(2) = (12.5)"]
    assert "and 14 more (gnnprop inspect lists them all)" in texts
