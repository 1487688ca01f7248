"""Graph loaders: the fast bulk reader gives the exact reader's graph, or steps aside."""


from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gnnprop.errors import InputError
from gnnprop.io import bulk, csvfmt, edgelist, intscan, load_graph
from gnnprop.io.ids import lookup_ints, rank_ints
from gnnprop.io.source import decode, read_text
from gnnprop.io.tables import build_graph_bulk

from .iosamples import check_error

# -- the bulk (vectorised) reader against the exact one -----------------------------------


def exact_graph(path: str, fmt: str, node_path: str | None = None):
    """The graph as the line-by-line reader makes it (never the bulk path)."""
    text, name = read_text(path)
    nodes = None
    if node_path is not None:
        node_text, node_name = read_text(node_path)
        module = csvfmt if node_path.endswith(".csv") else edgelist
        nodes = module.read_nodes(node_text, node_name)
    return (csvfmt if fmt == "csv" else edgelist).load(text, name, nodes)


def assert_same_graph(a, b) -> None:
    assert a.edge_index.dtype == b.edge_index.dtype == torch.int64 and a.edge_index.is_contiguous()
    assert torch.equal(a.edge_index, b.edge_index)
    assert a.node_ids == b.node_ids and [type(i) for i in a.node_ids] == [type(i) for i in b.node_ids]
    for got, want in ((a.x, b.x), (a.edge_weight, b.edge_weight), (a.edge_attr, b.edge_attr)):
        assert (got is None) == (want is None)
        if got is not None:
            assert got.dtype == want.dtype and got.shape == want.shape and got.is_contiguous()
            assert torch.equal(got, want) and torch.equal(torch.signbit(got), torch.signbit(want))
    assert a.source == b.source


def generated_edges(rng, n: int, *, weights: int = 0, negative: bool = False, spread: int = 1000) -> list[list[str]]:
    """Rows of ``n`` random edges as text: two integer ids and ``weights`` numbers in varied spellings."""
    low = -spread if negative else 0
    ids = rng.integers(low, spread, (n, 2))
    spellings = [lambda v: repr(float(v)), lambda v: f"{v:.3f}", lambda v: f"{v:g}", lambda v: str(int(v * 100)),
                 lambda v: f"{v:.2e}", lambda v: f"{v:.15f}", lambda v: "-0" if v < 0 else "0.5"]
    rows = []
    for a, b in ids.tolist():
        row = [str(a), str(b)]
        for _ in range(weights):
            v = float(rng.standard_normal() * 10.0 ** rng.integers(-3, 4))
            row.append(spellings[int(rng.integers(len(spellings)))](v))
        rows.append(row)
    return rows


BULK_CASES = {
    "csv-ids": lambda rows: "src,dst\n" + "".join(",".join(r[:2]) + "\n" for r in rows),
    "csv-weight-attrs": lambda rows: "dst,weight,src,len,cost\n" + "".join(f"{r[1]},{r[2]},{r[0]},{r[3]},{r[4]}\n"
                                                                         for r in rows),
    "csv-crlf-blanks": lambda rows: "# made by a tool\r\n\r\n Source , Target ,weight\r\n"
                                     + "".join(f"{r[0]}, {r[1]} ,\t{r[2]}\r\n" for r in rows),
    "csv-no-final-newline": lambda rows: "src,dst,weight\n" + "\n".join(",".join(r[:3]) for r in rows),
    "csv-bom": lambda rows: "\ufeffsrc,dst\n" + "".join(",".join(r[:2]) + "\n" for r in rows) + "\n\n",
    "snap": lambda rows: "# Directed graph (each unordered pair of nodes is saved once)\n# Nodes: 1000 Edges: 9\n"
                         "# FromNodeId\tToNodeId\n" + "".join("\t".join(r[:2]) + "\n" for r in rows),
    "edgelist-weights-attrs": lambda rows: "% src dst w a b\n" + "".join(" ".join(r[:5]) + "\n" for r in rows),
    "edgelist-ragged-blanks": lambda rows: "".join(("  " if i % 3 else "") + "  \t ".join(r[:3])
                                                   + (" \n\n" if i % 5 == 0 else "\n") for i, r in enumerate(rows)),
    "edgelist-crlf-no-final-newline": lambda rows: "\r\n".join(" ".join(r[:2]) for r in rows),
}


@pytest.mark.parametrize("block", [256, 1 << 20], ids=["small-blocks", "default-blocks"])
@pytest.mark.parametrize("case", list(BULK_CASES))
def test_bulk_reader_gives_the_exact_readers_graph(here, monkeypatch, case, block):
    monkeypatch.setattr(bulk, "BLOCK_SIZE", block)  # small blocks: many threads, rows across block ends
    monkeypatch.setattr(intscan, "CHUNK", block // 4)  # and chunk boundaries of the integer reader
    rng = np.random.default_rng(sum(map(ord, case)))
    rows = generated_edges(rng, 600, weights=3, negative="attrs" in case or "crlf" in case)
    fmt = "csv" if case.startswith("csv") else "edgelist"
    name = "e.csv" if fmt == "csv" else "e.txt"
    text = BULK_CASES[case](rows)
    here({name: text})
    assert (csvfmt if fmt == "csv" else edgelist).scan(text.encode()) is not None, "the bulk path stepped aside"
    graph = load_graph(name)
    assert_same_graph(graph, exact_graph(name, fmt))
    assert graph.num_edges == 600


@pytest.mark.parametrize("node_file", ["n.csv", "n.txt"])
def test_bulk_node_file_and_edges_against_it(here, node_file):
    rng = np.random.default_rng(1)
    order = rng.permutation(500) - 100
    features = rng.standard_normal((500, 3)).round(4)
    if node_file == "n.csv":
        text = "# nodes\nid,a,b,c\n" + "".join(f"{i},{a},{b},{c}\n" for i, (a, b, c) in zip(order, features))
    else:
        text = "% id a b c\n" + "".join(f"{i} {a} {b} {c}\n" for i, (a, b, c) in zip(order, features))
    edges = rng.choice(order, (2000, 2))
    here({node_file: text, "e.txt": "".join(f"{a} {b}\n" for a, b in edges)})
    graph = load_graph("e.txt", node_features=node_file)
    assert_same_graph(graph, exact_graph("e.txt", "edgelist", node_file))
    assert graph.node_ids == order.tolist()
    assert torch.equal(graph.x, torch.tensor(features))


@pytest.mark.parametrize("name, text, bulk_reads", [
    ("e.csv", 'src,dst\n1,2\n"3",4\n', False),              # quotes
    ("e.csv", "src,dst\n1,2\n\n3,4\n", True),                # a blank line between data lines
    ("e.csv", "src,dst\n1,2\na,b\n", False),                  # string ids
    ("e.csv", "src,dst\n1,2\n007,4\n", False),                # "007" is a string id
    ("e.csv", "src,dst\n1,2\n-0,4\n", True),                  # "-0" is node 0
    ("e.csv", "src,dst,w\n1,2,1\n-0,4,1\n", False),           # read as text by Arrow, "-0" is too long
    ("e.csv", "src,dst\n1,2\r3,4\n", False),                  # a bare CR ends a CSV row
    ("e.txt", "1 2\n# a comment after the data\n3 4\n", True),
    ("e.txt", "1 2\n3 9223372036854775807\n", True),           # 19 digits, within int64
    ("e.txt", "1 2\n3 9223372036854775808\n", False),          # beyond int64: the exact reader says so
    ("e.txt", "1 2 0.5\n3 4 1_000\n", False),                  # Python's float reads it, Arrow does not
    ("e.txt", "1 2\n3 4\x0b\n", True),                         # a vertical tab is whitespace to str.split
    ("e.txt", "1 2\r3 4\n", True),                              # and so is a bare CR in an edge list
    ("e.txt", "1 2\n3 \u00e9\n", False),                       # not ASCII
])
def test_bulk_reader_steps_aside_or_agrees(here, name, text, bulk_reads):
    here({name: text})
    fmt = "csv" if name.endswith(".csv") else "edgelist"
    module = csvfmt if fmt == "csv" else edgelist
    scanned = module.scan(text.encode())
    assert (scanned is not None) == bulk_reads
    try:
        expected = exact_graph(name, fmt)
    except InputError:
        assert not bulk_reads
        return
    assert_same_graph(load_graph(name), expected)


def big_file(lines: int, bad_line: int, bad: str, csv_file: bool) -> str:
    """``lines`` lines of integer edges; line ``bad_line`` (1-based, counting the header) is ``bad``."""
    rows = [f"{i % 997},{(i * 7) % 1009}" if csv_file else f"{i % 997} {(i * 7) % 1009}" for i in range(lines)]
    if csv_file:
        rows[0] = "src,dst,weight"
        rows = [rows[0]] + [r + ",0.5" for r in rows[1:]]
    rows[bad_line - 1] = bad
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("name, bad, words", [
    ("e.csv", "5,6,7,8", "e.csv: line 150001 (data row 150000): 4 fields, expected 3 (src,dst,weight)"),
    ("e.csv", "5,6,heavy", "e.csv: line 150001 (data row 150000): weight: expected a number, got 'heavy'"),
    ("e.csv", "5,6,inf", "e.csv: line 150001 (data row 150000): weight: expected a finite number, got 'inf'"),
    ("e.csv", "5,,1", "e.csv: line 150001 (data row 150000): empty dst"),
    ("e.csv", '5,"6"x,1', "e.csv: line 150001: malformed CSV"),
    ("e.csv", "5,99999999999999999999,1", "e.csv: line 150001 (data row 150000): node id 99999999999999999999"),
    ("e.txt", "5 6 7", "e.txt: line 150001: 3 fields, expected 2 as on line 1"),
    ("e.txt", "5", "e.txt: line 150001: 1 field, expected 2 or more"),
])
def test_a_bad_line_deep_in_a_big_file_keeps_its_line_number(here, name, bad, words):
    here({name: big_file(200_000, 150_001, bad, name.endswith(".csv"))})
    check_error(InputError, name, [words], lambda: load_graph(name))


def test_a_missing_node_deep_in_a_big_file_keeps_its_line_number(here):
    lines = [f"{i % 50} {(i + 1) % 50}" for i in range(100_000)]
    lines[87_654] = "3 77"
    here({"e.txt": "\n".join(lines) + "\n", "n.txt": "".join(f"{i}\n" for i in range(50))})
    check_error(InputError, "e.txt", ["e.txt: line 87655: node 77 is not in the node file n.txt"],
                lambda: load_graph("e.txt", node_features="n.txt"))


_IDS = st.sampled_from(["0", "1", "7", "-3", "-0", "12", "123456789012", "999999999999999999", "007", "+5",
                        "a", "1.0", "x y", "#1", "%2", ""])
_NUMBERS = st.sampled_from(["0", "1", "-2", "0.5", "-0.25", "5.", ".5", "-.5", "1e3", "1E-3", "+2", "inf", "nan",
                            "1_000", "abc", "", "1.2.3", "-", ".", "123456789012345", "1234567890123456",
                            "007.5", "1e400", "-0.0", "3.14159"])
_BLANK = st.sampled_from(["", "", "", " ", "\t", "  "])


@st.composite
def text_graph_files(draw) -> tuple[bool, str]:
    """``(is_csv, text)``: a small CSV or edge-list file of plain and awkward tokens, some lines malformed."""
    csv_file = draw(st.booleans())
    width = draw(st.integers(2, 4))
    lines = draw(st.lists(st.sampled_from(["# c, d", "% e", "", " "]), max_size=2))
    if csv_file:
        lines.append(",".join(["src", "dst", "weight", "len"][:width]))
    for _ in range(draw(st.integers(1, 12))):
        cells = [draw(_IDS), draw(_IDS)] + [draw(_NUMBERS) for _ in range(width - 2)]
        if draw(st.integers(0, 9)) == 0:
            cells = cells[:-1] if len(cells) > 2 else cells + ["1"]
        sep = "," if csv_file else draw(st.sampled_from([" ", "\t", "  "]))
        lines.append(draw(_BLANK) + sep.join(draw(_BLANK) + c + draw(_BLANK) for c in cells) + draw(_BLANK))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return csv_file, newline.join(lines) + draw(st.sampled_from(["", newline, newline * 2]))


@settings(max_examples=400, deadline=None)
@given(text_graph_files(), st.sampled_from([128, 1 << 20]))
def test_bulk_reader_agrees_with_the_exact_one_on_random_files(file, block):
    """The bulk reader either steps aside (``None``) or gives exactly the exact reader's
    graph, and never accepts a file the exact reader rejects."""
    csv_file, text = file
    module = csvfmt if csv_file else edgelist
    default, bulk.BLOCK_SIZE, chunk, intscan.CHUNK = bulk.BLOCK_SIZE, block, intscan.CHUNK, block // 8
    try:
        edges = module.scan(text.encode())
    finally:
        bulk.BLOCK_SIZE, intscan.CHUNK = default, chunk
    try:
        expected = module.load(decode(text.encode(), "f"), "f", None)
    except InputError:
        expected = None
    graph = None if edges is None else build_graph_bulk(edges, "f", None)
    if graph is not None:
        assert expected is not None, "the bulk reader accepted a file the exact reader rejects"
        assert_same_graph(graph, expected)


def test_rank_ints_matches_numpy_unique_in_every_regime():
    rng = np.random.default_rng(7)
    for values in (rng.integers(0, 50, 400),                          # lookup table from 0
                   rng.integers(10**12, 10**12 + 60, (2, 200)),      # lookup table from the minimum
                   rng.integers(-10**15, 10**15, 3000),              # packed sort
                   np.array([2**63 - 1, -(2**63), 0, 5, 5]),          # np.unique
                   np.zeros(0, np.int64)):
        positions, distinct = rank_ints(values)
        want_distinct, want_positions = np.unique(values, return_inverse=True)
        assert np.array_equal(distinct, want_distinct)
        assert np.array_equal(positions, want_positions.reshape(values.shape)) and positions.dtype == np.int64
        keys = rng.permutation(want_distinct)[: len(want_distinct) // 2]
        found = np.arange(len(keys), dtype=np.int64) + 10
        got, hit = lookup_ints(values, keys, found)
        table = dict(zip(keys.tolist(), found.tolist()))
        assert hit.shape == values.shape and hit.ravel().tolist() == [v in table for v in values.ravel().tolist()]
        assert [g for g, h in zip(got.ravel().tolist(), hit.ravel().tolist()) if h] == \
            [table[v] for v in values.ravel().tolist() if v in table]


HARD_NUMBERS = [
    "0.1", "0.3", "5.", ".5", "-.5", "+2", "1e3", "1E-3", "-0", "-0.0", "9007199254740993", "123456789012345",
    "1234567890123456789012345", "0.000000000000001", "2.2250738585072011e-308", "2.2250738585072014e-308",
    "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400",
    "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740992.5", "9007199254740993.0000000001",
    "0.30000000000000004", "8.589973e9", "7.1e-10", "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124", "123456789e-30", "3.4028235e38",
]


def numbers_file(texts: list[str], csv_file: bool) -> bytes:
    if csv_file:
        return ("src,dst,weight\n" + "".join(f"{i},{i + 1},{t}\n" for i, t in enumerate(texts))).encode()
    return "".join(f"{i}\t{i + 1}\t{t}\n" for i, t in enumerate(texts)).encode()


@pytest.mark.parametrize("csv_file", [True, False], ids=["csv", "edgelist"])
def test_bulk_numbers_are_read_exactly_as_python_reads_them(csv_file):
    rng = np.random.default_rng(11)
    texts = HARD_NUMBERS + [repr(float(v)) for v in rng.standard_normal(2000) * 10.0 ** rng.integers(-300, 300, 2000)]
    texts += [f"{rng.integers(0, 10**k)}.{rng.integers(0, 10**j):0{j}d}" for k, j in rng.integers(0, 18, (2000, 2))]
    texts += [repr(float(v)) for v in rng.integers(0, 2**63, 2000, dtype=np.int64).view(np.float64)
              if np.isfinite(v)]  # every exponent, subnormals too
    edges = (csvfmt if csv_file else edgelist).scan(numbers_file(texts, csv_file))
    assert edges is not None
    got = edges.values[:, 0]
    want = np.array([float(t) for t in texts])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))  # bit for bit, the sign of zero too


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.25e}"),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:.9g}"),
    st.from_regex(r"[-+]?[0-9]{0,30}(\.[0-9]{0,30})?([eE][-+]?[0-9]{0,4})?", fullmatch=True),
    st.sampled_from(["1.e5", ".e5", "e", "1e5.5", "1.5E+", "- 1", "1 .5", "0x1p3", "0x10", "1.5d", "1e0005",
                     "00001.5", "-.0", ".", "+.5", "+-1", "--1", "1e+-1", "infinity", "-Inf", "NaN", "1.5 ",
                     "1_000", "1e400", "-1e-400"]),
), min_size=1, max_size=30), st.booleans())
def test_bulk_numbers_agree_with_python_float_on_random_texts(texts, csv_file):
    """Arrow's parser either steps aside or gives exactly Python's float for every field."""
    assume(csv_file or all(t and t.split() == [t] for t in texts))  # an edge-list field has no blanks
    edges = (csvfmt if csv_file else edgelist).scan(numbers_file(texts, csv_file))
    try:
        want = np.array([float(t) for t in texts])
    except ValueError:
        assert edges is None  # the exact reader names the bad value
        return
    if not np.isfinite(want).all():
        assert edges is None  # and the non-finite one
        return
    if edges is not None:  # Arrow may step aside (1_000), never differ
        assert np.array_equal(edges.values[:, 0].view(np.int64), want.view(np.int64)), texts
