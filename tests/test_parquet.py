"""Parquet in (edge and node tables) and out (one file, or one file per round in Hive layout)."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import torch

from gnnprop.io import load_graph

from .clitools import cli, fails

FIXED = ["--layer", "fixed", "--message", "x_j", "--update", "aggr_out", "--aggr", "sum"]


@pytest.fixture
def at(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, columns: dict, schema: pa.Schema | None = None) -> str:
    pq.write_table(pa.table(columns, schema=schema), name)
    return name


# -- reading -------------------------------------------------------------------------------


def test_edge_table_with_weight_and_attributes_reads_like_the_csv(at):
    write("e.parquet", {"dst": [2, 3, 1], "Weight": [0.5, 1.0, 2.0], "src": [1, 2, 3], "len": [1, 2, 3],
                        "cost": np.array([0.25, 0.5, 0.75], np.float32)})
    (at / "e.csv").write_text("dst,Weight,src,len,cost\n2,0.5,1,1,0.25\n3,1.0,2,2,0.5\n1,2.0,3,3,0.75\n")
    got, want = load_graph("e.parquet"), load_graph("e.csv")
    assert torch.equal(got.edge_index, want.edge_index) and got.node_ids == want.node_ids == [1, 2, 3]
    assert torch.equal(got.edge_attr, want.edge_attr) and got.edge_attr.dtype == torch.float64
    assert torch.equal(got.edge_weight, want.edge_weight) and got.edge_weight.tolist() == [0.5, 1.0, 2.0]
    write("w.parquet", {"source": [7, 5], "target": [5, 7], "weight": [0.5, 2.0]})
    g = load_graph("w.parquet")
    assert g.node_ids == [5, 7] and g.edge_index.tolist() == [[1, 0], [0, 1]]
    assert g.edge_weight.tolist() == [0.5, 2.0]


def test_string_ids_keep_their_type_and_first_appearance_order(at):
    write("e.parquet", {"src": ["b", "7", "a"], "dst": ["7", "a", "b"]})
    g = load_graph("e.parquet")
    assert g.node_ids == ["b", "7", "a"] and g.edge_index.tolist() == [[0, 1, 2], [1, 2, 0]]


def test_node_table_with_list_column_or_feature_columns(at):
    write("e.parquet", {"src": [1, 2, 3], "dst": [2, 3, 1]})
    write("n.parquet", {"id": [3, 1, 2], "x": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]})
    write("m.parquet", {"a": [1.0, 3.0, 5.0], "id": [3, 1, 2], "b": np.array([2, 4, 6], np.int32)})
    for nodes in ("n.parquet", "m.parquet"):
        g = load_graph("e.parquet", node_features=nodes)
        assert g.node_ids == [3, 1, 2]
        assert g.x.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] and g.x.dtype == torch.float64
        assert g.edge_index.tolist() == [[1, 2, 0], [2, 0, 1]]
    (at / "e.txt").write_text("1 2\n2 3\n3 1\n")  # a text edge list with a Parquet node table
    assert load_graph("e.txt", node_features="n.parquet").node_ids == [3, 1, 2]


def test_run_reads_parquet_from_stdin_and_by_input_format(at):
    write("e.parquet", {"src": [1, 2], "dst": [2, 1]})
    os.rename("e.parquet", "e.bin")
    out = cli("run", "e.bin", "--input-format", "parquet", "--rounds", "1", "--last", "-f", "csv", *FIXED)
    assert out.code == 0 and out.stdout == "round,node,x0\n1,1,1.0\n1,2,1.0\n", out.stderr
    out = cli("run", "-", "--rounds", "1", "--last", "-f", "csv", *FIXED, input=open("e.bin", "rb").read())
    assert out.code == 0 and out.stdout == "round,node,x0\n1,1,1.0\n1,2,1.0\n", out.stderr


@pytest.mark.parametrize("columns, schema, words", [
    ({"a": [1], "b": [2]}, None, ["e.parquet: the table must have src,dst or source,target columns", "got a,b"]),
    ({"src": [1, None], "dst": [2, 3]}, None, ["e.parquet: column 'src', row 2: empty (null) value"]),
    ({"src": [1.5], "dst": [2.0]}, None, ["column 'src'", "integers or strings", "double"]),
    ({"src": [1, 2], "dst": ["a", "b"]}, None, ["columns 'src' and 'dst' must both be integers or both strings"]),
    ({"src": [1, 2], "dst": [2, 1], "weight": [1.0, float("inf")]}, None,
     ["e.parquet: column 'weight', row 2: expected a finite number, got inf"]),
    ({"src": [1, 2], "dst": [2, 1], "weight": [1.0, None]}, None, ["column 'weight', row 2: empty (null) value"]),
    ({"src": [1], "dst": [2], "kind": ["heavy"]}, None, ["column 'kind': expected numbers, got a column of type string"]),
    ({"src": ["a", ""], "dst": ["b", "c"]}, None, ["column 'src', row 2: empty node id"]),
    ({"src": [2**64 - 1], "dst": [1]}, pa.schema([("src", pa.uint64()), ("dst", pa.uint64())]),
     ["column 'src', row 1: node id 18446744073709551615 does not fit in a 64-bit integer"]),
])
def test_bad_edge_tables_are_one_clean_line(at, columns, schema, words):
    write("e.parquet", columns, schema)
    fails(cli("run", "e.parquet", "-f", "csv"), 1, *words)


@pytest.mark.parametrize("columns, words", [
    ({"id": [1, 2, 1], "a": [1.0, 2.0, 3.0]}, ["n.parquet: column 'id', row 3: duplicate node id 1 (first in row 1)"]),
    ({"id": [1, 2], "x": [[1.0, 2.0], [3.0]]}, ["n.parquet: column 'x', row 2: 1 features, expected 2 as in row 1"]),
    ({"id": [1, 2], "x": [[1.0, 2.0], [3.0, float("nan")]]}, ["column 'x', row 2: expected a finite feature, got nan"]),
    ({"id": [1, 2], "x": [[1.0, 2.0], [3.0, None]]}, ["column 'x', row 2: empty (null) feature"]),
    ({"id": [1, 2], "a": ["p", "q"]}, ["column 'a': expected features, got a column of type string"]),
    ({"id": [1], "a": [1.0]}, ["e.parquet: column 'dst', row 1: node 2 is not in the node file n.parquet"]),
])
def test_bad_node_tables_are_one_clean_line(at, columns, words):
    write("e.parquet", {"src": [1], "dst": [2]})
    write("n.parquet", columns)
    fails(cli("run", "e.parquet", "--node-features", "n.parquet", "-f", "csv"), 1, *words)


def test_not_parquet_and_truncated_files(at):
    (at / "e.parquet").write_text("src,dst\n1,2\n")
    fails(cli("run", "e.parquet", "-f", "csv"), 1, "e.parquet: not a Parquet file")
    write("t.parquet", {"src": [1, 2], "dst": [2, 1]})
    data = (at / "t.parquet").read_bytes()
    (at / "t.parquet").write_bytes(data[: len(data) // 2])
    fails(cli("run", "t.parquet", "-f", "csv"), 1, "t.parquet: cannot read the Parquet file")
    fails(cli("run", "missing.parquet", "-f", "csv"), 1, "missing.parquet: no such file")


# -- writing -------------------------------------------------------------------------------


def run_to(at, out: str, *extra: str):
    write("e.parquet", {"src": [1, 2, 3], "dst": [2, 3, 1]})
    write("n.parquet", {"id": [3, 1, 2], "x": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]})
    return cli("run", "e.parquet", "--node-features", "n.parquet", "--rounds", "2", *FIXED, "-o", out, *extra)


WANT = {  # x_i' = x_j of the one in-edge: 1->2, 2->3, 3->1, nodes in the node table's order 3, 1, 2
    0: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
    1: [[5.0, 6.0], [1.0, 2.0], [3.0, 4.0]],
    2: [[3.0, 4.0], [5.0, 6.0], [1.0, 2.0]],
}


def table_rows(table: pa.Table) -> dict[int, list[list[float]]]:
    rows: dict[int, list[list[float]]] = {}
    for row in table.to_pylist():
        rows.setdefault(row["round"], []).append([row["x0"], row["x1"]])
    return rows


def test_one_parquet_file_has_round_id_and_features(at):
    out = run_to(at, "out.parquet")
    assert out.code == 0 and out.stdout == "", out.stderr
    table = pq.read_table("out.parquet")
    assert table.schema.names == ["round", "id", "x0", "x1"]
    assert table.schema.field("round").type == pa.int32() and table.schema.field("id").type == pa.int64()
    assert table.schema.field("x0").type == pa.float32()  # the run's dtype
    assert table.column("id").to_pylist() == [3, 1, 2] * 3
    assert table_rows(table) == WANT
    assert pq.ParquetFile("out.parquet").num_row_groups == 3  # a row group per round
    assert sorted(os.listdir(at)) == ["e.parquet", "n.parquet", "out.parquet"]  # no temporary left


def test_parquet_to_stdout_and_float64_and_last(at):
    write("e.parquet", {"src": ["a", "b"], "dst": ["b", "a"]})
    out = cli("run", "e.parquet", "--rounds", "3", "--last", "--dtype", "float64", *FIXED, "-f", "parquet")
    assert out.code == 0, out.stderr
    table = pq.read_table(pa.BufferReader(out.stdout_bytes))
    assert table.column("id").to_pylist() == ["a", "b"] and table.column("round").to_pylist() == [3, 3]
    assert table.schema.field("x0").type == pa.float64()
    fails(cli("run", "e.parquet", "-f", "parquet", tty=True), 2, "binary output to a terminal")


@pytest.mark.parametrize("target", ["rounds/", "existing"])
def test_hive_layout_reads_back_as_the_one_file_table(at, target):
    if target == "existing":
        os.mkdir("existing")
    out = run_to(at, target, "-f", "parquet")  # a folder with -f parquet: the per-round layout
    assert out.code == 0, out.stderr
    folder = target.rstrip("/")
    assert sorted(os.listdir(folder)) == ["_SUCCESS", "_gnnprop.json", "_params.safetensors", "round=0", "round=1",
                                          "round=2"]  # a run folder: rounds, manifest, parameters, done
    assert os.listdir(os.path.join(folder, "round=1")) == ["part-0.parquet"]
    part = pq.read_table(os.path.join(folder, "round=1", "part-0.parquet"))
    assert part.schema.names == ["id", "x0", "x1"] and part.column("id").to_pylist() == [3, 1, 2]
    assert run_to(at, "one.parquet", "-f", "parquet").code == 0
    one = pq.read_table("one.parquet")
    hive = ds.dataset(folder, partitioning="hive", exclude_invalid_files=True).to_table()
    hive = hive.select(one.schema.names).sort_by("round")
    assert hive.equals(one)
    assert not [n for n in os.listdir(at) if n.startswith(".")]  # no temporary folder left


def test_hive_layout_replaces_an_earlier_output_but_never_a_folder_with_other_files(at):
    assert run_to(at, "out/", "-f", "parquet").code == 0
    assert run_to(at, "out/", "-f", "parquet", "--rounds", "1").code == 0
    assert rounds_in("out") == ["round=0", "round=1"]  # round=2 of the earlier run is gone
    os.mkdir("mine")
    (at / "mine" / "notes.txt").write_text("keep me")
    fails(run_to(at, "mine", "-f", "parquet"), 2, "--output: the folder mine holds other files (notes.txt)")
    assert (at / "mine" / "notes.txt").read_text() == "keep me"


def rounds_in(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith("round="))


def _tree(root) -> dict[str, bytes]:
    """The files of a folder (a run folder's rounds only: its manifest says when it ran)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (p.parent != root or not p.name.startswith("_"))}


def test_a_folder_that_holds_an_input_is_never_replaced(at):
    """Iterating on a run: round 2 of out/ as the node features of a new run into out/ is refused."""
    assert run_to(at, "out/", "-f", "parquet").code == 0
    before = _tree(at / "out")
    args = ["run", "e.parquet", "--node-features", "out/round=2/part-0.parquet", "--rounds", "1", *FIXED,
            "-f", "parquet"]
    for target in ("out/", "out", "./out/"):
        fails(cli(*args, "-o", target), 2, "holds an input of this command (the node features, "
              "out/round=2/part-0.parquet)")
        assert _tree(at / "out") == before
    os.symlink("out", "alias")  # through a link to it too
    fails(cli(*args, "-o", "alias/"), 2, "alias/ holds an input")
    assert _tree(at / "out") == before
    fails(cli(*args, "-o", "."), 2, "is the current folder or one above it")
    assert not [n for n in os.listdir(at) if n.startswith(".")]
    assert cli(*args, "-o", "next/").code == 0  # another folder is fine
    assert rounds_in("next") == ["round=0", "round=1"]


def test_a_symlinked_folder_is_written_through_and_stays_a_link(at):
    os.mkdir("real")
    os.symlink("real", "link")
    out = run_to(at, "link/", "-f", "parquet")
    assert out.code == 0, out.stderr
    assert os.path.islink("link") and os.readlink("link") == "real"
    assert rounds_in("real") == ["round=0", "round=1", "round=2"]
    assert run_to(at, "link", "-f", "parquet", "--rounds", "1").code == 0  # replaced again, still a link
    assert os.path.islink("link") and rounds_in("real") == ["round=0", "round=1"]
    assert not [n for n in os.listdir(at) if n.startswith(".")]
    os.symlink("loop", "loop")
    fails(run_to(at, "loop/", "-f", "parquet"), 2, "--output: loop")


def test_save_weights_is_written_beside_a_rounds_folder(at):
    out = run_to(at, "out/", "-f", "parquet", "--layer", "nn", "--save-weights", "w.safetensors")
    assert out.code == 0, out.stderr
    assert os.path.getsize("w.safetensors") > 0 and rounds_in("out")[0] == "round=0"
    again = run_to(at, "again/", "-f", "parquet", "--layer", "nn", "--weights", "w.safetensors")
    assert again.code == 0
    assert _tree(at / "again") == _tree(at / "out")
    fails(run_to(at, "out/", "-f", "parquet", "--layer", "nn", "--save-weights", "out/w.safetensors"), 2,
          "lies inside the folder")
    os.unlink("w.safetensors")
    fails(run_to(at, "out/", "-f", "parquet", "--layer", "nn", "--nodes", "99", "--save-weights", "w.safetensors"),
          1, "99")
    assert not os.path.exists("w.safetensors")  # a failed run writes no weights


def test_a_failed_run_leaves_the_parquet_output_as_it_was(at):
    (at / "out.parquet").write_bytes(b"old")
    write("e.parquet", {"src": [1], "dst": [2]})
    fails(cli("run", "e.parquet", "--rounds", "2", "--nodes", "9", "-o", "out.parquet"), 1, "no node with id '9'")
    assert (at / "out.parquet").read_bytes() == b"old"
