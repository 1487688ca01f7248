"""validate, layers, config show, --version, and behaviour as a real process in a pipe."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from gnnprop import __version__

from .clitools import cli, fails
from .conftest import CONFIGS, ROOT, SAMPLES

SEED = str(SAMPLES / "seed_example.json")


def test_version():
    out = cli("--version")
    assert out.code == 0 and out.stdout == f"gnnprop {__version__}\n"


def test_version_as_a_process_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['gnnprop', '--version']; from gnnprop._entry import main; main(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == f"gnnprop {__version__}\nFalse\n", out


def test_layers_lists_everything_one_line_each():
    out = cli("layers")
    assert out.code == 0 and out.stderr == ""
    lines = out.stdout.splitlines()
    firsts = {(line.split()[0], line.split()[1]) for line in lines}
    for pair in [("layer", "fixed"), ("layer", "nn"), ("layer", "residual"), ("aggr", "sum"), ("aggr", "max"),
                 ("aggr", "mean"), ("rounds", "static"), ("rounds", "rule"), ("rounds", "converge"),
                 ("features", "random")]:
        assert pair in firsts, pair


def test_validate_reports_counts_as_json_in_a_pipe(tmp_path):
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"x": [[1], [2], [3], [4]], "edge_index": [[0, 0, 1, 1], [1, 1, 1, 2]]}))
    out = cli("validate", str(g))
    assert out.code == 0
    rep = json.loads(out.stdout)
    assert rep == {"file": str(g), "valid": True, "num_nodes": 4, "num_edges": 4, "num_features": 1,
                   "isolated_nodes": 1, "self_loops": 1, "duplicate_edges": 1, "has_edge_weight": False,
                   "has_edge_attr": False}


def test_validate_table_on_a_terminal():
    out = cli("validate", SEED, tty=True)
    assert out.code == 0
    assert "valid" in out.stdout and "num nodes" not in out.stdout
    assert "nodes" in out.stdout and "self loops" in out.stdout


def test_validate_exits_1_on_an_invalid_graph(tmp_path):
    g = tmp_path / "bad.json"
    g.write_text('{"x": [[1], [2]], "edge_index": [[0], [5]]}')
    fails(cli("validate", str(g)), 1, "bad.json")


def test_config_show_resolves_file_then_flags():
    out = cli("config", "show", "-c", str(CONFIGS / "dynamic_seed.yaml"), "--seed", "5")
    assert out.code == 0
    shown = yaml.safe_load(out.stdout)
    assert shown["layer"]["type"] == "residual" and shown["aggr"] == "sum" and shown["seed"] == 5
    assert shown["rounds"] == {"mode": "rule", "if": "mean(x) > 0", "then": 3, "else": 1}
    assert cli("config", "show", "--layer", "nn").stdout.count("aggr: mean") == 1


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def test_every_command_has_help_and_a_readme_mention():
    import typer

    from gnnprop.cli import app

    readme = (ROOT / "README.md").read_text()
    found = list(_commands(typer.main.get_command(app)))
    assert {" ".join(p) for p, _ in found} >= {"run", "inspect", "validate", "layers", "config show"}
    for path, cmd in found:
        assert (cmd.help or "").strip(), path
        out = cli(*path, "--help")
        assert out.code == 0 and "Usage" in out.stdout, path
        assert f"gnnprop {' '.join(path)}" in readme, path


def _proc(args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **kw.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "gnnprop", *args], capture_output=True, env=env, cwd=ROOT, **kw)


def test_python_dash_m_in_a_pipe_is_plain_json_without_escape_codes():
    p = _proc(["run", SEED, "--rounds", "1"])
    assert p.returncode == 0 and p.stderr == b""
    assert b"\x1b" not in p.stdout
    assert json.loads(p.stdout)["rounds"][1]["x"][0] == [12.5, 8.0]


def test_closed_pipe_is_quiet():
    cmd = f"{sys.executable} -m gnnprop run {SEED} --rounds 50 --allow-nonfinite -f ndjson | head -1"
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)
    assert p.stdout.decode().startswith('{"round": 0, "node": 0')
    assert p.stderr == b"", p.stderr


def test_error_exit_codes_as_a_process(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": [[1, 2], [3]]')
    p = _proc(["run", str(bad)])
    assert p.returncode == 1 and p.stdout == b""
    assert p.stderr.decode().count("\n") == 1 and "Traceback" not in p.stderr.decode()
    p = _proc(["run", SEED, "--aggr", "nope"])
    assert p.returncode == 2 and p.stdout == b""


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX only")
def test_ctrl_c_exits_130_and_leaves_no_file(tmp_path):
    import signal
    import time

    big = tmp_path / "big.txt"
    big.write_text("".join(f"{i} {(i * 7919) % 200000}\n" for i in range(400000)))
    target = tmp_path / "out.json"
    target.write_text("old")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "gnnprop", "run", str(big), "--rounds", "100000", "--layer", "nn",
                          "--features", "random", "--allow-nonfinite", "-o", str(target)], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not any(x.name.startswith(".out.json.") for x in tmp_path.iterdir()):
        time.sleep(0.1)  # wait until the run is writing its temporary file
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert target.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["big.txt", "out.json"]


def test_shell_completion_completes_commands_and_values():
    from typer.testing import CliRunner

    from gnnprop.cli import app

    def complete(words: str) -> list[str]:
        cword = len(words.split()) - (0 if words.endswith(" ") else 1)
        env = {"COMP_WORDS": words, "COMP_CWORD": str(cword), "_GNNPROP_COMPLETE": "complete_bash"}
        out = CliRunner().invoke(app, [], env=env, prog_name="gnnprop")  # what the shell's hook runs
        assert out.exit_code == 0, out.output
        return out.stdout.split()

    assert complete("gnnprop con") == ["convert", "config"]
    assert complete("gnnprop run g.json --aggr mean,m") == ["mean,mean", "mean,max", "mean,min", "mean,mul"]
    assert complete("gnnprop plot g.json --kind d") == ["derivation"]
    assert {"gcn", "gat", "fixed"} <= set(complete("gnnprop run g.json --layer "))
    assert complete("gnnprop run g.json --format n") == ["ndjson", "npy"]
    assert complete("gnnprop convert a b --to e") == ["edgelist"]
    script = cli("--show-completion", "bash")
    assert script.code == 0 and "_GNNPROP_COMPLETE=complete_bash" in script.stdout


@pytest.mark.parametrize("args, words", [
    (["plot", "g.json"], ["gnnprop plot", "Missing option '--output'", "gnnprop plot --help"]),
    (["convert", "g.json"], ["gnnprop convert", "Missing argument 'OUT'"]),
    (["inspect", "g.json"], ["Missing option '--node'"]),
    (["run", "g.json", "--roundz", "3"], ["No such option: --roundz", "--rounds"]),
    (["run", "g.json", "--rounds", "many"], ["--rounds", "valid integer"]),
    (["runn"], ["No such command 'runn'", "Did you mean 'run'"]),
])
def test_usage_errors_are_one_line_too(args, words):
    fails(cli(*args), 2, *words)
