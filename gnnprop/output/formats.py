"""The output formats of the rounds: the one registry every command, engine, help text and doc reads.

A :class:`Format` says what a format is called, which ``--output`` extensions name it,
whether it is binary, whether several graphs can share one stream of it, whether it is a
view the command line draws (``table``, ``text``) rather than a writer's, and whether
it can be a run folder (``-o OUT/``: ``parquet``). ``gnnprop run``'s ``--format`` help,
its shell completion, the docs' table and the choice of a format from ``--output``
(:func:`by_extension`) are all derived from :data:`FORMATS`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Callable

from ..errors import UsageError
from ..resolver import resolve


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    extensions: tuple[str, ...] = ()  # --output's extensions that name it (the first: what -o DIR/ writes)
    binary: bool = False
    streams: bool = False             # written round by round as computed: several graphs can share stdout
    view: bool = False                # drawn by the command line (a table), not by a writer
    folder: bool = False              # -o OUT/ writes a run folder of it (OUT/round=R/)
    writer: str | None = None         # "module:Class" of its writer, imported when used

    @property
    def suffix(self) -> str:
        """The extension of the file a graph gets in ``-o DIR/`` (views write plain text)."""
        return self.extensions[0] if self.extensions else "txt"

    def make_writer(self, stream: IO):
        from importlib import import_module

        module, _, cls = (self.writer or "").partition(":")
        return getattr(import_module(module, __package__), cls)(stream)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("table", "a table per round, fitted to the terminal (rows and columns elided to fit)", streams=True,
           view=True),
    Format("text", "the same rounds as plain columns, every row and column, no box", ("txt",), streams=True,
           view=True),
    Format("json", '{"nodes": [...], "rounds": [{"round": 0, "x": [[...]]}, ...], "meta": {...}}', ("json",),
           writer=".writers:JsonWriter"),
    Format("ndjson", '{"round": r, "node": id, "x": [...]} per node per round, each round as soon as it is '
           'computed', ("ndjson", "jsonl"), streams=True, writer=".writers:NdjsonWriter"),
    Format("csv", "round,node,x0,x1,... one row per node per round", ("csv",), writer=".writers:CsvWriter"),
    Format("tsv", "the same with tabs (a tab, line break or backslash in an id written \\t, \\n, \\r, \\\\)",
           ("tsv",), writer=".writers:TsvWriter"),
    Format("npy", "the final round as one float array [N, F] in node order", ("npy",), binary=True,
           writer=".writers:NpyWriter"),
    Format("parquet", "columns round, id, x0, ...; a row group per round; -o OUT/: a run folder, "
           "OUT/round=R/", ("parquet", "pq"), binary=True, folder=True, writer=".parquet:ParquetWriter"),
)}

#: The formats a pipe gets without ``--format``: one graph, several graphs.
PIPE_DEFAULT, PIPE_DEFAULT_SEVERAL = "json", "ndjson"


def names(*, views: bool = True) -> tuple[str, ...]:
    return tuple(n for n, f in FORMATS.items() if views or not f.view)


def help_text() -> str:
    """``table | text | json | ...``, for ``--format``'s help."""
    return " | ".join(FORMATS)


def get(name: str, allowed: tuple[str, ...] | None = None, key: str = "format") -> Format:
    """The format ``name`` (case and spaces ignored), among ``allowed`` when given."""
    valid = {n: FORMATS[n] for n in (allowed or FORMATS)}
    return valid[resolve(name, valid, what="format", key=key)[0]]


def by_extension(path: str) -> Format | None:
    """The format ``path``'s extension names, or None."""
    ext = os.path.splitext(path.rstrip("/"))[1].lower().lstrip(".")
    return next((f for f in FORMATS.values() if ext and ext in f.extensions), None)


def extensions_text() -> str:
    """``.json (json), .ndjson (ndjson), ...``, for a message about an unknown extension."""
    return ", ".join(f".{e} ({f.name})" for f in FORMATS.values() for e in f.extensions)


def writer_for(name: str) -> Callable[[IO], object]:
    f = FORMATS[name]
    if f.writer is None:
        raise UsageError(f"{name} is drawn by the command line, not written by a writer", key="format")
    return f.make_writer
