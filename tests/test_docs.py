"""Every command the README and the docs show runs, and prints what they show.

A page's ```console blocks are transcripts: each ``$ command`` line is run (in a fresh folder
holding sample_graphs/ and configs/, the page's commands one after another, so a command may
read what an earlier one wrote), and the lines after it, when there are any, are what it must
print at 80 columns on a terminal (stdout and stderr as a terminal shows them; times written
``0.0201 s`` and sizes written ``(4.4 MB)`` may differ). A command exits 0 unless its transcript shows an error. A picture a
page draws into docs/ must look like the one committed there. docs/cli.md is generated
(:mod:`gnnprop.cli.reference`) and must be current; its examples are the commands' --help
examples, which tests/test_batch_and_help.py runs.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass

import pytest

from .conftest import ROOT

DOCS = ROOT / "docs"
PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in DOCS.glob("*.md") if p.name != "cli.md")]
SHELL = re.compile(r"[|><;&`$]|\|\|")
TIME = re.compile(r"\d+(\.\d+)?(e-\d+)? s\b")
SIZE = re.compile(r"\(\d+(\.\d+)? (KB|MB)\)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Shown:
    command: str
    output: list[str]
    line: int          # where the page shows it


def transcripts(text: str) -> list[Shown]:
    """The ``$ command`` lines of the page's ```console blocks, with the lines each shows after it."""
    shown: list[Shown] = []
    inside = False
    for k, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("```"):
            inside = line.strip() == "```console" if not inside else False
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            shown.append(Shown(line[2:].strip(), [], k))
        elif shown:
            shown[-1].output.append(line)
    for s in shown:
        while s.output and not s.output[-1].strip():
            s.output.pop()
    return shown


def _norm(lines: list[str]) -> list[str]:
    return [SIZE.sub("(SIZE)", TIME.sub("T s", ANSI.sub("", line))).rstrip() for line in lines]


def run_shown(command: str, folder) -> tuple[int, list[str]]:
    """Run a shown command as a terminal at 80 columns would: gnnprop itself in this process (a terminal
    for its stdout), a shell pipeline in bash with this environment's gnnprop first on the PATH."""
    words = shlex.split(command)
    if words[0] == "gnnprop" and not SHELL.search(command):
        args = []
        for word in words[1:]:  # a shell globs an unquoted word with a * that matches files
            matched = sorted(glob.glob(word)) if "*" in word and " " not in word else []
            args += matched or [word]
        from typer.testing import CliRunner

        from gnnprop.cli import app
        from gnnprop.cli.env import Env

        result = CliRunner().invoke(app, args, obj=Env(stdout_isatty=True, stderr_isatty=False, color=False,
                                                       width=80))
        return result.exit_code, result.output.splitlines()
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               COLUMNS="80", NO_COLOR="1", PYTHONPATH=str(ROOT))
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)
    code = done.returncode
    if code == 128 + 13 and re.search(r"\| *head\b", command):
        code = 0  # a stage before head died of SIGPIPE once head had its lines, as a reader's shell shows it
    return code, (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize("page", PAGES)
def test_every_command_a_page_shows_runs_and_prints_what_it_shows(page, tmp_path, monkeypatch):
    text = (ROOT / page).read_text()
    shown = transcripts(text)
    if any("--engine spark" in s.command for s in shown):
        from .spark_tools import skip_reason

        if skip_reason():
            pytest.skip(skip_reason())
    for d in ("sample_graphs", "configs"):
        (tmp_path / d).symlink_to(ROOT / d)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "fixtures").symlink_to(ROOT / "tests" / "fixtures")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    for s in shown:
        code, printed = run_shown(s.command, tmp_path)
        where = f"{page}:{s.line}: {s.command}"
        failing = any("error:" in line or line.startswith("gnnprop: interrupted") for line in s.output)
        assert (code != 0) == failing, (where, code, printed[-5:])
        if s.output:
            assert _norm(printed) == _norm(s.output), where
    for picture in sorted((tmp_path / "docs").glob("*.png")):
        _same_picture(ROOT / "docs" / picture.name, picture, page)


def _same_picture(committed, drawn, page) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.testing.compare import compare_images

    assert committed.exists(), f"{page} draws docs/{drawn.name}, which is not committed"
    diff = compare_images(str(committed), str(drawn), tol=8)
    assert diff is None, f"{page}: docs/{drawn.name} is out of date ({diff}); draw it again with the page's command"


def test_every_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"({page})" in readme, f"README.md does not link {page}"
    assert "(docs/cli.md)" in readme


def test_every_link_between_pages_leads_somewhere():
    """A relative link of the README or a docs page names a file that is there, and its #anchor a heading of it."""
    broken = []
    for page in ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]:
        here = (ROOT / page).parent
        for target in re.findall(r"\]\(([^)\s]+)\)", (ROOT / page).read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not followed here
            path, _, anchor = target.partition("#")
            file = (here / path).resolve() if path else ROOT / page
            if not file.exists():
                broken.append(f"{page}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
                broken.append(f"{page}: {target} (no heading #{anchor})")
    assert not broken, "\n".join(broken)


def _anchors(text: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_the_cli_reference_is_current():
    from gnnprop.cli.reference import reference

    assert (DOCS / "cli.md").read_text() == reference(), \
        "docs/cli.md is stale: python -m gnnprop.cli.reference > docs/cli.md"


def test_every_command_and_option_is_in_the_cli_reference():
    text = (DOCS / "cli.md").read_text()
    from .test_options import commands, options

    for path, cmd in commands().items():
        if path != "gnnprop":
            assert f"## gnnprop {path}\n" in text, path
        for p in options(cmd):
            assert f"`{p.opts[0]}`" in text, (path, p.opts[0])


def test_the_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 220, len(lines)
    assert "shared/" not in "\n".join(lines) and not re.search(r"seed 00\d", "\n".join(lines))
    for rel in re.findall(r"`((?:sample_graphs|configs|docs)/[^`\s]+)`", "\n".join(lines)):
        assert (ROOT / rel).exists(), rel
