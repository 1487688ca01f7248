"""Writers in gnnprop.output: exact text of every format, and the vectorised number formatting.

The text formats are built in bulk (numpy byte grids, float32 digits by
:mod:`gnnprop.output.shortest32`); each is checked here against exact expected
text for small arrays, and against a plain per-value reference (``str`` of a
``numpy.float32``, Python's ``repr``, the ``json`` and ``csv`` modules) for
random ones, across block boundaries.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from gnnprop.output import format_matrix, make_writer, shortest, writers
from gnnprop.output.numbers import format_grid, int_grid
from gnnprop.output.shortest32 import digits

INF, NAN = float("inf"), float("nan")
SMALL = [[0.1, -0.0, 1e-05], [123456.7, 1e6, -2.5e-38], [INF, -INF, NAN]]


def write(fmt: str, node_ids, rounds: dict[int, np.ndarray], width: int | None = None, meta=None) -> str:
    stream = io.StringIO()
    writer = make_writer(fmt, stream)
    first = next(iter(rounds.values()))
    writer.begin(node_ids, first.shape[1] if width is None else width)
    for r, x in rounds.items():
        writer.round(r, x)
    writer.end(meta or {})
    return stream.getvalue()


# -- exact text -------------------------------------------------------------------------


def test_csv_exact_text_float32():
    x = np.array(SMALL, dtype=np.float32)
    assert write("csv", [0, "b", 7], {2: x}) == (
        "round,node,x0,x1,x2\n"
        "2,0,0.1,-0.0,1e-05\n"
        "2,b,123456.7,1e+06,-2.5e-38\n"
        "2,7,inf,-inf,nan\n"
    )


def test_csv_exact_text_float64():
    x = np.array(SMALL, dtype=np.float64)
    assert write("csv", [0, 1, 2], {0: x}).splitlines()[1:] == [
        "0,0,0.1,-0.0,1e-05",
        "0,1,123456.7,1000000.0,-2.5e-38",
        "0,2,inf,-inf,nan",
    ]


def test_ndjson_exact_text_nonfinite_is_null():
    x = np.array(SMALL, dtype=np.float32)
    assert write("ndjson", [0, "b", 7], {1: x}) == (
        '{"round": 1, "node": 0, "x": [0.1, -0.0, 1e-05]}\n'
        '{"round": 1, "node": "b", "x": [123456.7, 1e+06, -2.5e-38]}\n'
        '{"round": 1, "node": 7, "x": [null, null, null]}\n'
    )


def test_json_exact_text():
    x = np.array([[0.1, 2.0], [INF, -3.5]], dtype=np.float32)
    text = write("json", ["a", "b"], {0: x, 1: x[::-1].copy()}, meta={"k": 1})
    assert text == (
        '{"nodes": ["a", "b"], "rounds": [\n'
        '  {"round": 0, "x": [\n'
        '    [0.1, 2.0],\n'
        '    [null, -3.5]\n'
        '  ]},\n'
        '  {"round": 1, "x": [\n'
        '    [null, -3.5],\n'
        '    [0.1, 2.0]\n'
        '  ]}\n'
        '], "meta": {"k": 1}}\n'
    )
    assert json.loads(text)["rounds"][0]["x"] == [[0.1, 2.0], [None, -3.5]]


def test_float32_is_written_as_its_shortest_decimal_not_its_float64_expansion():
    x = np.array([[0.1, 1 / 3, 16777216.0, 3e10]], dtype=np.float32)
    line = write("csv", [0], {0: x}).splitlines()[1]
    assert line == "0,0,0.1,0.33333334,1.6777216e+07,3e+10"
    assert "0.10000000149" not in line


def test_csv_pads_rounds_narrower_than_the_header_and_quotes_ids():
    x = np.array([[1.5], [2.0]], dtype=np.float32)
    text = write("csv", ['a,b', 'say "hi"'], {0: x}, width=3)
    assert text.splitlines() == ["round,node,x0,x1,x2", '0,"a,b",1.5,,', '0,"say ""hi""",2.0,,']
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["0", "a,b", "1.5", "", ""]


@pytest.mark.parametrize("with_nul", [False, True], ids=["bulk", "row-by-row"])
def test_csv_string_ids_read_back_with_the_csv_module(with_nul):
    ids = [" a", "a ", "", "\t", "'", "é", "a\rb", "a\nb", "a\r\nb", '"', ",", "ünï,cödé", "#", 5, -3]
    ids += ["x\x00y"] if with_nul else []  # NUL pads the bulk rows, so such ids go row by row
    x = (np.arange(len(ids) * 2, dtype=np.float32).reshape(-1, 2) - 3) / 7
    text = write("csv", ids, {3: x})
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["round", "node", "x0", "x1"]
    assert rows[1:] == [["3", str(i), str(a), str(b)] for i, (a, b) in zip(ids, x)]
    assert "a\rb" not in text.replace('"a\rb"', "")  # a bare \r would end the row for many readers
    assert write("ndjson", ids, {3: x}) == reference("ndjson", ids, 3, x)


def test_rows_without_features():
    x = np.zeros((2, 0), dtype=np.float32)
    assert write("csv", [1, 2], {0: x}, width=2).splitlines()[1:] == ["0,1,,", "0,2,,"]
    assert write("csv", [1, 2], {0: x}).splitlines()[1:] == ["0,1", "0,2"]
    assert write("ndjson", [1, 2], {0: x}).splitlines() == ['{"round": 0, "node": 1, "x": []}',
                                                             '{"round": 0, "node": 2, "x": []}']
    assert json.loads(write("json", [1, 2], {0: x}))["rounds"][0]["x"] == [[], []]


def test_no_nodes():
    x = np.zeros((0, 3), dtype=np.float32)
    assert write("csv", [], {0: x}) == "round,node,x0,x1,x2\n"
    assert write("ndjson", [], {0: x}) == ""
    assert json.loads(write("json", [], {0: x}))["rounds"] == [{"round": 0, "x": []}]


def test_ndjson_ids_are_json_and_int64_extremes_exact():
    ids = [-(2**63), 2**63 - 1, 0, "é\"\n"]
    x = np.ones((4, 1), dtype=np.float32)
    rows = [json.loads(line) for line in write("ndjson", ids, {0: x}).splitlines()]
    assert [r["node"] for r in rows] == ids


def test_ndjson_flushes_every_round():
    class Counting(io.StringIO):
        flushes = 0

        def flush(self):
            self.flushes += 1

    stream = Counting()
    writer = make_writer("ndjson", stream)
    writer.begin([0], 1)
    writer.round(0, np.ones((1, 1), np.float32))
    writer.round(1, np.ones((1, 1), np.float32))
    assert stream.flushes == 2


def test_npy_writes_the_final_round_exactly():
    stream = io.BytesIO()
    writer = make_writer("npy", stream)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    writer.begin(range(5), 3)
    writer.round(0, x * 0)
    writer.round(1, x)
    writer.end({})
    back = np.load(io.BytesIO(stream.getvalue()))
    assert back.dtype == np.float32 and np.array_equal(back, x)


# -- the same text as a per-value reference -------------------------------------------


def reference(fmt: str, node_ids, r: int, x: np.ndarray) -> str:
    """The rows of one round, written value by value (the writers' behaviour before bulk formatting)."""
    def text(v):
        s = str(v) if x.dtype == np.float32 else repr(float(v))
        return "null" if fmt != "csv" and s in ("inf", "-inf", "nan") else s
    rows = [[text(v) for v in row] for row in x]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r, i, *row] for i, row in zip(node_ids, rows))
        return out.getvalue()
    if fmt == "json":  # one round of the document
        body = ",\n    ".join("[" + ", ".join(row) + "]" for row in rows)
        return '\n  {"round": %d, "x": [\n    %s\n  ]}' % (r, body)
    return "".join('{"round": %d, "node": %s, "x": [%s]}\n' % (r, json.dumps(i), ", ".join(row))
                   for i, row in zip(node_ids, rows))


def awkward_values(rng, n: int, dtype) -> np.ndarray:
    """Random bit patterns (subnormals, nan payloads, infinities), ordinary values, and edge cases."""
    with np.errstate(over="ignore"):
        bits = np.frombuffer(rng.bytes(n * np.dtype(dtype).itemsize), dtype)
        ordinary = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 8, n)).astype(dtype)
        edges = np.array([0.0, -0.0, 0.1, 1e-4, 9.99e-5, 1e6, 999999.94, 1e16, 1e-45, 3.4028235e38, 5e-324,
                          1.7976931348623157e308, INF, -INF, NAN, -NAN], dtype=np.float64).astype(dtype)
    return np.concatenate([bits, ordinary, edges])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fmt", ["csv", "ndjson", "json"])
def test_bulk_text_equals_per_value_reference(fmt, dtype, monkeypatch):
    monkeypatch.setattr(writers, "BLOCK_VALUES", 64)  # many blocks, rows split across none of them
    rng = np.random.default_rng(3)
    values = awkward_values(rng, 1200, dtype)
    x = values[: len(values) // 7 * 7].reshape(-1, 7)
    ids = list(range(len(x) - 3)) + ["x y", "q\"uote", "c,omma"]
    got = write(fmt, ids, {4: x, 5: x[::-1].copy()}, meta={"m": 1})
    body = reference(fmt, ids, 4, x) + ("," if fmt == "json" else "") + reference(fmt, ids, 5, x[::-1])
    if fmt == "csv":
        body = "round,node," + ",".join(f"x{k}" for k in range(7)) + "\n" + body
    if fmt == "json":
        body = '{"nodes": ' + json.dumps(ids) + ', "rounds": [' + body + '\n], "meta": {"m": 1}}\n'
    assert got == body


def test_format_grid_equals_numpy_str_for_float32():
    rng = np.random.default_rng(5)
    values = awkward_values(rng, 200_000, np.float32)
    grid = format_grid(values)
    got = grid.view(f"S{grid.shape[1]}").ravel().astype(str)
    assert got.tolist() == [str(v) for v in values]


def test_format_grid_leaves_room_and_nonfinite_text():
    grid = format_grid(np.array([1.5, NAN, -INF], np.float32), nonfinite="null", room=2)
    assert [bytes(row[row != 0]) for row in grid] == [b"1.5", b"null", b"null"]
    assert (grid[:, -2:] == 0).all()


def test_format_matrix_and_shortest():
    x = np.array([[0.1, NAN], [-0.0, 2.5e-10]], np.float32)
    assert format_matrix(x) == [["0.1", "nan"], ["-0.0", "2.5e-10"]]
    assert format_matrix(x, "null") == [["0.1", "null"], ["-0.0", "2.5e-10"]]
    assert format_matrix(x.astype(np.float64))[0][0] == "0.10000000149011612"
    assert shortest(np.float32(0.1)) == "0.1" and shortest(0.1) == "0.1" and shortest(0.1, np.float32) == "0.1"


def test_int_grid():
    values = np.array([0, -1, 7, 10, 999, -(2**63), 2**63 - 1])
    grid = int_grid(values)
    assert [bytes(row[row != 0]).decode() for row in grid] == [str(v) for v in values.tolist()]


# -- shortest float32 digits -------------------------------------------------------------


def numpy_digits(v: np.float32) -> tuple[int, int]:
    """``(digits, exponent)`` of numpy's shortest scientific text of ``v``."""
    mantissa, power = np.format_float_scientific(v, unique=True, trim="-").lstrip("-").split("e")
    whole, _, frac = mantissa.partition(".")
    kept = (whole + frac).rstrip("0")
    return int(kept), int(power) - len(frac) + len(whole + frac) - len(kept)


def boundary_float32() -> np.ndarray:
    """Where shortest-digit algorithms go wrong: powers of two, subnormals, short decimals, and neighbours."""
    powers = (np.arange(1, 255, dtype=np.int64) << 23)
    decimals = np.array([f"{d}e{e}" for d in (1, 2, 3, 5, 7, 9, 11, 25, 99, 125, 333, 999) for e in range(-45, 39)],
                        dtype=np.float64)
    with np.errstate(over="ignore"):
        decimals = decimals.astype(np.float32).view(np.uint32).astype(np.int64)
    bits = np.concatenate([powers, decimals, np.arange(1, 3000), (1 << 23) - np.arange(1, 3000)])
    near = np.concatenate([bits + d for d in (-2, -1, 0, 1, 2)])
    near = near[(near > 0) & (near < 0x7F800000)].astype(np.uint32)
    return np.unique(near).view(np.float32)


def test_shortest_digits_at_the_boundaries():
    values = boundary_float32()
    got_digits, got_exponent = digits(values)
    assert [numpy_digits(v) for v in values] == list(zip(got_digits.tolist(), got_exponent.tolist()))


def test_shortest_digits_take_the_halfway_decimal_when_the_significand_is_even():
    # 3e10 lies exactly halfway between two float32s; it reads back as the even one
    v = np.float32(3e10)
    assert digits(np.array([v]))[0].tolist() == [3] and str(v) == "3e+10"
