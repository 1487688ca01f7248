"""The table view: any value renders, every number reads back, tables fit the terminal."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rich.console import Console
from typer.testing import CliRunner

from gnnprop.cli import app
from gnnprop.cli.env import Env
from gnnprop.cli.render import pick_rows, round_lines, wrap_fields

from .clitools import cli
from .conftest import SAMPLES

SEED = str(SAMPLES / "seed_example.json")
KARATE = str(SAMPLES / "karate.json")
SPECIAL = [np.inf, -np.inf, np.nan, -0.0, 0.0, 1e-45, -1e-45, 3e38, -3e38, 1e-300, 1.7e308, 123456789.0,
           0.1, 1e-5, 1e16, 12.5]


def term(*args: str, width: int = 80) -> tuple[int, str, str]:
    """Run the CLI as a terminal ``width`` columns wide: exit code, stdout, stderr."""
    obj = Env(stdout_isatty=True, stderr_isatty=False, color=False, width=width)
    r = CliRunner().invoke(app, list(args), obj=obj, catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def render(x: np.ndarray, width: int, precision: int | None = None, ids=None, max_rows: int = 0) -> str:
    ids = list(range(len(x))) if ids is None else ids
    lines, _ = round_lines(x, ids, pick_rows(len(ids), max_rows), precision=precision, width=width)
    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, color_system=None, force_terminal=False)
    for line in lines:
        console.print(line, soft_wrap=True)
    return buf.getvalue()


def parse(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """Header cells and, per node id, its cells, from a box table."""
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].split("┃")]
    assert set(lines[1]) <= set("━╇"), lines[1]
    rows = {}
    for line in lines[2:]:
        if line.startswith("… "):
            continue
        cells = [c.strip() for c in line.split("│")]
        rows[cells[0]] = cells[1:]
    return header[1:], rows


def same(text: str, v, dtype) -> bool:
    """``text`` reads back to ``v`` bit for bit in ``dtype`` (any nan for nan)."""
    back = np.array(float(text), dtype=dtype)
    want = np.array(v, dtype=dtype)
    if np.isnan(want):
        return bool(np.isnan(back))
    return back.tobytes() == want.tobytes()


def floats(dtype):
    width = 32 if dtype == np.float32 else 64
    special = [v for v in SPECIAL if dtype == np.float64 or abs(v) < 3.5e38 or not np.isfinite(v)]
    return st.one_of(st.floats(width=width, allow_nan=True, allow_infinity=True),
                     st.floats(-1e6, 1e6, width=width), st.sampled_from(special))


matrices = st.sampled_from([np.float32, np.float64]).flatmap(
    lambda dt: hnp.arrays(dt, st.tuples(st.integers(1, 8), st.integers(1, 12)), elements=floats(dt)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=matrices, width=st.sampled_from([40, 80, 200]))
def test_any_matrix_renders_and_every_number_reads_back(x, width):
    text = render(x, width)
    header, rows = parse(text)
    assert len(rows) == len(x)
    assert header[0] == "x0"
    shown = [h for h in header]
    if x.shape[1] > 1 and len(shown) < x.shape[1]:
        assert "…" in shown  # the elided columns are marked
    for i, cells in rows.items():
        for h, cell in zip(header, cells):
            if h == "…":
                assert cell == "…"
                continue
            k = int(h[1:])
            assert same(cell, x[int(i), k], x.dtype), (cell, x[int(i), k])
    # a table fits the width unless its first column alone does not
    longest = max(len(line) for line in text.splitlines())
    assert longest <= width or [h for h in header if h != "…"] == ["x0"], text


@settings(max_examples=100, deadline=None)
@given(x=matrices, precision=st.integers(0, 6))
def test_precision_cuts_digits_visibly_and_keeps_a_prefix(x, precision):
    header, rows = parse(render(x, 400, precision=precision))
    for i, cells in rows.items():
        for h, cell in zip(header, cells):
            if h == "…":
                continue
            v = x[int(i), int(h[1:])]
            full = str(x.dtype.type(v))  # numpy's shortest round-trip text
            if "…" not in cell:
                assert same(cell, v, x.dtype), (cell, v)
                if "." in cell.split("e")[0]:
                    assert len(cell.split("e")[0].split(".")[1]) <= precision
                continue
            mantissa, _, exponent = cell.partition("…")
            full_mantissa, _, full_exponent = full.partition("e")
            assert full_mantissa.startswith(mantissa), (cell, full)
            assert exponent == ("e" + full_exponent if full_exponent else ""), (cell, full)
            digits = mantissa.split(".")[1] if "." in mantissa else ""
            assert len(digits) == precision, (cell, precision)


def test_numbers_align_on_the_units_digit_and_scientific_ones_on_the_right():
    x = np.array([[12.5], [6.0], [1e-25], [np.inf], [np.nan], [-3e38], [-0.0], [0.125]], dtype=np.float32)
    lines = render(x, 80).splitlines()[2:]
    cells = [line.split("│")[1] for line in lines]
    assert [c.strip() for c in cells] == ["12.5", "6", "1e-25", "inf", "nan", "-3e+38", "-0", "0.125"]
    units = {c.index(c.strip()) + len(re.match(r"-?(\d+|inf|nan)", c.strip()).group(0))
             for c in cells if "e" not in c.replace("inf", "")}
    assert len(units) == 1, cells  # every units digit (and inf / nan's last letter) in one column
    assert len({len(c.rstrip()) for c in cells if "e-" in c or "e+" in c}) == 1, cells


def test_far_apart_magnitudes_are_right_aligned_rather_than_widened():
    x = np.array([[100000000.0], [0.00012345678]], dtype=np.float64)
    cells = [line.split("│")[1][1:] for line in render(x, 80).splitlines()[2:]]
    assert cells == ["    100000000", "0.00012345678"]


def test_the_seed_layer_past_e_notation_and_overflow_renders():
    code, out, err = term("run", SEED, "--rounds", "41", "--last")
    assert code == 0 and "Traceback" not in err
    header, rows = parse(out.split("round 41\n")[1].split("\n\n")[0])
    assert header == ["x0", "x1"]
    assert rows["0"] == ["1.5130248e+15", "9.6283355e+14"]
    code, out, err = term("run", SEED, "--rounds", "110", "--allow-nonfinite", "--last")
    assert code == 0 and "Traceback" not in err
    header, rows = parse(out.split("round 110\n")[1].split("\n\n")[0])
    assert rows == {str(i): ["inf", "inf"] for i in range(4)}
    assert "values became inf or nan from round 108" in err


@pytest.mark.parametrize("width", [40, 80, 200])
def test_wide_features_fit_the_terminal(width):
    code, out, err = term("run", KARATE, "--features", "random", "--feature-dim", "64", "--rounds", "1",
                          "--last", "-f", "table", width=width)
    assert code == 0
    table = out.split("round 1\n")[1].split("\n\n")[0]
    assert max(len(line) for line in out.splitlines()) <= width, out
    header, rows = parse(table)
    assert header[0] == "x0" and header[-1] == "x63" and "…" in header
    assert len(header) - 1 >= {40: 2, 80: 4, 200: 12}[width]
    assert not any(c.endswith("…") for cells in rows.values() for c in cells if c != "…")  # no cut number
    shown = len(header) - 1
    assert err == f"gnnprop: note: {shown} of 64 feature columns shown (all: --max-cols 0, or -f csv)\n"
    assert len(err.rstrip("\n")) <= 80
    # every value shown is the run's value
    doc = json.loads(cli("run", KARATE, "--features", "random", "--feature-dim", "64", "--rounds", "1",
                         "--last", "-f", "json").stdout)
    final = np.array(doc["rounds"][0]["x"], dtype=np.float32)
    for node, cells in rows.items():
        for h, cell in zip(header, cells):
            if h != "…":
                assert same(cell, final[int(node), int(h[1:])], np.float32)


def test_max_cols_shows_what_is_asked_whatever_the_width():
    code, out, err = term("run", KARATE, "--features", "random", "--feature-dim", "64", "--rounds", "1",
                          "--last", "--max-cols", "0", width=40)
    header, _ = parse(out.split("round 1\n")[1].split("\n\n")[0])
    assert header == [f"x{k}" for k in range(64)] and err == ""
    code, out, err = term("run", KARATE, "--features", "random", "--feature-dim", "64", "--rounds", "1",
                          "--last", "--max-cols", "4", width=200)
    header, _ = parse(out.split("round 1\n")[1].split("\n\n")[0])
    assert header == ["x0", "x1", "…", "x62", "x63"]
    assert "4 of 64 feature columns shown (--max-cols 4)" in err


def test_control_characters_in_ids_are_escaped_on_a_terminal_and_exact_in_data(tmp_path):
    evil = "a\x1b]0;owned\x07b\x1b[31m"
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"directed": True, "nodes": [{"id": evil, "x": [1.0]}, {"id": "ok", "x": [2.0]}],
                             "links": [{"source": evil, "target": "ok"}]}))
    code, out, err = term("run", str(g), "--rounds", "1")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "a\\x1b]0;owned\\x07b\\x1b[31m" in out
    doc = json.loads(cli("run", str(g), "--rounds", "1", "-f", "json").stdout)
    assert doc["nodes"] == [evil, "ok"]
    csv_out = cli("run", str(g), "--rounds", "1", "-f", "csv").stdout
    assert f"0,{evil},1.0" in csv_out


def test_long_ids_are_shortened_in_the_middle(tmp_path):
    long_id = "https://example.org/people/" + "x" * 60 + "/alice"
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"directed": True, "nodes": [{"id": long_id, "x": [1.5]}, {"id": 7, "x": [2.0]}],
                             "links": [{"source": 7, "target": long_id}]}))
    code, out, _ = term("run", str(g), "--rounds", "1", "--last", width=80)
    _, rows = parse(out.split("round 1\n")[1].split("\n\n")[0])
    shown = [k for k in rows if k != "7"][0]
    assert shown.startswith("https://exam") and shown.endswith("x/alice") and "…" in shown
    assert len(shown) == 80 // 3
    assert rows[shown] == ["3.875"]  # 1.5 + 0.5 * (0.5 * 1.5 + 2 * 2)


def test_text_format_and_txt_output_have_every_row_and_no_box(tmp_path):
    target = tmp_path / "out.txt"
    out = cli("run", KARATE, "--features", "degree", "--rounds", "1", "-o", str(target))
    assert out.code == 0 and out.stdout == ""
    text = target.read_text()
    assert not set(text) & set("┃│━╇")
    block = text.split("round 1\n")[1].split("\n\n")[0].splitlines()
    assert block[0].split() == ["node", "x0"]
    assert len(block) == 35 and block[-1].split() == ["33", "33.25"]  # 17 + 0.5 * (0.5 * 17 + 2 * 12)
    assert "34 nodes, 156 edges" in text


def test_tsv_output(tmp_path):
    target = tmp_path / "out.tsv"
    out = cli("run", SEED, "--rounds", "1", "-o", str(target))
    assert out.code == 0
    assert target.read_text().splitlines()[:2] == ["round\tnode\tx0\tx1", "0\t0\t6.0\t4.0"]
    assert target.read_text().splitlines()[5] == "1\t0\t12.5\t8.0"


def test_unknown_output_extension_is_refused(tmp_path):
    from .clitools import fails

    fails(cli("run", SEED, "-o", str(tmp_path / "out.dat")), 2, "out.dat", ".dat", ".tsv (tsv)", ".txt (text)",
          "--format")
    assert list(tmp_path.iterdir()) == []
    out = cli("run", SEED, "--rounds", "1", "-o", str(tmp_path / "out.dat"), "-f", "csv")
    assert out.code == 0 and (tmp_path / "out.dat").read_text().startswith("round,node")


def test_summary_wraps_between_fields_and_has_thousands_separators():
    code, out, _ = term("run", str(SAMPLES / "ca-grqc.txt"), "--rounds", "1", "--last", width=60)
    summary = out.split("\n\n")[-1].strip().splitlines()
    assert all(len(line) <= 60 for line in summary)
    joined = " ".join(summary)
    assert re.search(r"5,242 nodes, 28,980 edges", joined), joined
    assert all(line.endswith(";") for line in summary[:-1])
    assert wrap_fields(["aaaa", "bbbb", "cc"], 10) == ["aaaa;", "bbbb; cc"]
    assert wrap_fields(["a" * 20, "b"], 10) == ["a" * 20 + ";", "b"]


def test_inspect_tree_escapes_ids_and_reads_no_markup(tmp_path):
    evil, markup = "e\x1b[2Jvil", "[bold red]x[/]"
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"directed": True, "nodes": [{"id": evil, "x": [1.0]}, {"id": markup, "x": [2.0]},
                                                         {"id": "t", "x": [0.0]}],
                             "links": [{"source": evil, "target": "t"}, {"source": markup, "target": "t"}]}))
    code, out, _ = term("inspect", str(g), "--node", "t")
    assert code == 0 and "\x1b" not in out
    assert "from node e\\x1b[2Jvil:" in out and "from node [bold red]x[/]:" in out
