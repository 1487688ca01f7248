"""docs/exactness.md: every ```console command runs as shown, in a fresh folder, at 80 columns, and
prints what the page says it prints (a command with nothing after it only has to succeed)."""

from __future__ import annotations

import os
import shlex

from typer.testing import CliRunner

from gnnprop.cli import app
from gnnprop.cli.env import Env

from .conftest import ROOT

PAGE = ROOT / "docs" / "exactness.md"


def transcripts(text: str) -> list[tuple[str, list[str]]]:
    """``[(command, lines it prints)]`` of every ```console block, in order."""
    out: list[tuple[str, list[str]]] = []
    inside = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            inside = line.strip() == "```console" if not inside else False
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return out


def test_every_command_prints_what_the_page_shows(tmp_path):
    shown = transcripts(PAGE.read_text())
    assert len(shown) >= 7
    for d in ("sample_graphs", "configs"):
        os.symlink(ROOT / d, tmp_path / d)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        for command, printed in shown:
            args = shlex.split(command)
            assert args[0] == "gnnprop"
            env = Env(stdout_isatty=False, stderr_isatty=False, color=False, width=80)
            result = CliRunner().invoke(app, args[1:], obj=env, catch_exceptions=False)
            assert result.exit_code == 0, (command, result.stderr)
            if printed:
                assert [line.rstrip() for line in result.stdout.splitlines()] == [p.rstrip() for p in printed], command
    finally:
        os.chdir(here)
