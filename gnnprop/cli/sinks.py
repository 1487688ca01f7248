"""Where output goes: stdout, or a file written atomically.

``--output FILE`` writes a temporary file in FILE's folder and renames it over
FILE only when the command succeeds; on any failure (Ctrl-C included) the
temporary file is removed and an existing FILE is left as it was. Whole-document
formats sent to stdout are spooled first, so a failed run prints nothing.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from ..errors import UsageError

SPOOL_BYTES = 64 * 1024 * 1024


def check_writable(path: str, what: str = "--output") -> None:
    """Fail before any work when ``path``'s folder is missing or ``path`` is a folder."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"{what}: the folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{what}: {path} is a folder")


@contextlib.contextmanager
def atomic_file(path: str, binary: bool, what: str = "--output") -> Iterator[IO]:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{what}: the folder {str(folder)!r} does not exist")
    if target.is_dir():
        raise UsageError(f"{what}: {path} is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(f"{what}: cannot write in {str(folder)!r}: {e.strerror}") from None
    try:
        with (os.fdopen(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if target.exists():
            shutil.copymode(target, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def is_folder_target(path: str | None) -> bool:
    """Whether ``--output path`` names a folder (for the per-round Parquet layout): it ends
    in ``/`` or is an existing folder."""
    return path is not None and (path.endswith(("/", os.sep)) or os.path.isdir(path))


@contextlib.contextmanager
def atomic_folder(path: str, what: str = "--output") -> Iterator[str]:
    """A temporary folder beside ``path`` that replaces it on success (a Hive-layout output).

    An existing ``path`` must be empty or hold only ``round=...`` folders (an
    earlier output): a folder with anything else in it is refused, not replaced.
    """
    target = Path(path.rstrip("/" + os.sep) or path)
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{what}: the folder {str(folder)!r} does not exist")
    if target.exists():
        if not target.is_dir():
            raise UsageError(f"{what}: {path} is a file, expected a folder for the per-round Parquet layout")
        others = [p.name for p in target.iterdir() if not (p.is_dir() and p.name.startswith("round="))]
        if others:
            raise UsageError(f"{what}: the folder {path} holds other files ({', '.join(sorted(others)[:3])}); "
                             "name a new or empty folder, or one written by gnnprop")
    try:
        tmp = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(f"{what}: cannot write in {str(folder)!r}: {e.strerror}") from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if target.exists():
            old = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=folder)
            os.replace(target, os.path.join(old, "previous"))
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def spooled_stdout(binary: bool) -> Iterator[IO]:
    """Collect output (in memory, then on disk past 64 MiB) and copy it to stdout on success."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
        stream: IO = spool if binary else io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
        yield stream
        stream.flush()
        spool.seek(0)
        out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        if out is None:  # a text-only stdout (some test harnesses)
            sys.stdout.write(spool.read().decode("utf-8"))
        else:
            sys.stdout.flush()
            shutil.copyfileobj(spool, out)
            out.flush()
        if not binary:
            stream.detach()


@contextlib.contextmanager
def direct_stdout(binary: bool) -> Iterator[IO]:
    """Stream straight to stdout (ndjson: every round as soon as it is computed)."""
    if binary:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        yield sys.stdout
        sys.stdout.flush()


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
