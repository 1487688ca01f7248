"""Standard streams the process was started without (``gnnprop run - <&-``, ``... >&-``).

A closed descriptor 0, 1 or 2 would be handed to the next file gnnprop opens: a
temporary output file could become "stdout". :func:`reserve` (called first thing
by the console script) opens ``/dev/null`` on each closed one and remembers it,
so reading stdin or writing stdout can be refused with a clear message instead.
"""

from __future__ import annotations

import errno
import io
import os
import sys

_closed: set[int] = set()


def reserve() -> None:
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            got = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            if got != fd:  # pragma: no cover - the lowest free descriptor is the closed one
                os.dup2(got, fd)
                os.close(got)
            _closed.add(fd)
    if 2 in _closed or sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)
    if 1 in _closed or sys.stdout is None:
        sys.stdout = _Closed()
    if 0 in _closed or sys.stdin is None:
        sys.stdin = open(0, "r", closefd=False)


def silence_stdout() -> None:
    """After a failed write to stdout: drop what is buffered, so the interpreter's last flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    if isinstance(sys.stdout, _Closed):
        sys.stdout = open(1, "w", closefd=False)


def is_closed(fd: int) -> bool:
    """Whether descriptor ``fd`` (0, 1 or 2) was closed when the process started."""
    return fd in _closed


class _Closed(io.TextIOBase):
    """What ``sys.stdout`` is when descriptor 1 was closed: every write fails as writing to it would (EBADF)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, "Bad file descriptor")

    def fileno(self) -> int:
        return 1

    def isatty(self) -> bool:
        return False
