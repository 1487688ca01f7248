"""Streaming writers for the per-round node features.

A writer is told ``begin(node_ids, width)``, then ``round(r, x)`` for every round
to be written (``x`` a numpy array [N, F]), then ``end(meta)``. json, ndjson and
csv write text; npy writes the final round as one binary ``.npy`` array. ndjson
flushes every round as soon as it is written.

Formats:
    json   {"nodes": [ids], "rounds": [{"round": 0, "x": [[...]]}, ...], "meta": {...}}
    ndjson {"round": r, "node": id, "x": [...]} per node per round
    csv    header round,node,x0,x1,...; one row per node per round
    npy    the final features, float array [N, F], in node order
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any, Sequence

import numpy as np

from .numbers import format_matrix


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


class JsonWriter(Writer):
    nonfinite = "null"  # JSON has no inf or nan

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.stream.write('{"nodes": ' + json.dumps(self.node_ids) + ', "rounds": [')
        self.first = True

    def round(self, r, x):
        rows = ",\n    ".join("[" + ", ".join(row) + "]" for row in format_matrix(x, self.nonfinite))
        sep = "" if self.first else ","
        self.first = False
        self.stream.write(f'{sep}\n  {{"round": {r}, "x": [\n    {rows}\n  ]}}')

    def end(self, meta):
        self.stream.write("\n], \"meta\": " + json.dumps(meta) + "}\n")


class NdjsonWriter(Writer):
    nonfinite = "null"

    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.prefixes = [', "node": ' + json.dumps(i) + ', "x": [' for i in self.node_ids]

    def round(self, r, x):
        head = '{"round": ' + str(r)
        lines = [head + p + ", ".join(row) + "]}\n" for p, row in zip(self.prefixes, format_matrix(x, self.nonfinite))]
        self.stream.write("".join(lines))
        self.stream.flush()


class CsvWriter(Writer):
    def begin(self, node_ids, width):
        super().begin(node_ids, width)
        self.csv = csv.writer(self.stream, lineterminator="\n")
        self.csv.writerow(["round", "node"] + [f"x{k}" for k in range(width)])

    def round(self, r, x):
        pad = [""] * (self.width - x.shape[1])
        self.csv.writerows([r, i, *row, *pad] for i, row in zip(self.node_ids, format_matrix(x)))


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


WRITERS: dict[str, type[Writer]] = {"json": JsonWriter, "ndjson": NdjsonWriter, "csv": CsvWriter, "npy": NpyWriter}


def make_writer(fmt: str, stream: IO) -> Writer:
    return WRITERS[fmt](stream)
