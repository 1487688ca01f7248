"""Several graphs in one run, and every command's help: summaries, usage, examples that run."""

from __future__ import annotations

import glob
import json
import os
import shlex

import pytest
import typer.main

from gnnprop.cli import app
from gnnprop.cli.helptext import EXAMPLES

from .clitools import cli, fails
from .conftest import ROOT, ROUND1, SAMPLES

SEED = str(SAMPLES / "seed_example.json")
PATH3 = str(SAMPLES / "path3.json")


def _copies(tmp_path, n):
    paths = []
    for i in range(n):
        p = tmp_path / "in" / f"g{i}.json"
        p.parent.mkdir(exist_ok=True)
        p.write_text(open(SEED).read())
        paths.append(str(p))
    return paths


def test_several_graphs_to_a_folder_one_file_each(tmp_path):
    paths = _copies(tmp_path, 3)
    out = cli("run", *paths, "--rounds", "1", "-o", str(tmp_path / "out") + "/")
    assert out.code == 0 and out.stdout == ""
    assert out.stderr == f"gnnprop: wrote 3 files to {tmp_path / 'out'}/\n"
    assert sorted(os.listdir(tmp_path / "out")) == ["g0.json", "g1.json", "g2.json"]
    for name in ("g0", "g1", "g2"):
        doc = json.loads((tmp_path / "out" / f"{name}.json").read_text())
        assert doc["rounds"][1]["x"] == ROUND1


def test_paths_from_a_file_and_stdin_with_a_format(tmp_path):
    paths = _copies(tmp_path, 2)
    listing = tmp_path / "list.txt"
    listing.write_text("# my graphs\n" + paths[0] + "\n\n" + paths[1] + "\n")
    out = cli("run", "--paths-from", str(listing), "--rounds", "1", "--last", "-f", "csv", "-o", str(tmp_path / "o") + "/")
    assert out.code == 0
    assert (tmp_path / "o" / "g1.csv").read_text().splitlines()[1] == "1,0,12.5,8.0"
    out = cli("run", "--paths-from", "-", "--rounds", "1", "--last", input="\n".join(paths) + "\n")
    assert out.code == 0
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["graph"] for r in records] == [paths[0]] * 4 + [paths[1]] * 4
    assert records[0] == {"graph": paths[0], "round": 1, "node": 0, "x": [12.5, 8.0]}


def test_several_graphs_on_stdout_json_is_refused_and_tables_have_headings():
    fails(cli("run", SEED, PATH3, "-f", "json"), 2, "--format json", "--format ndjson", "--output DIR/")
    fails(cli("run", SEED, PATH3, "-o", "x.json"), 2, "need a folder", "-o x.json/")
    fails(cli("run", SEED, PATH3, "--save-weights", "w.safetensors"), 2, "--save-weights")
    out = cli("run", SEED, PATH3, "--rounds", "1", "--last", tty=True)
    assert out.code == 0
    assert out.stdout.startswith(f"graph {SEED}\nround 1\n")
    assert f"\ngraph {PATH3}\nround 1\n" in out.stdout


def test_a_failing_graph_is_one_line_and_the_others_still_run(tmp_path):
    paths = _copies(tmp_path, 2)
    bad = tmp_path / "in" / "bad.json"
    bad.write_text("{")
    out = cli("run", paths[0], str(bad), paths[1], "--rounds", "1", "-o", str(tmp_path / "out") + "/")
    assert out.code == 1
    assert sorted(os.listdir(tmp_path / "out")) == ["g0.json", "g1.json"]
    assert out.stderr.splitlines() == [f"gnnprop: error: {bad}:1:2: malformed JSON: Expecting property name "
                                       "enclosed in double quotes",
                                       "gnnprop: 1 of 3 graphs failed; the others were written"]


def test_two_graphs_with_one_name_are_refused_before_running(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in "ab":
        (tmp_path / d / "g.json").write_text(open(SEED).read())
    fails(cli("run", str(tmp_path / "a" / "g.json"), str(tmp_path / "b" / "g.json"), "-o", str(tmp_path / "out") + "/"),
          2, "would both be written to")
    assert not (tmp_path / "out").exists()


def test_no_graph_at_all_is_a_usage_error(tmp_path):
    fails(cli("run"), 2, "give a GRAPH")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    fails(cli("run", "--paths-from", str(empty)), 2, "lists no graph")


# --- help ------------------------------------------------------------------------

def _commands():
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        yield name, cmd
        for sub, subcmd in getattr(cmd, "commands", {}).items():
            yield f"{name} {sub}", subcmd


def test_top_level_help_lists_whole_summaries():
    text = cli("--help").stdout
    for name, cmd in _commands():
        if " " not in name:
            line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
            assert not line.rstrip().endswith("..."), line
            assert line.split(None, 1)[1].strip() == cmd.short_help


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_command_has_examples_in_its_help(name):
    assert name in dict(_commands())
    out = cli(*name.split(), "--help")
    assert out.code == 0
    examples = out.stdout.split("Examples:\n")[1].splitlines()
    assert len([e for e in examples if e.strip().startswith(f"gnnprop {name}")]) >= 2
    assert all(len(e) <= 80 for e in examples)


def test_every_command_is_in_the_examples_table():
    assert {name for name, _ in _commands()} == set(EXAMPLES)


def test_usage_lines_name_arguments_plainly():
    assert cli("run", "--help").stdout.startswith("Usage: gnnprop run [OPTIONS] GRAPH...\n")
    assert cli("inspect", "--help").stdout.startswith("Usage: gnnprop inspect [OPTIONS] [GRAPH]\n")
    assert cli("convert", "--help").stdout.startswith("Usage: gnnprop convert [OPTIONS] GRAPH OUT\n")


RUNNABLE = sorted({e for name, lines in EXAMPLES.items() if name != "bench" for e in lines if "|" not in e})


@pytest.mark.parametrize("example", RUNNABLE)
def test_the_examples_run(tmp_path, monkeypatch, example):
    pytest.importorskip("matplotlib") if " plot " in example else None
    for d in ("sample_graphs", "configs"):
        (tmp_path / d).symlink_to(ROOT / d)
    monkeypatch.chdir(tmp_path)
    args = []
    for word in shlex.split(example)[1:]:
        args += sorted(glob.glob(word)) if "*" in word else [word]
    out = cli(*args)
    assert out.code == 0, out.stderr
    assert "error" not in out.stderr


# --- the README (its commands run in tests/test_docs.py) -----------------------------------

def test_readme_stands_alone():
    import re

    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme and "shared/" not in readme
    assert not re.search(r"seed 00\d|seeds\b", readme)
    for rel in re.findall(r"`((?:sample_graphs|configs|tests/fixtures|docs)/[^`\s]+)`", readme):
        assert (ROOT / rel).exists(), rel


def test_a_config_error_in_a_batch_is_said_once(tmp_path):
    paths = _copies(tmp_path, 3)
    fails(cli("run", *paths, "--aggr", "avg", "-o", str(tmp_path / "out") + "/"), 2, "did you mean 'mean'?")
    assert not (tmp_path / "out").exists()
