"""Streaming writers for the per-round node features (the formats' registry: :mod:`.formats`).

A writer is told ``begin(node_ids, width)``, then ``round(r, x)`` for every round
to be written (``x`` a numpy array [N, F]), then ``end(meta)``. json, ndjson and
csv write text; npy writes the final round as one binary ``.npy`` array. ndjson
flushes every round as soon as it is written.

Formats:
    json   {"nodes": [ids], "rounds": [{"round": 0, "x": [[...]]}, ...], "meta": {...}}
    ndjson {"round": r, "node": id, "x": [...]} per node per round
    csv    header round,node,x0,x1,...; one row per node per round
    tsv    the same with tabs; a tab, line break or backslash in an id is written \\t, \\n, \\r, \\\\
    npy    the final features, float array [N, F], in node order
    parquet columns round, id, x0, x1, ...; a row group per round (:mod:`.parquet`)
"""

from __future__ import annotations

import json
from typing import IO, Any, Callable, Iterator, Sequence

import numpy as np

from .numbers import format_grid, format_matrix, int_grid

#: Values formatted at a time: a block's byte grid stays a few MiB.
BLOCK_VALUES = 1 << 16


class Writer:
    binary = False
    nonfinite: str | None = None  # text for inf/nan; None keeps inf/nan

    def __init__(self, stream: IO):
        self.stream = stream

    def begin(self, node_ids: Sequence[Any], width: int) -> None:
        self.node_ids = list(node_ids)
        self.width = width

    def round(self, r: int, x: np.ndarray) -> None:
        raise NotImplementedError

    def end(self, meta: dict[str, Any]) -> None:
        pass


def padded(texts: Sequence[str]) -> np.ndarray:
    """``uint8 [len(texts), W]``: ``texts`` in UTF-8, NUL-padded to the longest (W at least 1).

    The texts must not contain NUL themselves (it is the padding).
    """
    data = np.array([t.encode("utf-8") for t in texts], dtype="S") if texts else np.zeros(0, "S1")
    return data.view(np.uint8).reshape(len(texts), data.dtype.itemsize)


def id_grid(node_ids: Sequence[Any], spell: Callable[[Any], str]) -> np.ndarray | None:
    """The node ids as text, NUL-padded: integers in bulk, else each as ``spell`` writes it.

    ``None`` when a spelled id holds a NUL character, which the padding would lose.
    """
    if all(type(i) is int for i in node_ids):
        try:
            return int_grid(np.array(node_ids, dtype=np.int64))
        except OverflowError:  # beyond int64 (only JSON input could give those)
            pass
    texts = [spell(i) for i in node_ids]
    return None if any("\0" in t for t in texts) else padded(texts)


Part = str | np.ndarray


def text_rows(x: np.ndarray, parts: Sequence[Part], sep: str, tail: str, nonfinite: str | None) -> Iterator[str]:
    """The text of the rows of ``x`` [N, F], a block of rows at a time.

    Row ``i`` is its ``parts`` (a ``str`` is the same for every row, an array is
    a NUL-padded text per row, as from :func:`padded`), then the shortest
    decimals of ``x[i]`` with ``sep`` between them, then ``tail``. A block is
    built as one byte grid, padding included, whose NULs are then squeezed out.
    """
    n, f = x.shape
    after = max(len(sep), len(tail))
    sep_b, tail_b = _bytes(sep), _bytes(tail)
    step = max(1, BLOCK_VALUES // max(f, 1))
    for a in range(0, n, step):
        b = min(a + step, n)
        block = [np.broadcast_to(_bytes(p), (b - a, len(p))) if isinstance(p, str) else p[a:b] for p in parts]
        if f:
            grid = format_grid(x[a:b].reshape(-1), nonfinite, room=after)
            w = grid.shape[1] - after
            cells = grid.reshape(b - a, f, grid.shape[1])
            cells[:, :-1, w:w + len(sep)] = sep_b
            cells[:, -1, w:w + len(tail)] = tail_b
            block.append(cells.reshape(b - a, -1))
        else:
            block.append(np.broadcast_to(tail_b, (b - a, len(tail_b))))
        data = np.concatenate(block, axis=1).reshape(-1)
        yield data[data != 0].tobytes().decode("utf-8")


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), np.uint8)


class JsonWriter(Writer):
    nonfinite = "null"  # JSON has no inf or nan

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.stream.write('{"nodes": ' + json.dumps(self.node_ids) + ', "rounds": [')
        self.first = True
        self.row_starts = padded(["[", ",\n    ["])  # rows joined by ",\n    "

    def round(self, r, x):
        sep = "" if self.first else ","
        self.first = False
        self.stream.write(f'{sep}\n  {{"round": {r}, "x": [\n    ')
        starts = np.take(self.row_starts, np.minimum(np.arange(len(x)), 1), axis=0)
        for text in text_rows(x, [starts], ", ", "]", self.nonfinite):
            self.stream.write(text)
        self.stream.write("\n  ]}")

    def end(self, meta):
        self.stream.write("\n], \"meta\": " + json.dumps(meta) + "}\n")


class NdjsonWriter(Writer):
    """One record per node per round; with ``graph`` set (several graphs in one stream)
    every record starts with ``"graph": name``."""

    nonfinite = "null"
    graph: str | None = None

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.ids = id_grid(self.node_ids, json.dumps)

    def round(self, r, x):
        head = "{" if self.graph is None else '{"graph": ' + json.dumps(self.graph) + ", "
        parts = [head + '"round": ' + str(r) + ', "node": ', self.ids, ', "x": [']
        for text in text_rows(x, parts, ", ", "]}\n", self.nonfinite):
            self.stream.write(text)
        self.stream.flush()


class CsvWriter(Writer):
    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.stream.write(",".join(["round", "node"] + [f"x{k}" for k in range(width)]) + "\n")
        self.ids = id_grid(self.node_ids, _csv_field)

    def round(self, r, x):
        pad = self.width - x.shape[1]
        if self.ids is None:  # an id with a NUL in it: row by row
            self.stream.writelines(",".join([str(r), _csv_field(i), *row, *[""] * pad]) + "\n"
                                   for i, row in zip(self.node_ids, format_matrix(x)))
            return
        parts = [f"{r},", self.ids] + ([","] if x.shape[1] else [])  # the cells follow the id after a comma
        for text in text_rows(x, parts, ",", "," * pad + "\n", None):
            self.stream.write(text)


def _csv_field(node_id: Any) -> str:
    """``node_id`` as a CSV cell: quoted (quotes doubled) when it holds a comma, a quote or
    a line break (``\r`` included, which the csv module leaves bare with a ``\n`` terminator)."""
    text = str(node_id)
    if not any(c in text for c in ',"\r\n'):
        return text
    return '"' + text.replace('"', '""') + '"'


class TsvWriter(Writer):
    """Tab-separated values as the IANA type describes them: no tab or line break inside a
    field, so an id's tab, line breaks and backslashes are written as escapes."""

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.stream.write("\t".join(["round", "node"] + [f"x{k}" for k in range(width)]) + "\n")
        self.ids = id_grid(self.node_ids, _tsv_field)

    def round(self, r, x):
        pad = self.width - x.shape[1]
        if self.ids is None:  # an id with a NUL in it: row by row
            self.stream.writelines("\t".join([str(r), _tsv_field(i), *row, *[""] * pad]) + "\n"
                                   for i, row in zip(self.node_ids, format_matrix(x)))
            return
        parts = [f"{r}\t", self.ids] + (["\t"] if x.shape[1] else [])
        for text in text_rows(x, parts, "\t", "\t" * pad + "\n", None):
            self.stream.write(text)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _tsv_field(node_id: Any) -> str:
    return str(node_id).translate(_TSV_ESCAPES)


class NpyWriter(Writer):
    binary = True

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.last: np.ndarray | None = None

    def round(self, r, x):
        self.last = x

    def end(self, meta):
        if self.last is not None:
            np.save(self.stream, np.ascontiguousarray(self.last), allow_pickle=False)


def make_writer(fmt: str, stream: IO) -> Writer:
    """The writer of the format ``fmt`` (:data:`gnnprop.output.formats.FORMATS`) on ``stream``."""
    from .formats import FORMATS

    return FORMATS[fmt].make_writer(stream)
