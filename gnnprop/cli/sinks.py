"""Where output goes, and the guarantees that come with it.

Every file a command writes (``--output``, ``--save-weights``, ``convert``'s OUT and
``--nodes-out``, ``plot``'s picture) goes through :func:`output_target`, then
:func:`protect`, then :func:`open_output`:

- ``-`` is standard output; an empty path is refused.
- A regular file (or a new path) is written to a temporary file in its folder and
  renamed over it only when the command succeeds; on any failure (disk full,
  Ctrl-C, SIGTERM) the temporary file is removed and an existing file is left as
  it was. A symlink is written through: its target is replaced, the link stays.
- A character or block device or a FIFO is written directly (streaming, no
  rename), as a shell's ``>`` would; a socket is refused.
- A folder of per-round Parquet files (:func:`folder_target`) is built beside the
  folder and renamed over it on success; a symlink to a folder is written
  through. It must be new, empty or an earlier run's, and may hold no input.
- No output may be one of the command's inputs (compared as real files: symlinks
  and hard links are seen through), and no two outputs the same file.
- A write that fails (disk full, ...) is one :class:`RunError` naming the file.

Whole-document formats sent to stdout are spooled first, so a failed run prints
nothing; ndjson streams (see :func:`direct_stdout`).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from dataclasses import dataclass
from typing import IO, Iterable, Iterator

from .. import _stdio
from ..errors import RunError, UsageError

SPOOL_BYTES = 64 * 1024 * 1024
STDOUT = "-"
STDOUT_NAME = "standard output"


@dataclass(frozen=True)
class Target:
    """An output as checked before any work: where it goes and how it is written."""

    path: str    # as the user wrote it ("-" for stdout)
    flag: str    # what names it in messages: --output, OUT, --nodes-out, --save-weights
    kind: str    # "stdout" | "file" (atomic: temp + rename) | "stream" (device or FIFO: written directly)
    #              | "folder" (per-round Parquet: a temporary folder renamed over it)
    real: str = ""  # the file actually written: the path with symlinks resolved

    @property
    def name(self) -> str:
        return STDOUT_NAME if self.kind == "stdout" else self.path


def output_target(path: str, flag: str = "--output", *, allow_stdout: bool = True) -> Target:
    """Check ``path`` as an output before any work; raise :class:`UsageError` (exit 2) if it cannot be one."""
    if path == "":
        raise UsageError(f"{flag}: empty path; give a file name{' or - for stdout' if allow_stdout else ''}")
    if path == STDOUT:
        if not allow_stdout:
            raise UsageError(f"{flag}: give a file name; this output cannot go to stdout (-)")
        require_stdout()
        return Target(path, flag, "stdout")
    if path.endswith(("/", os.sep)) and not os.path.isdir(path):  # not a file named without its slash
        raise UsageError(f"{flag}: {path} names a folder (it ends in /); give a file name")
    try:
        st = os.stat(path)  # through symlinks, /dev/stdout's included
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _path_error(e, path, flag) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{flag}: {path} is a folder")
        if stat.S_ISSOCK(st.st_mode):
            raise UsageError(f"{flag}: {path} is a socket; gnnprop writes files, devices and FIFOs")
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return Target(path, flag, "stream", path)
    real = os.path.realpath(path)  # a symlink is written through: its target is replaced (dangling ones too)
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        shown = os.path.dirname(path) or "."
        raise UsageError(f"{flag}: the folder {shown!r} does not exist")
    name_max = _name_max(folder)
    size = len(os.fsencode(os.path.basename(real)))
    if size > name_max:
        raise UsageError(f"{flag}: the file name is too long for the file system ({size} bytes; the limit "
                         f"is {name_max})")
    why = why_not_writable(folder)
    if why:
        raise UsageError(f"{flag}: cannot write in {os.path.dirname(path) or '.'!r}: {why}")
    why = None if st is None else why_not_writable(real)
    if why:
        raise UsageError(f"{flag}: {path} is not writable: {why}")
    return Target(path, flag, "file", real)


def why_not_writable(path: str) -> str | None:
    """Why the file or folder ``path`` cannot be written (a folder: created in), in the words a user
    looks for: "read-only file system" (a read-only mount, which ``access`` reports as a refusal
    like any other) or "permission denied"; ``None`` when it can be."""
    if os.access(path, os.W_OK | (os.X_OK if os.path.isdir(path) else 0)):
        return None
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def protect(inputs: Iterable[tuple[str, str | None]], outputs: Iterable[Target]) -> None:
    """Refuse an output that is one of the inputs, or two outputs that are the same file.

    ``inputs`` are ``(what, path)`` pairs (``None`` and ``-`` are skipped). Files are
    compared as files (``os.path.samefile``: through symlinks and hard links), paths
    not yet created by their resolved names.
    """
    given = [(what, p) for what, p in inputs if p and p != STDOUT and os.path.exists(p)]
    written = [t for t in outputs if t.kind != "stdout"]
    for t in written:
        for what, p in given:
            if t.kind == "folder":
                if _inside(p, t.real):
                    raise UsageError(f"{t.flag}: {t.path}/ holds an input of this command (the {what}, {p}); "
                                     "replacing the folder would delete it: name another folder")
                continue
            if _same(p, t):
                raise UsageError(f"{t.flag}: {t.path} is one of the input files (the {what}); "
                                 f"it would be overwritten")
    for k, a in enumerate(written):
        for b in written[k + 1:]:
            if a.real == b.real or _same(a.path, b):
                raise UsageError(f"{a.flag} and {b.flag} name the same file ({b.path}); one would be lost")
            for folder, other in ((a, b), (b, a)):
                if folder.kind == "folder" and _inside(other.real, folder.real):
                    raise UsageError(f"{other.flag} {other.path} lies inside the folder {folder.flag} replaces "
                                     f"({folder.path}/); name a file outside it")


def _inside(path: str, folder: str) -> bool:
    """Whether the file ``path`` is the folder ``folder`` or lies anywhere under it (links resolved)."""
    real = os.path.realpath(path)
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def _same(path: str, t: Target) -> bool:
    try:
        return os.path.samefile(path, t.real)
    except OSError:  # the output does not exist yet
        return os.path.realpath(path) == t.real


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _path_error(e: OSError, path: str, flag: str) -> UsageError:
    if e.errno == errno.ENAMETOOLONG:
        return UsageError(f"{flag}: the file name is too long for the file system ({path[:40]}...)")
    return UsageError(f"{flag}: {path}: {e.strerror or e}")


# --- writing ------------------------------------------------------------------

WRITE_ERRORS = {
    errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "the file is too large for the file system", errno.EIO: "input/output error",
    errno.EROFS: "read-only file system",
}


def write_error(e: OSError, name: str) -> RunError | None:
    """The one-line error for a failed write to ``name``, or ``None`` for an error that is not about writing."""
    if e.errno == errno.EBADF:
        return RunError(f"{name} is closed; nothing can be written (give -o FILE)" if name == STDOUT_NAME
                        else f"{name} is closed")
    what = WRITE_ERRORS.get(e.errno)
    return None if what is None else RunError(f"{what} writing {name}")


@contextlib.contextmanager
def _translated(name: str) -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        err = write_error(e, name)
        if err is None:
            raise
        if name == STDOUT_NAME:
            silence_stdout()
        raise err from None


def silence_stdout() -> None:
    """After a failed write to stdout: point it at /dev/null, so the interpreter's last flush is quiet."""
    _stdio.silence_stdout()


@contextlib.contextmanager
def open_output(target: Target, binary: bool, *, stream: bool = False) -> Iterator[IO]:
    """A writable stream for ``target``; see the module's docstring for what each kind guarantees.

    ``stream=True`` sends stdout output as it is written (ndjson) instead of spooling it.
    """
    if target.kind == "stdout":
        sink = direct_stdout(binary) if stream else spooled_stdout(binary)
    elif target.kind == "stream":
        sink = _direct_file(target, binary)
    else:
        sink = atomic_file(target, binary)
    with _translated(target.name), sink as f:
        yield f


@contextlib.contextmanager
def _direct_file(target: Target, binary: bool) -> Iterator[IO]:
    try:
        f = open(target.real, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""}))
    except OSError as e:
        raise UsageError(f"{target.flag}: cannot open {target.path}: {e.strerror or e}") from None
    with f:
        yield f
        f.flush()


@contextlib.contextmanager
def atomic_file(target: Target, binary: bool) -> Iterator[IO]:
    real = target.real
    folder = os.path.dirname(real) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)[:40]}.", suffix=".tmp", dir=folder)
    except OSError as e:
        err = write_error(e, target.path)
        if err is not None:
            raise err from None
        raise UsageError(f"{target.flag}: cannot write in {os.path.dirname(target.path) or '.'!r}: "
                         f"{e.strerror}") from None
    try:
        with (os.fdopen(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(real):
            shutil.copymode(real, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(target: Target, data: bytes) -> None:
    """Write ``data`` to ``target`` whole (atomically for a file)."""
    with open_output(target, binary=True) as f:
        f.write(data)


def is_folder_target(path: str | None) -> bool:
    """Whether ``--output path`` names a folder (for the per-round Parquet layout): it ends
    in ``/`` or is an existing folder (a symlink to one included)."""
    return path is not None and (path.endswith(("/", os.sep)) or os.path.isdir(path))



def folder_target(path: str, flag: str = "--output") -> Target:
    """Check a folder output (the per-round Parquet layout) before any work.

    A symlink to a folder is written through, as a file's link is: the folder it points to
    is replaced, the link stays. An existing folder must be empty or an earlier run's
    (``round=R`` folders and the run's own files); anything else in it is refused, not replaced.
    """
    shown = path.rstrip("/" + os.sep) or path
    try:
        real = os.path.realpath(shown, strict=os.path.lexists(shown))
    except OSError as e:  # a symlink loop, a component that is not a folder
        raise UsageError(f"{flag}: {shown}: {e.strerror or e}") from None
    cwd = os.path.realpath(os.getcwd())
    if _inside(cwd, real):
        raise UsageError(f"{flag}: {shown} is the current folder or one above it; name a new folder for the rounds")
    parent = os.path.dirname(real)
    if not os.path.isdir(parent):
        above = os.path.dirname(shown) or "."
        try:
            os.stat(above)
        except OSError as e:
            if e.errno not in (errno.ENOENT, None):  # a symlink loop, a file on the way
                raise UsageError(f"{flag}: {above}: {e.strerror}") from None
        else:
            raise UsageError(f"{flag}: {above} is a file, not a folder")
        raise UsageError(f"{flag}: the folder {above!r} does not exist")
    if os.path.exists(real):
        if not os.path.isdir(real):
            raise UsageError(f"{flag}: {shown} is a file, expected a folder for the per-round Parquet layout")
        try:
            names = os.listdir(real)
        except OSError as e:
            raise UsageError(f"{flag}: cannot read the folder {shown}: {e.strerror}") from None
        from ..engine.runfolder import OWN_FILES

        others = [n for n in names if not (n.startswith("round=") and os.path.isdir(os.path.join(real, n)))
                  and n not in OWN_FILES]
        if others:
            raise UsageError(f"{flag}: the folder {shown} holds other files ({', '.join(sorted(others)[:3])}); "
                             "name a new or empty folder, or one written by gnnprop")
    why = why_not_writable(parent)
    if why:
        raise UsageError(f"{flag}: cannot write in {os.path.dirname(shown) or '.'!r}: {why}")
    why = why_not_writable(real) if os.path.isdir(real) else None
    if why:  # an empty folder is written into as it is (a mount point cannot be replaced)
        raise UsageError(f"{flag}: cannot write in {shown}/: {why}")
    return Target(shown, flag, "folder", real)


@contextlib.contextmanager
def atomic_folder(target: Target) -> Iterator[str]:
    """A temporary folder beside ``target`` (a :func:`folder_target`) that replaces it on success.

    The replacement happens at the resolved path, so a symlink to a folder stays a link.
    """
    real = Path(target.real)
    folder = real.parent
    try:
        tmp = tempfile.mkdtemp(prefix=f".{real.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(f"{target.flag}: cannot write in {str(folder)!r}: {e.strerror}") from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if real.exists():
            old = tempfile.mkdtemp(prefix=f".{real.name}.", suffix=".old", dir=folder)
            os.replace(real, os.path.join(old, "previous"))
        os.replace(tmp, real)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def require_stdout() -> None:
    """Refuse to produce output for a standard output that was closed (``>&-``)."""
    if _stdio.is_closed(1) or sys.stdout is None:
        raise RunError(f"{STDOUT_NAME} is closed; nothing can be written (give -o FILE)")


@contextlib.contextmanager
def spooled_stdout(binary: bool) -> Iterator[IO]:
    """Collect output (in memory, then on disk past 64 MiB) and copy it to stdout on success."""
    require_stdout()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
        stream: IO = spool if binary else io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
        yield stream
        stream.flush()
        spool.seek(0)
        out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        with _translated(STDOUT_NAME):
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
    require_stdout()
    with _translated(STDOUT_NAME):
        if binary:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        else:
            yield sys.stdout
            sys.stdout.flush()
