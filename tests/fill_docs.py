"""Fill in what a page's ```console commands print: ``python -m tests.fill_docs docs/x.md ...``.

A command followed by a line ``…`` alone gets its output written in (run as tests/test_docs.py runs
it, in a fresh folder at 80 columns); the page is then read by a person, and tests/test_docs.py keeps
it true. Commands with no lines after them stay so (only their exit status is checked).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .conftest import ROOT
from .test_docs import run_shown


def fill(page: Path) -> None:
    lines = page.read_text().splitlines()
    out: list[str] = []
    inside = False
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("sample_graphs", "configs"):
            os.symlink(ROOT / d, Path(tmp) / d)
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
                    if k + 1 < len(lines) and lines[k + 1].strip() == "…":
                        out.extend(p.rstrip() for p in printed)
                        k += 1
                    print(f"{page}: {line} -> exit {code}", file=sys.stderr)
                k += 1
        finally:
            os.chdir(here)
    page.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        fill(Path(name).resolve())
