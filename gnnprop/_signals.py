"""Ctrl-C and SIGTERM: one line on stderr and exit 130 / 143, whenever they come.

SIGTERM (what ``timeout``, ``kill`` and process managers send) raises
:class:`Terminated`, a ``KeyboardInterrupt``, where the program is; so everything
that cleans up after Ctrl-C (the temporary file of an atomic write) cleans up
after SIGTERM too. A command may attach a ``note`` to the exception (which round
it stopped at, what was not written); :func:`message` puts it in the line.
Standard library only: installed before anything heavy is imported.
"""

from __future__ import annotations

import signal
import sys


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _on_term(signum, frame):  # noqa: ARG001
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not interrupt the cleanup
    raise Terminated()


def install() -> None:
    try:
        signal.signal(signal.SIGTERM, _on_term)
    except (ValueError, OSError):  # not the main thread (an embedding program): leave its handlers alone
        pass


def exit_code(exc: BaseException) -> int:
    from .errors import ExitStatus

    return ExitStatus.TERMINATED if isinstance(exc, Terminated) else ExitStatus.INTERRUPTED


def message(exc: BaseException) -> str:
    what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted (Ctrl-C)"
    note = getattr(exc, "note", None)
    return f"{what}; {note}" if note else what


def report(exc: BaseException) -> int:
    """Write the one line for ``exc`` on stderr; return the exit code."""
    try:
        sys.stderr.write(f"gnnprop: {message(exc)}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    return exit_code(exc)
