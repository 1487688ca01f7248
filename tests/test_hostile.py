"""Issue 22: hostile inputs on the new surfaces (run folders, Parquet in and out, YAML, the Spark
engine), one table row per fault, through the real CLI.

Every case checks the exit code; stderr (one ``gnnprop: error:`` line, the last; before it a Spark
run may say what it read; no Python or Java frame anywhere); stdout; the file system afterwards
(every file, link and folder under the working folder and the mounted folders keeps its kind and
bytes, but for the case's own output); and that no JVM is left (by process id: the Java processes
below this one are the same before and after an in-process case; none of a subprocess's is alive
once it has exited). Spark's in-process cases join the tests' one session (conftest); the cases
that need a process of their own (signals, how Spark starts, what its JVM writes on stderr, a
memory limit) run ``python -m gnnprop``.
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .clitools import cli
from .conftest import ROOT, SAMPLES
from .parquet_tamper import declare_rows
from .spark_tools import skip_reason, spark_env

SPARK_REASON = skip_reason()
FRAMES = ("Traceback", 'File "', "\tat ", "py4j.", "java.lang.", "Caused by:", "Exception in thread")

LOOP_LAYER = '''
from torch_geometric.nn import MessagePassing


class Loop(MessagePassing):
    def forward(self, x, edge_index):
        open("in_forward", "w").close()  # for the test: now it loops
        while True:
            pass
'''


# --- the working folder and what is checked -------------------------------------------------------------------------

@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.json").write_bytes((SAMPLES / "seed_example.json").read_bytes())
    (tmp_path / "e4.csv").write_text("src,dst\n0,1\n1,2\n2,3\n3,0\n")
    (tmp_path / "e.csv").write_text("src,dst\na,b\nb,c\nc,a\n")
    (tmp_path / "n.csv").write_text("id,f0\na,1\nb,2\nc,3\n")
    (tmp_path / "loop.py").write_text(LOOP_LAYER)
    (tmp_path / "afile").write_text("a file\n")
    (tmp_path / "mixed.json").write_text('{"nodes": [{"id": 7, "x": [1]}, {"id": "7", "x": [2]}], '
                                         '"edges": [{"source": 7, "target": "7"}]}')
    out = cli("run", "g.json", "-o", "run/", "--rounds", "2")
    assert out.code == 0, out.stderr
    return tmp_path


def tree(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (not through links): a file's bytes, a link's target, a folder."""
    shot = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(base, name)
            rel = os.path.relpath(p, root)
            mode = os.lstat(p).st_mode
            if stat.S_ISLNK(mode):
                shot[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(mode):
                with open(p, "rb") as f:
                    shot[rel] = ("file", f.read())
            else:
                shot[rel] = (stat.filemode(mode)[0], None)
    return shot


def outside(shot: dict, changed: tuple[str, ...]) -> dict:
    """``shot`` without the case's own outputs (a path and everything under it)."""
    return {k: v for k, v in shot.items() if not any(k == c or k.startswith(c + os.sep) for c in changed)}


def java_below(pid: int) -> set[int]:
    """The Java processes among ``pid``'s descendants (Linux /proc)."""
    found, todo, seen = set(), [pid], set()
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = [int(k) for k in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
            except (OSError, ValueError):
                continue
            for k in kids:
                if k not in seen:
                    seen.add(k)
                    todo.append(k)
                    try:
                        if Path(f"/proc/{k}/comm").read_text().strip() == "java":
                            found.add(k)
                    except OSError:
                        pass
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def said_once(stderr: str, code: int, got: int, words, absent=()) -> str:
    """The stderr of a failed command: its last line is the one error, no line is a frame, every line is gnnprop's."""
    assert got == code, (got, stderr)
    lines = stderr.strip().splitlines()
    assert lines and all(ln.startswith("gnnprop: ") for ln in lines), stderr
    assert not any(f in stderr for f in FRAMES), stderr
    errors = [ln for ln in lines if ln.startswith(("gnnprop: error: ", "gnnprop: interrupted", "gnnprop: terminated"))]
    assert errors == [lines[-1]], stderr
    for w in words:
        assert w in lines[-1], (w, lines[-1])
    for w in absent:
        assert w not in lines[-1], (w, lines[-1])
    return lines[-1]


# --- mounted file systems: read-only, and full --------------------------------------------------------------------

@pytest.fixture(scope="module")
def mounts(tmp_path_factory):
    """``{RO}``: an empty read-only tmpfs; ``{FULL}``: a 64 KiB tmpfs with no block free."""
    base = tmp_path_factory.mktemp("mnt")
    ro, full = base / "ro", base / "full"
    ro.mkdir()
    full.mkdir()
    done = []
    for where, options in ((ro, "ro,size=64k"), (full, "size=64k")):
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
        if p.returncode != 0:
            for m in done:
                subprocess.run(["umount", str(m)], check=False)
            yield f"cannot mount a small tmpfs here: {p.stderr.decode().strip() or p.returncode}"
            return
        done.append(where)
    try:
        fd = os.open(full / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        yield {"RO": str(ro), "FULL": str(full)}
    finally:  # lazily: the shared Spark session's JVM may still hold a file it failed to write there
        for m in done:
            subprocess.run(["umount", "-l", str(m)], check=False)


# --- the table ---------------------------------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    args: list[str]
    code: int
    words: list[str]
    changed: tuple[str, ...] = ()                # what the case may write (relative to the working folder)
    prep: Callable[[Path], None] | None = None    # made before the snapshot: part of what must not change
    stdout: Callable[[str], bool] = field(default=lambda s: s == "")
    then: Callable[[Path], None] | None = None    # more checks on what was written
    absent: tuple[str, ...] = ()


def _part(work: Path, r: int) -> Path:
    return work / "run" / f"round={r}" / "part-0.parquet"


def _garbage(work: Path) -> None:
    _part(work, 0).write_bytes(b"PAR1 this is not Parquet PAR1")


def _flip_page(work: Path) -> None:
    """One byte of round 0's x0 data page changed: its CRC-32 no longer matches."""
    p = _part(work, 0)
    cc = pq.ParquetFile(p).metadata.row_group(0).column(1)
    data = bytearray(p.read_bytes())
    data[(cc.dictionary_page_offset or cc.data_page_offset) + cc.total_compressed_size - 3] ^= 0xFF
    p.write_bytes(bytes(data))


def _foreign(columns: dict) -> Callable[[Path], None]:
    def prep(work: Path) -> None:
        pq.write_table(pa.table(columns), _part(work, 0))
    return prep


def _second_part(work: Path) -> None:
    pq.write_table(pa.table({"id": [9], "x0": [1.0]}), _part(work, 0).with_name("part-1.parquet"))


def _declared(target: str, rows: int) -> Callable[[Path], None]:
    def prep(work: Path) -> None:
        p = work / target
        if not p.exists():
            pq.write_table(pa.table({"src": [0, 1, 2], "dst": [1, 2, 0]}), p)
        p.write_bytes(declare_rows(p.read_bytes(), rows))
    return prep


def _files(**texts: str) -> Callable[[Path], None]:
    def prep(work: Path) -> None:
        for name, text in texts.items():
            (work / name.replace("_", ".")).write_text(text)
    return prep


def _link_to_folder(work: Path) -> None:
    (work / "real").mkdir()
    os.symlink("real", work / "link")


def _loop(work: Path) -> None:
    os.symlink("loop2", work / "loop1")
    os.symlink("loop1", work / "loop2")


def _rounds_in(folder: str, *names: str) -> Callable[[Path], None]:
    def then(work: Path) -> None:
        assert sorted(n for n in os.listdir(work / folder) if n.startswith("round=")) == list(names)
    return then


def _weights_written(work: Path) -> None:
    assert (work / "w.safetensors").stat().st_size > 0 and (work / "out2" / "_SUCCESS").exists()


def _still_a_link(work: Path) -> None:
    assert os.readlink(work / "link") == "real"
    _rounds_in("real", "round=0", "round=1")(work)


BOMB = "layer:\n  type: gcn\n  aggr_kwargs:\n    x0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"    x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
RUN_G = ["run", "g.json", "--rounds", "1"]
FROM_RUN = ["inspect", "g.json", "--from-run", "run", "-n", "0", "--round", "1"]
SPARK = ["run", "e.csv", "--node-features", "n.csv", "--engine", "spark", "--rounds", "1"]  # in a process

LOCAL = [
    # 1-3: run folders never lose data (f0220d6)
    Case("1 a folder holding an input is not replaced", ["run", "e4.csv", "--node-features", "run/round=1/part-0.parquet",
         "-f", "parquet", "-o", "run/"], 2, ["run/ holds an input of this command (the node features"]),
    Case("2 a symlink to a folder is written through", [*RUN_G, "-o", "link/"], 0, [], changed=("real",),
         prep=_link_to_folder, then=_still_a_link),
    Case("3 --save-weights beside a run folder", [*RUN_G, "--layer", "nn", "-o", "out2/", "--save-weights",
         "w.safetensors"], 0, [], changed=("out2", "w.safetensors"), then=_weights_written),
    Case("3 --save-weights inside the run folder", [*RUN_G, "--layer", "nn", "-o", "run/", "--save-weights",
         "run/w.safetensors"], 2, ["--save-weights run/w.safetensors lies inside the folder --output replaces"]),
    # 4: ids 7 and "7"
    Case("4 mixed ids in one Parquet file", ["run", "mixed.json", "-o", "m.parquet"], 2,
         ["Parquet cannot keep node ids 7 (an integer, node 1) and '7' (a string, node 2) apart"]),
    Case("4 mixed ids in a run folder", ["run", "mixed.json", "-o", "m/"], 2, ["cannot keep node ids 7"]),
    # 5: a run folder's rounds, and Parquet input, that gnnprop did not write
    Case("5 a round part that is not Parquet", FROM_RUN, 1, ["round=0/part-0.parquet: cannot read the Parquet file"],
         prep=_garbage),
    Case("5 a page whose checksum fails", FROM_RUN, 1, ["round=0/part-0.parquet", "CRC checksum verification failed"],
         prep=_flip_page),
    Case("5 a round with text features", FROM_RUN, 1, ["column 'x0' holds string; a round's features are numbers"],
         prep=_foreign({"id": [0, 1, 2, 3], "x0": ["a"] * 4, "x1": ["b"] * 4})),
    Case("5 a round with float ids", FROM_RUN, 1, ["column 'id' holds double"],
         prep=_foreign({"id": [0.0, 1.0, 2.0, 3.0], "x0": [1.0] * 4, "x1": [1.0] * 4})),
    Case("5 a round without a node's row", FROM_RUN, 1, ["no row for node '0'"],
         prep=_foreign({"id": [5, 6], "x0": [1.0] * 2, "x1": [1.0] * 2})),
    Case("5 a round's parts that disagree", FROM_RUN, 1, ["part-1.parquet: its columns (id int64, x0 double)",
         "differ from those of"], prep=_second_part),
    Case("5 a round declaring 2**40 rows", FROM_RUN, 1, ["part-0.parquet: its footer declares 1,099,511,627,776 rows",
         "need about"], prep=lambda w: _declared("run/round=0/part-0.parquet", 1 << 40)(w)),
    Case("5 an edge table declaring 2**40 rows", ["run", "big.parquet"], 1,
         ["big.parquet: its footer declares 1,099,511,627,776 rows (in a file of"], prep=_declared("big.parquet", 1 << 40)),
    Case("5 a truncated edge table", ["run", "cut.parquet"], 1, ["cut.parquet: cannot read the Parquet file"],
         prep=lambda w: (pq.write_table(pa.table({"src": [0], "dst": [1]}), w / "cut.parquet"),
                         (w / "cut.parquet").write_bytes((w / "cut.parquet").read_bytes()[:-20]))),
    # 6: YAML
    Case("6 an alias bomb under the alias cap", ["config", "show", "-c", "bomb.yaml"], 2,
         ["bomb.yaml:8:9: the aliases here expand to 66,430 values"], prep=_files(bomb_yaml=BOMB)),
    Case("6 a recursive alias", ["config", "show", "-c", "rec.yaml"], 2,
         ["rec.yaml:3:16: an alias refers to the node that contains it"],
         prep=_files(rec_yaml="layer:\n  type: gcn\n  aggr_kwargs: &r [*r]\n")),
    Case("6 merge keys are merged, the keys beside them win", ["config", "show", "-c", "merge.yaml"], 0, [],
         prep=_files(merge_yaml="x-base: &base\n  type: nn\n  hidden_dim: 4\n  out_dim: 3\n"
                                "layer:\n  <<: *base\n  hidden_dim: 8\n"),
         stdout=lambda s: s.startswith("layer:\n  type: nn\n  hidden_dim: 8\n  out_dim: 3\n")),
    # 8: smaller lies
    Case("8 stdin named twice", ["run", "-", "-"], 2, ["stdin (-) is named 2 times"]),
    Case("8 a --paths-from - list naming -", ["run", "--paths-from", "-"], 2,
         ["--paths-from -: the list read from stdin names - (stdin)", "(line 2)"]),
    Case("8 a Parquet table without src and dst", ["run", "ab.parquet"], 1,
         ["ab.parquet: the table must have src,dst", "got a,b; name its id columns src and dst"],
         prep=lambda w: pq.write_table(pa.table({"a": [1], "b": [2]}), w / "ab.parquet"), absent=("header line",)),
    Case("8 -o . for a run folder", [*RUN_G, "-f", "parquet", "-o", "."], 2, ["is the current folder"]),
    Case("8 -o through a symlink loop", [*RUN_G, "-o", "loop1/"], 2, ["loop1: Too many levels of symbolic links"],
         prep=_loop),
    Case("8 -o below a symlink loop", [*RUN_G, "-o", "loop1/x/"], 2, ["loop1: Too many levels of symbolic links"],
         prep=_loop),
    Case("8 -o below a regular file", [*RUN_G, "-o", "afile/x/"], 2, ["afile is a file, not a folder"]),
    Case("8 a file output named as a folder", ["convert", "g.json", "nd/", "--to", "csv"], 2,
         ["OUT: nd/ names a folder (it ends in /); give a file name"]),
    Case("8 -o a read-only file system, a file", [*RUN_G, "-o", "{RO}/x.json"], 2, ["read-only file system"]),
    Case("8 -o a read-only file system, a run folder", [*RUN_G, "-o", "{RO}/out/"], 2, ["read-only file system"]),
    Case("8 -o the read-only mount itself", [*RUN_G, "-o", "{RO}/"], 2, ["cannot write in {RO}/: read-only file system"]),
    Case("8 a full disk names the run folder", [*RUN_G, "-o", "{FULL}/out/"], 1,
         ["no space left on device writing {FULL}/out/"]),
]

STDIN = {"8 stdin named twice": "0 1\n", "8 a --paths-from - list naming -": "g.json\n-\n"}


def _fill(case: Case, where, work: Path) -> tuple[list[str], list[str]]:
    text = " ".join(case.args + case.words)
    if ("{RO}" in text or "{FULL}" in text) and not isinstance(where, dict):
        pytest.skip(where)
    m = {**(where if isinstance(where, dict) else {}), "W": str(work)}
    return [a.format(**m) for a in case.args], [w.format(**m) for w in case.words]


def _roots(work: Path, where) -> list[Path]:
    return [work] + ([Path(p) for p in where.values()] if isinstance(where, dict) else [])


def run_case(case: Case, work: Path, where, engine_args=()) -> None:
    if case.prep:
        case.prep(work)
    args, words = _fill(case, where, work)
    roots = _roots(work, where)
    before = [tree(r) for r in roots]
    jvms = java_below(os.getpid())
    out = cli(*args, *engine_args, input=STDIN.get(case.id))
    if case.code:
        said_once(out.stderr, case.code, out.code, words, case.absent)
    else:
        assert out.code == 0, out.stderr
        assert not any(f in out.stderr for f in FRAMES), out.stderr
    assert case.stdout(out.stdout), out.stdout
    for root, shot in zip(roots, before):
        after = tree(root)
        assert outside(after, case.changed) == outside(shot, case.changed), root
        assert not [k for k in after if ".tmp" in k or k.endswith(".previous")], sorted(after)
    if case.then:
        case.then(work)
    assert java_below(os.getpid()) == jvms


@pytest.mark.parametrize("case", LOCAL, ids=[c.id for c in LOCAL])
def test_local(work, mounts, case):
    run_case(case, work, mounts)


# --- the Spark engine, in this process (the tests' one session) ---------------------------------------------------

def _corrupt_parquet(work: Path) -> None:
    """An edge table whose footer reads but whose pages do not: found only when a Spark job reads them."""
    n = 2000
    pq.write_table(pa.table({"src": [f"n{i}" for i in range(n)], "dst": [f"n{i * 7 % n}" for i in range(n)]}),
                   work / "bad.parquet", use_dictionary=False)
    data = bytearray((work / "bad.parquet").read_bytes())
    for k in range(200, 1200):
        data[k] ^= 0x5A
    (work / "bad.parquet").write_bytes(bytes(data))


def _spark_rounds_through_link(work: Path) -> None:
    assert os.readlink(work / "link") == "real" and (work / "real" / "_SUCCESS").exists()
    _rounds_in("real", "round=0", "round=1")(work)


# Spark's JVM resolves relative paths against its own working folder (the session's, not this test's): {W}/
SPARK_W = ["run", "{W}/e.csv", "--node-features", "{W}/n.csv", "--engine", "spark", "--rounds", "1"]
SPARK_CASES = [
    Case("1 a folder holding an input is not replaced", ["run", "{W}/e4.csv", "--node-features",
         "{W}/run/round=1/part-0.parquet", "--engine", "spark", "-o", "{W}/run/"], 2,
         ["{W}/run/ holds an input of this command"]),
    Case("2 a symlink to a folder is written through", [*SPARK_W, "-o", "{W}/link/"], 0, [], changed=("real",),
         prep=_link_to_folder, then=_spark_rounds_through_link),
    Case("3 --save-weights beside a run folder", [*SPARK_W, "--layer", "nn", "-o", "{W}/out2/", "--save-weights",
         "{W}/w.safetensors"], 0, [], changed=("out2", "w.safetensors"), then=_weights_written),
    Case("7 a read-only output folder", [*SPARK_W, "-o", "{RO}/out/"], 2,
         ["cannot write in '{RO}': read-only file system"]),
    Case("7 a read-only output folder, as a URL", [*SPARK_W, "-o", "file://{RO}/out/"], 1,
         ["cannot write file://{RO}/out/: {RO} is on a read-only file system"]),
    Case("7 a full disk", [*SPARK_W, "-o", "{FULL}/out/"], 1, ["no space left on device writing {FULL}/out/"]),
    Case("7 a full disk, as a URL", [*SPARK_W, "-o", "file://{FULL}/out/"], 1,
         ["no space left on device writing file://{FULL}/out/"]),
    Case("7 a checkpoint_dir under a regular file", [*SPARK_W, "-c", "ck.yaml"], 2,
         ["spark.checkpoint_dir: {W}/afile/ck: {W}/afile is a file, not a folder"],
         prep=lambda w: (w / "ck.yaml").write_text(f"spark:\n  checkpoint_dir: {w}/afile/ck\n")),
    Case("7 a conf value gnnprop reads", [*SPARK_W, "-c", "sp.yaml"], 2,
         ["sp.yaml: spark.conf.spark.sql.shuffle.partitions: expected a positive integer, got 'many'"],
         prep=_files(sp_yaml="spark:\n  conf: {spark.sql.shuffle.partitions: many}\n")),
    Case("7 driver_memory that is no size", [*SPARK_W, "-c", "dm.yaml"], 2,
         ["spark.driver_memory: expected a memory size such as 512m or 4g, got 'lots'"],
         prep=_files(dm_yaml="spark:\n  driver_memory: lots\n")),
    Case("7 corrupt data found at job time", ["run", "{W}/bad.parquet", "--engine", "spark", "-f", "csv"], 1,
         ["Spark failed while reading {W}/bad.parquet: Encountered error while reading file file:",
          "bad.parquet: IOException: "], prep=_corrupt_parquet),
    Case("7 -o onto a regular file", [*SPARK_W, "-o", "{W}/afile/"], 2,
         ["--output: {W}/afile is a file, expected a folder"]),
    Case("7 --reorder", [*SPARK_W, "--reorder", "degree"], 2, ["the spark engine keeps no node order"]),
    Case("8 a Parquet table without src and dst", ["run", "{W}/ab.parquet", "--engine", "spark"], 1,
         ["ab.parquet: the table must have src,dst"], absent=("header line",),
         prep=lambda w: pq.write_table(pa.table({"a": [1], "b": [2]}), w / "ab.parquet")),
]


@pytest.mark.spark
@pytest.mark.skipif(SPARK_REASON is not None, reason=SPARK_REASON or "")
@pytest.mark.parametrize("case", SPARK_CASES, ids=[c.id for c in SPARK_CASES])
def test_spark(work, mounts, spark_session, case):
    run_case(case, work, mounts)


# --- in a process of its own: signals, how Spark starts, what its JVM writes, a memory limit ------------------------

def proc(args, cwd: Path, env: dict | None = None, signal_when: Callable[[set[int]], bool] | None = None,
         sig: int = signal.SIGTERM, limit_as: int | None = None, timeout: float = 300):
    """Run ``python -m gnnprop ARGS``; send ``sig`` once ``signal_when(java pids so far)`` holds. Returns
    ``(exit code, stdout, stderr, every process seen below it)``, checking that none is alive after it."""
    def preexec():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    env = {**spark_env(PYTHONPATH=str(ROOT)), **(env or {})}  # a Spark driver with the tests' JVM options
    p = subprocess.Popen([sys.executable, "-m", "gnnprop", *map(str, args)], cwd=cwd, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec)
    seen: set[int] = set()
    java: set[int] = set()
    deadline = time.time() + timeout
    signalled = signal_when is None
    while p.poll() is None and time.time() < deadline:
        java |= java_below(p.pid)
        seen |= java
        if not signalled and signal_when(java):
            time.sleep(0.5)
            p.send_signal(sig)
            signalled = True
        time.sleep(0.05)
    out, err = p.communicate(timeout=max(deadline - time.time(), 1))
    time.sleep(0.5)
    assert not [k for k in seen if alive(k)], f"a JVM is left running: {seen}"
    return p.returncode, out.decode(), err.decode(), seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_in_a_layers_forward_says_so(work):
    """Item 8: the layer's forward() loops while it is tried; Ctrl-C names that, not the graph read before."""
    before = tree(work)
    code, out, err, _ = proc(["run", "g.json", "--layer", "loop.py:Loop", "-o", "lo.csv"], work,
                             signal_when=lambda _: (work / "in_forward").exists(), sig=signal.SIGINT)
    said_once(err, 130, code, ["interrupted (Ctrl-C); stopped while preparing the loop.py:Loop layer",
                               "lo.csv was not written"])
    assert out == "" and outside(tree(work), ("in_forward",)) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_300_million_rows_in_a_few_kb_under_a_memory_limit(work):
    """Item 5: a footer that declares 300,000,000 rows, read with ``ulimit -v 4 GiB``: refused before
    pyarrow asks for gigabytes ("malloc of size 134217728 failed")."""
    _declared("e300m.parquet", 300_000_000)(work)
    assert (work / "e300m.parquet").stat().st_size < 5000
    before = tree(work)
    code, out, err, _ = proc(["run", "e300m.parquet"], work, limit_as=4 << 30)
    said_once(err, 1, code, ["e300m.parquet: its footer declares 300,000,000 rows", "need about 4.5 GiB",
                             "(ulimit -v)"], absent=("malloc",))
    assert out == "" and tree(work) == before


START_FAILURES = [  # (id, env, config, exit code, words): a Spark that does not start says why, in one line
    ("a JVM that exits", {"JAVA_TOOL_OPTIONS": "-Xmxlots"}, "", 1,
     ["cannot start Spark: the JVM exited: Picked up JAVA_TOOL_OPTIONS: -Xmxlots; Invalid maximum heap size"]),
    ("JAVA_HOME without java", {"JAVA_HOME": "/nonexistent"}, "", 2,
     ["JAVA_HOME is /nonexistent, which has no bin/java"]),
]


@pytest.mark.spark
@pytest.mark.skipif(SPARK_REASON is not None, reason=SPARK_REASON or "")
@pytest.mark.parametrize("name, env, config, code, words", START_FAILURES, ids=[s[0] for s in START_FAILURES])
def test_spark_start_failures_say_why(work, name, env, config, code, words):
    before = tree(work)
    got, out, err, _ = proc(SPARK, work, env=env)
    said_once(err, code, got, words)
    assert out == "" and tree(work) == before


@pytest.mark.spark
@pytest.mark.skipif(SPARK_REASON is not None, reason=SPARK_REASON or "")
def test_sigterm_while_spark_starts_leaves_no_jvm(work):
    """Item 7: SIGTERM once the JVM is there but the session is not: 143, one line, the JVM killed."""
    before = tree(work)
    code, out, err, seen = proc([*SPARK, "-o", "out/"], work, signal_when=bool)
    assert seen, "no JVM was seen starting"
    said_once(err, 143, code, ["terminated (SIGTERM); stopped while starting Spark (local[*])"])
    assert out == "" and tree(work) == before


@pytest.mark.spark
@pytest.mark.skipif(SPARK_REASON is not None, reason=SPARK_REASON or "")
def test_a_failed_spark_job_is_one_line_on_the_real_stderr(work):
    """Item 7: what the JVM itself logs of a failed task (an ERROR with its stack) stays off stderr: the
    run's lines, then one error. (The JVM's warnings, one line each, are issue 20's: off unless --verbose.)"""
    _corrupt_parquet(work)
    before = tree(work)
    code, out, err, _ = proc(["run", "bad.parquet", "--engine", "spark", "-f", "csv"], work)
    jvm = [ln for ln in err.splitlines() if not ln.startswith("gnnprop: ")]
    assert all(ln.startswith("WARNING: Using incubator modules") or " WARN " in ln for ln in jvm), err
    said_once("\n".join(ln for ln in err.splitlines() if ln not in jvm), 1, code,
              ["Spark failed while reading bad.parquet"])
    assert not any(f in err for f in FRAMES) and " ERROR " not in err, err
    assert out == "" and tree(work) == before
