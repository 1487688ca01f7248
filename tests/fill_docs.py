"""Fill in what a page's ```console commands print: ``python -m tests.fill_docs docs/x.md ...``.

A command followed by a line ``…`` alone gets its output written in (run as tests/test_docs.py runs
it, in a fresh folder at 80 columns); with ``--refill`` every command that shows output gets it
written again. The page is then read by a person, and tests/test_docs.py keeps it true. Commands
with no lines after them stay so (only their exit status is checked).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .conftest import ROOT
from .test_docs import run_shown


def fill(page: Path, refill: bool = False) -> None:
    lines = page.read_text().splitlines()
    out: list[str] = []
    inside = False
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("sample_graphs", "configs"):
            os.symlink(ROOT / d, Path(tmp) / d)
        os.mkdir(Path(tmp) / "tests")
        os.symlink(ROOT / "tests" / "fixtures", Path(tmp) / "tests" / "fixtures")
        os.mkdir(Path(tmp) / "docs")
        here = os.getcwd()
        os.chdir(tmp)
        try:
            k = 0
            while k < len(lines):
                line = lines[k]
                if line.strip().startswith("```"):
                    inside = line.strip() == "```console" if not inside else False
                out.append(line)
                if inside and line.startswith("$ "):
                    code, printed = run_shown(line[2:].strip(), tmp)
                    end = k + 1
                    while end < len(lines) and not lines[end].startswith("$ ") and not lines[end].startswith("```"):
                        end += 1
                    shown = lines[k + 1:end]
                    if shown == ["…"] or (refill and shown):
                        out.extend(p.rstrip() for p in printed)
                        k = end - 1
                    print(f"{page}: {line} -> exit {code}", file=sys.stderr)
                k += 1
        finally:
            os.chdir(here)
    page.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if a != "--refill"]
    for name in names:
        fill(Path(name).resolve(), refill="--refill" in sys.argv)
