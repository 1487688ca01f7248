"""Issue 12's faults that need a real process: stdout on /dev/full or closed, stdin closed, SIGTERM and
Ctrl-C (``python -m gnnprop`` as a subprocess), each one stderr line and no lost output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLES

SEED = SAMPLES / "seed_example.json"

# --- 5. real processes: stdout on /dev/full or closed, stdin closed, SIGTERM and Ctrl-C -------------------------------

def _proc(args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "gnnprop", *map(str, args)], env=env, capture_output=kw.pop(
        "capture", True), **kw)


def _one_line(stderr: bytes, *words: str) -> str:
    text = stderr.decode()
    assert "Traceback" not in text and text.count("\n") == 1, text
    for w in words:
        assert w in text, (w, text)
    return text


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [
    ["run", SEED, "-f", "json"], ["run", SEED, "-f", "ndjson"], ["run", SEED, "-f", "npy"],
    ["inspect", SEED, "-n", "0"], ["convert", SEED, "-", "--to", "json"], ["run", "--help"],
], ids=["run-json", "run-ndjson", "run-npy", "inspect", "convert", "help"])
def test_stdout_on_dev_full(args):
    with open("/dev/full", "wb") as full:
        p = _proc(args, stdout=full, stderr=subprocess.PIPE, capture=False)
    assert p.returncode == 1
    _one_line(p.stderr, "gnnprop: error: no space left on device writing standard output")


def test_stdout_closed_and_stdin_closed():
    p = _proc(["run", SEED], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, capture=False,
              preexec_fn=lambda: os.close(1))
    assert p.returncode == 1
    _one_line(p.stderr, "standard output is closed")
    p = _proc(["run", "-"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, capture=False,
              preexec_fn=lambda: os.close(0))
    assert p.returncode == 1 and p.stdout == b""
    _one_line(p.stderr, "<stdin>: standard input is closed")


BIG_RUN = ["--rounds", "100000", "--layer", "nn", "--features", "random", "--allow-nonfinite"]


@pytest.fixture(scope="module")
def big_graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_text("".join(f"{i} {(i * 7919) % 200000}\n" for i in range(400000)))
    return path


def _start_and_signal(args, sig, ready, tmp_path, stdout=subprocess.PIPE):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "gnnprop", *map(str, args)], env=env, stdout=stdout,
                         stderr=subprocess.PIPE)
    deadline = time.time() + 90
    while time.time() < deadline and not ready():
        time.sleep(0.1)
    time.sleep(0.3)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    return p.returncode, err


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX only")
def test_sigterm_keeps_the_old_output_and_says_where_it_stopped(tmp_path, big_graph):
    target = tmp_path / "out.json"
    target.write_text("old")
    code, err = _start_and_signal(["run", big_graph, *BIG_RUN, "-o", target], signal.SIGTERM,
                                  lambda: any(x.name.endswith(".tmp") for x in tmp_path.iterdir()), tmp_path)
    assert code == 143
    _one_line(err, "gnnprop: terminated (SIGTERM); stopped ", f"{target} was not written")
    assert target.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX only")
def test_ctrl_c_in_a_streamed_ndjson_leaves_whole_rounds_and_an_error_record(tmp_path, big_graph):
    out = tmp_path / "nd.txt"
    with open(out, "wb") as f:
        code, err = _start_and_signal(["run", big_graph, *BIG_RUN, "-f", "ndjson"], signal.SIGINT,
                                      lambda: out.stat().st_size > 0, tmp_path, stdout=f)
    assert code == 130
    _one_line(err, "gnnprop: interrupted (Ctrl-C); stopped during round", "standard output has round")
    lines = out.read_text().splitlines()
    last = json.loads(lines[-1])
    assert last["error"].startswith("interrupted (Ctrl-C)")
    rounds = [json.loads(line)["round"] for line in lines[:-1]]
    assert len(rounds) == 400000 * last["rounds_written"]  # every written round is whole
    assert rounds[-1] == last["rounds_written"] - 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX only")
def test_ctrl_c_during_the_imports_is_one_line():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "gnnprop", "run", str(SEED)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    maps = Path(f"/proc/{p.pid}/maps")
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None:  # wait until torch's libraries are being loaded
        with contextlib.suppress(OSError):
            if "libtorch" in maps.read_text():
                break
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    if p.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert p.returncode == 130 and out == b""
    _one_line(err, "gnnprop: interrupted (Ctrl-C)")


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="no /dev/stdout")
def test_dash_o_dev_stdout_in_a_pipe_writes_the_pipe():
    p = _proc(["run", SEED, "--rounds", "1", "-f", "csv", "-o", "/dev/stdout"])
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines()[:2] == ["round,node,x0,x1", "0,0,6.0,4.0"]
