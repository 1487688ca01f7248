"""Reading a graph or node file as text, with the checks every format shares.

The file is read as bytes and decoded as UTF-8 (a leading BOM is dropped), so
binary data is reported by its byte offset instead of failing later in a parser.
``-`` means standard input, named ``<stdin>`` in messages.
"""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from typing import IO, Iterator

from .. import _stdio
from ..errors import InputError

STDIN = "-"
STDIN_NAME = "<stdin>"
_BOM = b"\xef\xbb\xbf"
COMMENT_CHARS = "#%"


def source_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def read_text(path: str, stdin: IO | None = None) -> tuple[str, str]:
    """Return ``(text, name)`` for ``path`` (``-``: ``stdin``, default ``sys.stdin``).

    Raises :class:`InputError` for a missing or unreadable file, binary data and
    a file with nothing but whitespace in it.
    """
    data, name = read_data(path, stdin)
    return text_of(data, name), name


def text_of(data: bytes | str, name: str) -> str:
    """The text of what :func:`read_data` read: :func:`decode`, then refuse a blank file."""
    text = decode(data, name)
    if not text or text.isspace():
        raise InputError(f"{name}: the file is empty")
    return text


def read_data(path: str, stdin: IO | None = None) -> tuple[bytes | str, str]:
    """``(data, name)``: the bytes of ``path`` (``str`` from a text-only stdin), not yet decoded.

    Raises :class:`InputError` for a missing or unreadable file.
    """
    name = source_name(path)
    if path == STDIN:
        stream = sys.stdin if stdin is None else stdin
        if stream is None or (stdin is None and _stdio.is_closed(0)):
            raise InputError(f"{name}: standard input is closed; give a file, or pipe the graph in")
        buffer = getattr(stream, "buffer", None)
        data = buffer.read() if buffer is not None else stream.read()
    else:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise InputError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{name}: is a directory, expected a file") from None
        except PermissionError:
            raise InputError(f"{name}: permission denied") from None
        except OSError as e:
            raise InputError(f"{name}: cannot read the file: {e.strerror or e}") from e
    return data, name


def decode(data: bytes | str, name: str) -> str:
    """UTF-8 text of ``data`` without its BOM; binary data is an :class:`InputError`."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as e:
            raise InputError(f"{name}: not a text file (binary data at character {e.start})") from None
    offset = 0
    if data.startswith(_BOM):
        data, offset = data[len(_BOM):], len(_BOM)
    nul = data.find(b"\0")
    bad = nul
    if nul < 0:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            bad = e.start
    hint = ""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        hint = "; it looks like UTF-16 text, convert it to UTF-8"
    raise InputError(f"{name}: not a text file (binary data at byte {bad + offset}{hint})")


def data_lines(text: str) -> tuple[list[int], list[list[str]]]:
    """Line numbers and whitespace-separated fields of the lines that are not blank or comments.

    Lines are counted from 1 and every physical line counts (comments too). A
    comment line starts with ``#`` or ``%`` (after leading blanks).
    """
    fields = list(map(str.split, text.split("\n")))
    keep = [i for i, f in enumerate(fields) if f and f[0][0] not in COMMENT_CHARS]
    return [i + 1 for i in keep], [fields[i] for i in keep]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader builds millions of small objects.

    Those objects hold no cycles, yet each collection would walk all of them;
    pausing it makes a million-line file load several times faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
