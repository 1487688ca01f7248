"""docs/errors.md: every command in its console blocks prints exactly what the page shows.

Each block runs in a fresh folder holding the repository's sample_graphs/ and configs/ (so a
command that writes ``out/`` writes it there, and a later command of the block reads it)."""

from __future__ import annotations

import os
import re
import shlex

import pytest

from .clitools import cli
from .conftest import ROOT

PAGE = ROOT / "docs" / "errors.md"


def blocks() -> list[list[tuple[str, list[str]]]]:
    """The console blocks: ``[(command, its lines)]`` each."""
    found = []
    for body in re.findall(r"```console\n(.*?)```", PAGE.read_text(), re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        found.append(steps)
    return found


def test_the_page_has_commands():
    assert sum(len(b) for b in blocks()) >= 6


@pytest.mark.parametrize("steps", blocks(), ids=lambda steps: steps[0][0][:50])
def test_each_command_prints_what_the_page_shows(tmp_path, monkeypatch, steps):
    for name in ("sample_graphs", "configs"):
        os.symlink(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    for command, want in steps:
        words = shlex.split(command)
        assert words[0] == "gnnprop", command
        out = cli(*words[1:])
        got = (out.stdout + out.stderr).rstrip("\n").splitlines()
        assert got == want, (command, got)
