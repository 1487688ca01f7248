"""Rewriting a Parquet file's footer, to make the files a hostile user would: a footer that declares
more rows than the file holds (300 million rows in a few KB). The footer is Thrift's compact
protocol; :func:`declare_rows` decodes it generically, changes the row counts, encodes it again.
(A test helper: gnnprop itself only reads Parquet through pyarrow.)"""

from __future__ import annotations

import struct

STRUCT, LIST, SET = 12, 9, 10


def _varint(b: bytes, i: int) -> tuple[int, int]:
    shift = n = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _value(b: bytes, i: int, t: int):
    if t in (1, 2):
        return t == 1, i
    if t == 3:
        return struct.unpack_from("b", b, i)[0], i + 1
    if t in (4, 5, 6):
        n, i = _varint(b, i)
        return _unzigzag(n), i
    if t == 7:
        return struct.unpack_from("<d", b, i)[0], i + 8
    if t == 8:
        n, i = _varint(b, i)
        return bytes(b[i:i + n]), i + n
    if t in (LIST, SET):
        head = b[i]
        i += 1
        size, et = head >> 4, head & 0xF
        if size == 15:
            size, i = _varint(b, i)
        items = []
        for _ in range(size):
            if et in (1, 2):
                items.append(b[i] == 1)
                i += 1
            else:
                v, i = _value(b, i, et)
                items.append(v)
        return (et, items), i
    if t == STRUCT:
        return _struct(b, i)
    raise ValueError(f"Thrift type {t} is not used by Parquet footers")


def _struct(b: bytes, i: int):
    fields, fid = [], 0
    while True:
        head = b[i]
        i += 1
        if head == 0:
            return fields, i
        t = head & 0xF
        if head >> 4:
            fid += head >> 4
        else:
            n, i = _varint(b, i)
            fid = _unzigzag(n)
        v, i = _value(b, i, t)
        fields.append([fid, t, v])


def _wvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        c, n = n & 0x7F, n >> 7
        out.append(c | 0x80 if n else c)
        if not n:
            return bytes(out)


def _wvalue(t: int, v) -> bytes:
    if t in (1, 2):
        return b""
    if t == 3:
        return struct.pack("b", v)
    if t in (4, 5, 6):
        return _wvarint((v << 1) ^ (v >> 63))
    if t == 7:
        return struct.pack("<d", v)
    if t == 8:
        return _wvarint(len(v)) + v
    if t in (LIST, SET):
        et, items = v
        head = bytes([(len(items) << 4) | et]) if len(items) < 15 else bytes([0xF0 | et]) + _wvarint(len(items))
        return head + b"".join((b"\1" if x else b"\2") if et in (1, 2) else _wvalue(et, x) for x in items)
    return _wstruct(v)


def _wstruct(fields) -> bytes:
    out, last = bytearray(), 0
    for fid, t, v in fields:
        if t in (1, 2):
            t = 1 if v else 2
        delta = fid - last
        out += bytes([(delta << 4) | t]) if 0 < delta < 16 else bytes([t]) + _wvarint((fid << 1) ^ (fid >> 63))
        out += _wvalue(t, v)
        last = fid
    return bytes(out + b"\0")


def _field(fields, fid: int):
    return next(f for f in fields if f[0] == fid)


def declare_rows(data: bytes, rows: int) -> bytes:
    """``data`` (a Parquet file) with its footer saying ``rows`` rows: the file's count (FileMetaData
    field 3), each row group's (RowGroup field 3) and each column chunk's values (ColumnMetaData field 5)."""
    size = struct.unpack_from("<i", data, len(data) - 8)[0]
    start = len(data) - 8 - size
    meta, _ = _struct(data, start)
    assert _wstruct(meta) == data[start:len(data) - 8], "the footer did not encode back to itself"
    _field(meta, 3)[2] = rows
    for group in _field(meta, 4)[2][1]:
        _field(group, 3)[2] = rows
        for chunk in _field(group, 1)[2][1]:
            _field(_field(chunk, 3)[2], 5)[2] = rows
    footer = _wstruct(meta)
    return data[:start] + footer + struct.pack("<i", len(footer)) + b"PAR1"
