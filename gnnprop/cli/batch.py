"""Several graphs in one ``gnnprop run``: where the paths come from, where each output goes.

``gnnprop run a.json b.json ...`` and ``--paths-from FILE|-`` run each graph with the
same config in one process (the start-up cost is paid once). ``-o DIR/`` writes
``DIR/<name>.<ext>``, ``<name>`` being the graph's file name without its extension;
to stdout, ndjson records carry a ``"graph"`` field and tables a heading per graph;
json, csv, tsv and npy have no place to say which graph a row is from, so to stdout
they are refused for several graphs (use ndjson or ``-o DIR/``). A graph that fails
is reported in one line and the others still run.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable

from ..errors import GnnpropError, UsageError
from .env import Env

@dataclass
class Job:
    graph: str            # the path as given
    output: str | None    # the file to write, None for stdout
    label: str            # how records and headings name the graph


def graph_paths(graphs: list[str] | None, paths_from: str | None) -> list[str]:
    """The GRAPH arguments, then the paths listed in ``paths_from`` (``-``: stdin)."""
    paths = list(graphs or [])
    if paths_from is not None:
        if paths_from == "-":
            if "-" in paths:
                raise UsageError("--paths-from -: stdin holds the list of paths, so no graph can be read from it")
            text = sys.stdin.read()
        else:
            try:
                with open(paths_from, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise UsageError(f"--paths-from: cannot read {paths_from}: {e.strerror}") from None
            except UnicodeDecodeError:
                raise UsageError(f"--paths-from: {paths_from} is not UTF-8 text") from None
        listed = [line.strip() for line in text.splitlines()]
        listed = [p for p in listed if p and not p.startswith("#")]
        if paths_from == "-" and "-" in listed:
            raise UsageError("--paths-from -: the list read from stdin names - (stdin) as a graph, but stdin was "
                             f"the list (line {_line_of(text, '-')}); save that graph to a file and list its path")
        paths += listed
        if not paths:
            raise UsageError(f"--paths-from: {paths_from} lists no graph")
    if not paths:
        raise UsageError("give a GRAPH file (or several, or --paths-from FILE)")
    if paths.count("-") > 1:
        raise UsageError(f"stdin (-) is named {paths.count('-')} times as a graph, but it can be read only once; "
                         "save the graphs to files")
    return paths


def _line_of(text: str, wanted: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if line.strip() == wanted)


def is_dir_target(output: str) -> bool:
    """``-o`` names a folder: it ends with ``/`` or is one."""
    return output.endswith("/") or output.endswith(os.sep) or os.path.isdir(output)


def plan_jobs(paths: list[str], folder: str | None, ext: str) -> list[Job]:
    """One job per path; into ``folder`` (created if missing), each named after its graph."""
    if folder is None:
        return [Job(p, None, p) for p in paths]
    if "-" in paths:
        raise UsageError("-o DIR/: a graph read from stdin (-) has no name to write it under")
    seen: dict[str, str] = {}
    jobs = []
    for p in paths:
        stem = os.path.splitext(os.path.basename(p.rstrip("/")))[0] or os.path.basename(p)
        target = os.path.join(folder, f"{stem}.{ext}")
        if target in seen:
            raise UsageError(f"-o {folder}: {seen[target]} and {p} would both be written to {target}")
        seen[target] = p
        jobs.append(Job(p, target, p))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--output: cannot make the folder {folder}: {e.strerror}") from None
    return jobs


def run_jobs(env: Env, jobs: list[Job], run_one: Callable[[Job], None]) -> list[int]:
    """Run every job; a failure is one line on stderr naming its graph. The exit codes of the failures."""
    from .errline import write_error

    failed: list[int] = []
    for job in jobs:
        try:
            run_one(job)
        except GnnpropError as e:
            text = " ".join(str(e).split("\n"))
            if not text.startswith(job.graph):
                text = f"{job.graph}: {text}"
            write_error(env.err, text, tty=env.err_is_tty(), width=env.width)
            failed.append(e.exit_code)
    if failed:
        env.err.write(f"gnnprop: {len(failed):,} of {len(jobs):,} graphs failed; the others were written\n")
    return failed
