"""Issue 12: outputs that never destroy a file, and no traceback under any fault, through the real CLI.

Every case asserts the exit code, the one stderr line, an empty stdout, and the file
system afterwards: every file of the working folder keeps its bytes and its kind
(a symlink stays a link, a device a device, a FIFO a FIFO) unless the case writes it.
Cases that need a real process (signals, closed descriptors, /dev/full as stdout) are in
test_faults_processes.py.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .clitools import cli, fails
from .conftest import SAMPLES

SEED = SAMPLES / "seed_example.json"

LAYERS = '''
import sys
import torch
from torch_geometric.nn import MessagePassing


class Lin(MessagePassing):
    def __init__(self, in_channels):
        super().__init__(aggr="add")
        self.lin = torch.nn.Linear(in_channels, in_channels)

    def forward(self, x, edge_index):
        return self.lin(self.propagate(edge_index, x=x))


class Printer(MessagePassing):
    def __init__(self):
        super().__init__(aggr="add")
        print("built")

    def forward(self, x, edge_index):
        print("hello from forward")
        return self.propagate(edge_index, x=x)


class Exiter(MessagePassing):
    def forward(self, x, edge_index):
        sys.exit(3)


class Grower(MessagePassing):
    def __init__(self):
        super().__init__(aggr="add")
        self.calls = 0

    def forward(self, x, edge_index):
        self.calls += 1
        out = self.propagate(edge_index, x=x)
        return out if self.calls < 3 else torch.cat([out, out], 1)


class Shrinker(Grower):
    def forward(self, x, edge_index):
        self.calls += 1
        out = self.propagate(edge_index, x=x)
        return out if self.calls < 3 else out[:1]
'''


INPUT_FILES = ["e.csv", "n.csv", "c.yaml", "w.safetensors", "mine.py"]
ORIGINALS: dict[Path, dict[str, bytes]] = {}


def _can_mknod(folder: Path) -> bool:
    try:
        os.mknod(folder / ".probe", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError):
        return False
    os.unlink(folder / ".probe")
    return True


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder with one of every input, links to them, a device, a FIFO, a socket and a folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.json").write_bytes(SEED.read_bytes())
    (tmp_path / "e.csv").write_text("src,dst\na,b\nb,c\nc,a\n")
    (tmp_path / "n.csv").write_text("id,f0,f1\na,1,2\nb,3,4\nc,5,6\n")
    (tmp_path / "c.yaml").write_text("rounds: 2\n")
    (tmp_path / "mine.py").write_text(LAYERS)
    out = cli("run", "g.json", "--layer", "mine.py:Lin", "--rounds", "1", "--save-weights", "w.safetensors")
    assert out.code == 0, out.stderr
    for name in ("g.json", "c.yaml", "w.safetensors", "mine.py", "n.csv"):
        os.symlink(name, tmp_path / f"link-{name}")
    os.symlink("g.json", tmp_path / "graph.png")
    os.link(tmp_path / "g.json", tmp_path / "hard.json")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir.safetensors").mkdir()
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind("sock")
    ORIGINALS[tmp_path] = {n: (tmp_path / n).read_bytes() for n in INPUT_FILES}
    if _can_mknod(tmp_path):
        os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(tmp_path / "full", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        os.mknod(tmp_path / "full.png", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    yield tmp_path
    sock.close()


def snapshot(folder: Path) -> dict[str, tuple[str, bytes | str | None]]:
    """Every entry's kind and content (a link's target, a file's bytes)."""
    shot = {}
    for p in sorted(folder.iterdir()):
        mode = os.lstat(p).st_mode
        if stat.S_ISLNK(mode):
            shot[p.name] = ("link", os.readlink(p))
        elif stat.S_ISREG(mode):
            shot[p.name] = ("file", p.read_bytes())
        else:
            shot[p.name] = (stat.filemode(mode)[0], None)
    return shot


def unchanged_but(before: dict, after: dict, *written: str) -> None:
    """``after`` is ``before`` but for the names in ``written``; no temporary file is left."""
    assert not [n for n in after if n.endswith(".tmp") or ".tmp" in n], sorted(after)
    keep = {k: v for k, v in before.items() if k not in written}
    assert {k: v for k, v in after.items() if k not in written} == keep


# --- 1. refusals: an output that is an input, two outputs that are one file, paths that cannot be written ---------

REFUSED = [  # (id, args, exit code, words of the one line)
    ("-o the graph", ["run", "g.json", "-o", "g.json"], 2, ["--output", "the graph", "overwritten"]),
    ("-o a symlink to the graph", ["run", "g.json", "-o", "link-g.json"], 2, ["link-g.json", "the graph"]),
    ("-o a hard link of the graph", ["run", "g.json", "-o", "hard.json"], 2, ["hard.json", "the graph"]),
    ("-o the config", ["run", "g.json", "-c", "c.yaml", "-o", "c.yaml"], 2, ["the config"]),
    ("-o the weights", ["run", "g.json", "--layer", "mine.py:Lin", "--weights", "w.safetensors", "-o",
                        "w.safetensors"], 2, ["the weights"]),
    ("-o a link to the weights", ["run", "g.json", "--layer", "mine.py:Lin", "--weights", "w.safetensors",
                                  "-o", "link-w.safetensors"], 2, ["the weights"]),
    ("-o the layer file", ["run", "g.json", "--layer", "mine.py:Lin", "-o", "mine.py"], 2, ["the layer file"]),
    ("-o the node features", ["run", "e.csv", "--node-features", "n.csv", "-o", "n.csv"], 2, ["node features"]),
    ("--save-weights onto the graph", ["run", "g.json", "--layer", "nn", "--save-weights", "link-w.safetensors",
                                       "--weights", "w.safetensors"], 2, ["--save-weights", "the weights"]),
    ("--save-weights and -o the same file", ["run", "g.json", "--layer", "nn", "--save-weights", "x.safetensors",
                                             "-o", "x.safetensors"], 2, ["--output and --save-weights",
                                                                         "same file"]),
    ("inspect --save-weights the weights", ["inspect", "g.json", "-n", "0", "--layer", "mine.py:Lin", "--weights",
                                            "w.safetensors", "--save-weights", "w.safetensors"], 2, ["the weights"]),
    ("convert OUT the graph", ["convert", "e.csv", "link-n.csv", "--node-features", "n.csv"], 2,
     ["OUT", "node features"]),
    ("convert OUT and --nodes-out the same", ["convert", "e.csv", "x.csv", "--node-features", "n.csv",
                                              "--nodes-out", "x.csv"], 2, ["OUT and --nodes-out", "same file"]),
    ("plot -o a link to the graph", ["plot", "g.json", "-o", "graph.png"], 2, ["the graph"]),
    ("-o a socket", ["run", "g.json", "-o", "sock"], 2, ["sock is a socket"]),
    ("convert OUT a folder", ["convert", "g.json", "dir", "--to", "csv"], 2, ["dir", "is a folder"]),
    ("-o empty", ["run", "g.json", "-o", ""], 2, ["--output", "empty path"]),
    ("convert OUT empty", ["convert", "g.json", ""], 2, ["OUT", "empty path"]),
    ("-o too long a name", ["run", "g.json", "-o", "a" * 300 + ".json"], 2, ["too long"]),
    ("-o in a missing folder", ["run", "g.json", "-o", "nope/x.json"], 2, ["does not exist"]),
    ("--save-weights a folder", ["run", "g.json", "--layer", "nn", "--save-weights", "dir.safetensors"], 2,
     ["--save-weights", "is a folder"]),
    ("--weights a folder", ["run", "g.json", "--layer", "nn", "--weights", "dir.safetensors"], 1, ["is a folder"]),
]


@pytest.mark.parametrize("name, args, code, words", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_outputs_leave_every_file_as_it_was(work, name, args, code, words):
    before = snapshot(work)
    fails(cli(*args), code, *words)
    unchanged_but(before, snapshot(work))


# --- 2. outputs that are not regular files -------------------------------------------------------------------------

def test_dash_o_dash_is_stdout(work):
    before = snapshot(work)
    out = cli("run", "g.json", "--rounds", "1", "-o", "-")
    assert out.code == 0 and json.loads(out.stdout)["rounds"][1]["round"] == 1
    unchanged_but(before, snapshot(work))


def test_symlink_output_is_written_through_and_stays_a_link(work):
    (work / "target.json").write_text("old")
    os.symlink("target.json", work / "link.json")
    out = cli("run", "g.json", "--rounds", "1", "-o", "link.json")
    assert out.code == 0 and out.stdout == ""
    assert os.readlink(work / "link.json") == "target.json"
    assert json.loads((work / "target.json").read_text())["rounds"][1]["x"][0] == [12.5, 8.0]


def test_dangling_symlink_output_creates_its_target(work):
    os.symlink("made.json", work / "dangling.json")
    assert cli("run", "g.json", "--rounds", "1", "-o", "dangling.json").code == 0
    assert os.path.islink(work / "dangling.json") and (work / "made.json").is_file()


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "npy"])
def test_device_output_is_written_directly_and_stays_a_device(work, fmt):
    if not (work / "null").exists():
        pytest.skip("mknod is not permitted here")
    before = snapshot(work)
    out = cli("run", "g.json", "--rounds", "1", "-f", fmt, "-o", "null")
    assert (out.code, out.stdout, out.stderr) == (0, "", "")
    unchanged_but(before, snapshot(work))
    assert stat.S_ISCHR(os.stat(work / "null").st_mode)


FULL = [  # (id, args): a copy of /dev/full as the output: the disk-full error, the device unchanged
    ("run json", ["run", "g.json", "-f", "json", "-o", "full"]),
    ("run ndjson", ["run", "g.json", "-f", "ndjson", "-o", "full"]),
    ("run csv", ["run", "g.json", "-f", "csv", "-o", "full"]),
    ("run npy", ["run", "g.json", "-f", "npy", "-o", "full"]),
    ("convert", ["convert", "g.json", "full", "--to", "json"]),
    ("plot", ["plot", "g.json", "-o", "full.png"]),
]


@pytest.mark.parametrize("name, args", FULL, ids=[f[0] for f in FULL])
def test_dev_full_output_is_the_disk_full_error(work, name, args):
    if not (work / "full").exists():
        pytest.skip("mknod is not permitted here")
    if args[0] == "plot":
        pytest.importorskip("matplotlib")
    before = snapshot(work)
    fails(cli(*args), 1, "no space left on device writing full")
    unchanged_but(before, snapshot(work))


def test_fifo_output_is_streamed_and_stays_a_fifo(work):
    reader = os.open(work / "fifo", os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer's open returns
    try:
        out = cli("run", "g.json", "--rounds", "1", "-f", "csv", "-o", "fifo")
        data = os.read(reader, 1 << 16).decode()
    finally:
        os.close(reader)
    assert out.code == 0, out.stderr
    assert data.splitlines()[:2] == ["round,node,x0,x1", "0,0,6.0,4.0"]
    assert stat.S_ISFIFO(os.lstat(work / "fifo").st_mode)


# --- 3. --save-weights: written only when the command succeeds, atomically -------------------------------------------

def test_save_weights_is_not_written_when_the_run_fails(work):
    before = snapshot(work)
    fails(cli("run", "g.json", "--layer", "nn", "--nodes", "nope", "--save-weights", "new.safetensors"), 1, "nope")
    unchanged_but(before, snapshot(work))
    out = cli("run", "g.json", "--layer", "nn", "--rounds", "1", "--save-weights", "new.safetensors",
              "-o", "new.json")
    assert out.code == 0, out.stderr
    unchanged_but(before, snapshot(work), "new.safetensors", "new.json")
    again = cli("run", "g.json", "--layer", "nn", "--rounds", "1", "--weights", "new.safetensors")
    assert json.loads(again.stdout)["rounds"][1] == json.loads((work / "new.json").read_text())["rounds"][1]


def test_save_weights_is_not_written_when_the_output_fails(work):
    if not (work / "full").exists():
        pytest.skip("mknod is not permitted here")
    before = snapshot(work)
    fails(cli("run", "g.json", "--layer", "nn", "--save-weights", "new.safetensors", "-o", "full"), 1,
          "no space left on device writing full")
    unchanged_but(before, snapshot(work))


# --- 4. a full file system (a 64 KiB tmpfs): the old file kept, no temporary file left --------------------------

@pytest.fixture
def full_fs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {p.stderr.decode().strip()}")
    try:
        (mnt / "old.out").write_text("old")
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)  # fill it: every later block allocation fails
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("args", [
    ["run", str(SEED), "-f", "json"], ["run", str(SEED), "-f", "ndjson"], ["run", str(SEED), "-f", "csv"],
    ["run", str(SEED), "-f", "npy"], ["convert", str(SEED), "--to", "json"], ["plot", str(SEED)],
], ids=["run-json", "run-ndjson", "run-csv", "run-npy", "convert", "plot"])
def test_full_file_system(full_fs, args):
    if args[0] == "plot":
        pytest.importorskip("matplotlib")
        args = args + ["-o", str(full_fs / "old.png")]
        (full_fs / "old.png").write_bytes(b"")  # an existing (empty) picture to keep
        target = full_fs / "old.png"
    else:
        target = full_fs / "old.out"
        args = args[:2] + [str(target)] + args[2:] if args[0] == "convert" else args + ["-o", str(target)]
    before = snapshot(full_fs)
    fails(cli(*args), 1, f"no space left on device writing {target}")
    unchanged_but(before, snapshot(full_fs))


# --- 6. numbers that would be silently wrong; allocations that cannot succeed; config shapes ------------------------

def _write(work: Path, name: str, text: str) -> str:
    (work / name).write_text(text)
    return name


BAD = [  # (id, files to write, args, exit code, words)
    ("1e39 in float32", {"big.json": '{"x": [[1, 2], [1e39, 0]], "edge_index": [[0], [1]]}'},
     ["run", "big.json"], 1, ["big.json: node 1 feature 0 is 1e+39", "float32", "--dtype float64"]),
    ("1e-50 in float32", {"tiny.json": '{"x": [[1e-50]], "edge_index": [[0], [0]]}'},
     ["run", "tiny.json"], 1, ["node 0 feature 0", "become 0", "--dtype float64"]),
    ("edge weight 1e39", {"w.json": '{"x": [[1], [2]], "edge_index": [[0], [1]], "edge_weight": [1e39]}'},
     ["run", "w.json", "--layer", "gcn"], 1, ["edge_weight[0]", "float32"]),
    ("bare x in a rule", {"r.yaml": 'rounds: {mode: rule, if: "x > 0", then: 1, else: 2}\n'},
     ["run", "g.json", "-c", "r.yaml"], 2, ["rounds.if", "bare 'x'", "mean"]),
    ("bare x beside a reduction", {"r.yaml": 'rounds: {mode: rule, if: "mean(x) > x", then: 1, else: 2}\n'},
     ["run", "g.json", "-c", "r.yaml"], 2, ["rounds.if", "column 11"]),
    ("YAML nested 5000 deep", {"d.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n"},
     ["run", "g.json", "-c", "d.yaml"], 2, ["d.yaml", "too deeply nested"]),
    ("YAML mappings nested 3000 deep", {"d.yaml": "a:\n" + "".join(" " * i + f"b{i}:\n" for i in range(1, 3000))},
     ["run", "g.json", "-c", "d.yaml"], 2, ["d.yaml", "too deeply nested"]),
    ("num_nodes 10**12", {"n.json": '{"num_nodes": 1000000000000, "edge_index": [[0], [1]]}'},
     ["run", "n.json"], 1, ["n.json: num_nodes: 1,000,000,000,000 nodes", "limit about"]),
    ("hidden_dim 10**9", {}, ["run", "g.json", "--layer", "nn", "--hidden-dim", "1000000000"], 1,
     ["layer.hidden_dim = 1,000,000,000", "needs about", "available"]),
    ("out_dim 10**9", {}, ["run", "g.json", "--layer", "nn", "--rounds", "1", "--out-dim", "1000000000"], 1,
     ["layer.out_dim = 1,000,000,000", "needs about"]),
    ("feature_dim 10**9", {"e.txt": "0 1\n1 2\n"}, ["run", "e.txt", "--features", "random", "--feature-dim",
                                                   "1000000000"], 1, ["graph.feature_dim = 1,000,000,000",
                                                                      "needs about"]),
    ("nn on 200,000 features", {"e.txt": "0 1\n1 2\n"}, ["run", "e.txt", "--features", "random", "--feature-dim",
                                                        "200000", "--layer", "nn"], 1,
     ["layer nn with 200,000 input features", "needs about"]),
    ("gcn out_dim 10**9", {}, ["run", "g.json", "--layer", "gcn", "--rounds", "1", "--out-dim", "1000000000"], 1,
     ["needs about"]),
    ("bench --num-nodes 10**12", {}, ["bench", "--num-nodes", "1000000000000", "-q"], 1, ["the benchmark graph", "needs about"]),
    ("a layer whose width changes", {}, ["run", "g.json", "--layer", "mine.py:Grower", "-f", "csv"], 1,
     ["mine.py:Grower", "call 3", "(4, 4)", "[4, 2]"]),
    ("a layer whose row count changes", {}, ["run", "g.json", "--layer", "mine.py:Shrinker", "-f", "csv"], 1,
     ["mine.py:Shrinker", "call 3", "(1, 2)"]),
]


@pytest.mark.parametrize("name, files, args, code, words", BAD, ids=[b[0] for b in BAD])
def test_bad_sizes_and_values_are_one_line(work, name, files, args, code, words):
    for fname, text in files.items():
        _write(work, fname, text)
    before = snapshot(work)
    t0 = time.perf_counter()
    fails(cli(*args), code, *words)
    assert time.perf_counter() - t0 < 30  # refused before allocating, not after swapping
    unchanged_but(before, snapshot(work))


def test_values_that_fit_float64_run_there(work):
    _write(work, "big.json", '{"x": [[1e39]], "edge_index": [[0], [0]]}')
    out = cli("run", "big.json", "--dtype", "float64", "--rounds", "1", "--aggr", "mean")
    assert out.code == 0 and json.loads(out.stdout)["rounds"][0]["x"] == [[1e39]]


def test_user_print_goes_to_stderr_and_stdout_stays_data(work):
    out = cli("run", "g.json", "--layer", "mine.py:Printer", "--rounds", "2", "-f", "csv")
    assert out.code == 0
    assert out.stdout.splitlines()[0] == "round,node,x0,x1" and "hello" not in out.stdout
    assert out.stderr.count("hello from forward") == 3 and "built" in out.stderr  # the width probe, then 2 rounds


def test_user_sys_exit_is_a_user_code_error(work):
    out = cli("run", "g.json", "--layer", "mine.py:Exiter", "--rounds", "1")
    assert out.code == 1 and out.stdout == ""
    last = out.stderr.strip().splitlines()[-1]
    assert last == "gnnprop: error: mine.py:Exiter: the code called sys.exit(3); a layer must return or raise"
    assert 'mine.py", line' in out.stderr  # the user's own traceback comes first, as for any error in their code


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "npy", "table"])
def test_rounds_0_is_round_0_only_in_every_format(work, fmt):
    out = cli("run", "g.json", "--rounds", "0", "-f", fmt, "-o", f"r0.{fmt}")
    assert out.code == 0, out.stderr
    path = work / f"r0.{fmt}"
    if fmt == "json":
        doc = json.loads(path.read_text())
        assert [r["round"] for r in doc["rounds"]] == [0] and doc["meta"]["rounds_run"] == 0
    elif fmt == "ndjson":
        assert {json.loads(line)["round"] for line in path.read_text().splitlines()} == {0}
    elif fmt == "csv":
        assert {line.split(",")[0] for line in path.read_text().splitlines()[1:]} == {"0"}
    elif fmt == "npy":
        assert np.load(path).tolist() == [[6.0, 4.0], [0.0, 1.0], [5.0, 3.0], [1.0, 2.0]]
    else:
        text = path.read_text()
        assert "round 0 (input)" in text and "round 1" not in text and "0 rounds computed in" in text


def test_ndjson_streamed_failure_ends_with_an_error_record(work):
    out = cli("run", "g.json", "-f", "ndjson", "--rounds", "200")
    assert out.code == 1
    lines = out.stdout.splitlines()
    last = json.loads(lines[-1])
    assert last == {"error": last["error"], "rounds_written": 108} and last["error"].startswith("round 108: ")
    assert len(lines) - 1 == 4 * 108 and json.loads(lines[-2])["round"] == 107
    assert out.stderr.strip() == "gnnprop: error: " + last["error"]


# --- 7. property: no output, whatever it names, changes an input ------------------------------------------------------

OUTPUT_NAMES = INPUT_FILES + [f"link-{n}" for n in ("c.yaml", "w.safetensors", "mine.py", "n.csv")] + \
    ["link-e.csv", "null", "fifo", "new.out", "new.safetensors"] + \
    ["dir/", "link-dir/", "new-dir/", ".", "./", "link-here/"]  # run folders (-f parquet -o DIR/), through links too
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@SETTINGS
@given(out_name=st.sampled_from(OUTPUT_NAMES), flag=st.sampled_from(["-o", "--save-weights", "OUT", "--nodes-out"]),
       fmt=st.sampled_from(["json", "csv", "parquet"]))
def test_no_output_changes_an_input(work, out_name, flag, fmt):
    if out_name == "link-e.csv" and not (work / "link-e.csv").exists():
        os.symlink("e.csv", work / "link-e.csv")
    for link, target in (("link-dir", "dir"), ("link-here", ".")):  # a link to a folder; to the one holding the inputs
        if not os.path.lexists(work / link):
            os.symlink(target, work / link)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(work / "new-dir")
    if out_name == "null" and not (work / "null").exists():
        out_name = "new.out"  # no mknod here
    for stale in ("new.out", "new.safetensors"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(work / stale)
    for name, data in ORIGINALS[work].items():  # a file that is not this command's input may have been written
        (work / name).write_bytes(data)
    before = snapshot(work)
    reader = os.open(work / "fifo", os.O_RDONLY | os.O_NONBLOCK)
    try:
        inputs = ["e.csv", "n.csv"]
        if flag in ("-o", "--save-weights"):
            inputs += ["c.yaml", "w.safetensors", "mine.py"]
            args = ["run", "e.csv", "--node-features", "n.csv", "-c", "c.yaml", "--layer", "mine.py:Lin",
                    "--weights", "w.safetensors", "-f", fmt, flag, out_name]
        elif flag == "OUT":
            args = ["convert", "e.csv", out_name, "--node-features", "n.csv", "--to", fmt]
        else:
            args = ["convert", "e.csv", "new.out", "--node-features", "n.csv", "--to", "csv", "--nodes-out",
                    out_name]
        out = cli(*args)
        with contextlib.suppress(BlockingIOError):
            os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert out.code in (0, 2), out.stderr
    assert "Traceback" not in out.stderr
    assert {n: (work / n).read_bytes() for n in inputs} == {n: ORIGINALS[work][n] for n in inputs}
    after = snapshot(work)
    for name, (kind, content) in before.items():  # links stay links to the same file, devices devices, FIFOs FIFOs
        if kind != "file":
            assert after[name] == (kind, content), name
    assert not [n for n in after if ".tmp" in n]
    if out.code == 2:
        unchanged_but(before, after)


def test_an_allocation_that_fails_anyway_is_out_of_memory_while_doing_something(work, monkeypatch):
    import gnnprop.engine

    def no_memory(self, x, graph, state):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 64000000000000 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(gnnprop.engine.ReferenceKernel, "step", no_memory)
    before = snapshot(work)
    fails(cli("run", "g.json", "--engine", "reference", "-o", "x.json"), 1, "out of memory while computing round 1")
    unchanged_but(before, snapshot(work))


@pytest.mark.parametrize("command, where", [
    (["convert", "g.json", "out.json"], "gnnprop.io.load_graph"),
    (["plot", "g.json", "-o", "out.png"], "gnnprop.engine.session.open_session"),
    (["inspect", "g.json", "-n", "0", "--layer", "nn", "--save-weights", "out.safetensors"],
     "gnnprop.tracing.explain"),
], ids=["convert", "plot", "inspect"])
def test_ctrl_c_in_other_commands_says_what_was_not_written(work, monkeypatch, command, where):
    if command[0] == "plot":
        pytest.importorskip("matplotlib")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(where, interrupt)
    before = snapshot(work)
    out = cli(*command)
    assert (out.code, out.stdout) == (130, "")
    assert out.stderr.startswith("gnnprop: interrupted (Ctrl-C); stopped while ") and out.stderr.count("\n") == 1
    assert out.stderr.endswith(f"; {command[-1]} was not written\n")
    unchanged_but(before, snapshot(work))

