"""Every command in the docs pages runs and prints what the page shows.

A ```console block is a sequence of ``$ command`` lines, each followed by what it prints at 80 columns
(stderr, then stdout; times and page sizes may differ). Blocks run from a folder that holds the
repository's sample_graphs/, configs/ and tests/fixtures/, so that files an earlier command of the
block wrote are there for the next. ``gnnprop`` commands run in-process as on a terminal; anything
else (a pipe, python) runs in bash with this Python's gnnprop first on the PATH.
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gnnprop.cli import app
from gnnprop.cli.env import Env

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = ["explore.md", "cookbook.md", "install.md"]
VARIES = [(re.compile(r"\b\d+(\.\d+)?(e-\d+)? s\b"), "T s"), (re.compile(r"\(\d+(\.\d+)? (KB|MB)\)"), "(SIZE)")]


def _blocks(page: str) -> list[list[tuple[str, list[str]]]]:
    text = (ROOT / "docs" / page).read_text()
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.rstrip("\n").split("\n"):
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


CASES = [(page, k) for page in PAGES for k in range(len(_blocks(page)))]


def _normal(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern, word in VARIES:
            line = pattern.sub(word, line)
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def _run(command: str, cwd: pathlib.Path) -> tuple[int, str]:
    words = shlex.split(command)
    if words[0] == "gnnprop" and not re.search(r"[|<>;&]", command):
        env = Env(stdout_isatty=True, stderr_isatty=False, color=False, width=80)
        old = os.getcwd()
        os.chdir(cwd)
        try:
            r = CliRunner().invoke(app, words[1:], obj=env, catch_exceptions=False)
        finally:
            os.chdir(old)
        return r.exit_code, r.stderr + r.stdout
    path = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    r = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, "PATH": path, "COLUMNS": "80"}, timeout=600)
    return r.returncode, r.stderr + r.stdout


@pytest.mark.parametrize("page, block", CASES, ids=[f"{p}#{k}" for p, k in CASES])
def test_the_commands_of_the_docs_pages(tmp_path, page, block):
    for name in ("sample_graphs", "configs"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "fixtures").symlink_to(ROOT / "tests" / "fixtures")
    for command, shown in _blocks(page)[block]:
        code, printed = _run(command, tmp_path)
        assert code == 0, (command, printed)
        if shown:
            assert _normal(printed.split("\n")) == _normal(shown), command


def test_every_page_has_commands_and_says_nothing_of_seeds():
    for page in PAGES:
        text = (ROOT / "docs" / page).read_text()
        assert "```console" in text or "```sh" in text, page
        assert not re.search(r"seed 00\d|\bseed'?s\b|seed doc", text, re.IGNORECASE), page


def test_the_cpu_only_install_is_spelled_out():
    text = (ROOT / "docs" / "install.md").read_text()
    sh = "\n".join(re.findall(r"```sh\n(.*?)```", text, re.S))
    lines = [line.strip() for line in sh.splitlines()]
    torch = lines.index("pip install torch --index-url https://download.pytorch.org/whl/cpu")
    assert lines.index("pip install -e .") > torch  # PyTorch's CPU build first; gnnprop then keeps it
    assert "python3 -m venv .venv && . .venv/bin/activate" in lines
