"""Reading Parquet files gnnprop may not have written: verified, bounded, one-line errors.

(Here, beside the writers, because run folders are read back with it; the loaders of
:mod:`gnnprop.io` use it for Parquet graphs and node tables too.)

Every Parquet file gnnprop reads (a graph's edge or node table, a run folder's rounds for
``inspect --from-run`` and ``run --resume``) goes through :func:`read_file` or
:func:`read_folder`:

- page checksums are verified where the file has them (the CRC-32 of each page's bytes, which
  Spark and gnnprop write): a page changed on disk is an error, not wrong numbers;
- the size the footer declares (rows x columns, at the least a value's width each) is checked
  against the memory this process may use, before any page is read: a footer that declares
  300 million rows in a 5 KB file is refused in one line instead of asking the allocator for
  gigabytes ("malloc of size 134217728 failed");
- anything pyarrow cannot read (not Parquet, truncated, a corrupt page, parts of a folder that
  disagree) is one :class:`~gnnprop.errors.InputError` naming the file; running out of memory
  anyway is a :class:`~gnnprop.errors.RunError` naming it too.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError, RunError

#: Bytes a value takes in memory at the least, by Parquet physical type (a string: its offset).
PHYSICAL_BYTES = {"BOOLEAN": 1 / 8, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8, "BYTE_ARRAY": 4}


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def declared_bytes(meta: pq.FileMetaData, columns: Sequence[str] | None = None) -> int:
    """A lower bound of the memory reading the file takes, from its footer alone: every column
    chunk's declared number of values times its type's width (``columns``: only those read)."""
    schema = meta.schema
    widths = []
    for j in range(meta.num_columns):
        col = schema.column(j)
        if columns is not None and col.path.split(".")[0] not in columns:
            widths.append(None)
            continue
        width = PHYSICAL_BYTES.get(col.physical_type)
        if width is None:  # FIXED_LEN_BYTE_ARRAY
            width = max(col.length or 1, 1)
        widths.append(width)
    total = 0.0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for j, width in enumerate(widths):
            if width is not None:
                total += group.column(j).num_values * width
    return int(total)


def check_declared(meta: pq.FileMetaData, name: str, columns: Sequence[str] | None = None,
                   also: int = 0) -> int:
    """Refuse a file whose footer declares more than this process could hold (``also``: bytes
    already declared by other parts of the same read). Returns the declared bytes."""
    from ..engine.memory import size_text, usable_memory

    need = declared_bytes(meta, columns) + also
    usable = usable_memory()
    if usable is not None and need > usable[0]:
        raise RunError(f"{name}: its footer declares {meta.num_rows:,} rows (in a file of {_file_size(name)}), "
                       f"which need about {size_text(need)} in memory, and {usable[1]}")
    return need


def _file_size(name: str) -> str:
    try:
        n = os.path.getsize(name)
    except OSError:
        return "unknown size"
    return f"{n:,} bytes"


def open_file(source: Any, name: str) -> pq.ParquetFile:
    """The Parquet file ``source`` (a path or an Arrow buffer reader), its footer read, checksums on."""
    try:
        return pq.ParquetFile(source, page_checksum_verification=True)
    except pa.ArrowMemoryError:
        raise RunError(f"{name}: out of memory reading its footer") from None
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{name}: cannot read the Parquet file: {_first_line(e)}") from None


def read_opened(pf: pq.ParquetFile, name: str, columns: Sequence[str] | None = None) -> pa.Table:
    """Read ``pf`` (from :func:`open_file`, its declared size already checked)."""
    try:
        return pf.read(columns=list(columns) if columns is not None else None)
    except pa.ArrowMemoryError:
        raise RunError(f"{name}: out of memory reading its {pf.metadata.num_rows:,} rows") from None
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{name}: cannot read the Parquet file: {_first_line(e)}") from None


def read_file(source: Any, name: str, columns: Sequence[str] | None = None) -> pa.Table:
    """The table in one Parquet file (see the module's docstring for what is checked)."""
    pf = open_file(source, name)
    check_declared(pf.metadata, name, columns)
    return read_opened(pf, name, columns)


def parts(folder: str) -> list[str]:
    """The files of a Parquet folder (one round): every visible file, in name order (Spark's
    ``_SUCCESS`` and checksum files, hidden or starting with ``_``, are not data)."""
    try:
        names = sorted(os.listdir(folder))
    except NotADirectoryError:
        raise InputError(f"{folder}: not a folder of Parquet files") from None
    except OSError as e:
        raise InputError(f"{folder}: cannot read the folder: {e.strerror or e}") from None
    found = []
    for n in names:
        if n.startswith((".", "_")):
            continue
        path = os.path.join(folder, n)
        if not os.path.isfile(path):
            raise InputError(f"{path}: not a Parquet file (a round folder holds only its parts)")
        found.append(path)
    return found


def read_folder(folder: str, columns: Sequence[str] | None = None) -> pa.Table:
    """Every part of a Parquet folder as one table: their declared sizes checked together before
    any is read, then each read and verified; parts whose columns disagree are refused."""
    files = parts(folder)
    if not files:
        raise InputError(f"{folder}: holds no Parquet file")
    opened, declared = [], 0
    for path in files:
        pf = open_file(path, path)
        declared = check_declared(pf.metadata, path, columns, also=declared)
        opened.append((path, pf))
    tables = []
    for path, pf in opened:
        missing = [c for c in columns or () if c not in pf.schema_arrow.names]
        if missing:
            raise InputError(f"{path}: no column {missing[0]!r}")
        tables.append(read_opened(pf, path, columns))
    first = tables[0].schema
    for path, table in zip(files[1:], tables[1:]):
        if not table.schema.equals(first):
            raise InputError(f"{path}: its columns ({_columns_text(table.schema)}) differ from those of "
                             f"{files[0]} ({_columns_text(first)}); a round's parts share one layout")
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _columns_text(schema: pa.Schema) -> str:
    shown = [f"{f.name} {f.type}" for f in schema][:4]
    return ", ".join(shown) + (", ..." if len(schema) > 4 else "")


def check_round(table: pa.Table, path: str, width: int) -> None:
    """Refuse a run folder's round that is not what gnnprop writes: columns ``id`` (integers or strings)
    and ``x0 .. x{width-1}`` (numbers, none empty)."""
    names = ["id", *(f"x{k}" for k in range(width))]
    missing = [n for n in names if n not in table.schema.names]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r}; a round has columns {', '.join(names[:3])}, ...")
    kind = table.schema.field("id").type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise InputError(f"{path}: column 'id' holds {kind}; a round's ids are integers or strings")
    for n in names:
        column = table.column(n)
        if n != "id" and not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            raise InputError(f"{path}: column {n!r} holds {column.type}; a round's features are numbers")
        if column.null_count:
            import numpy as np

            row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
            raise InputError(f"{path}: column {n!r}, row {row + 1}: empty (null) value")
