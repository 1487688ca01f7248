"""The one error line: whole in a pipe (one line a program can read), wrapped between words to
the terminal's width when stderr is a terminal (a person reads it)."""

from __future__ import annotations

import os
import textwrap
from typing import IO

PREFIX = "gnnprop: error: "


def stderr_width(err: IO) -> int | None:
    """The width of the terminal ``err`` writes to (``COLUMNS`` first), or None when unknown."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(err.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None


def error_text(message: str, *, tty: bool = False, width: int | None = None) -> str:
    """``gnnprop: error: MESSAGE`` and a newline. The message's own line breaks become spaces;
    on a terminal (``tty``) of ``width`` columns the line is wrapped between words, continuation
    lines indented by two spaces (a word longer than the line, a path, is never cut)."""
    text = PREFIX + " ".join(str(message).split("\n"))
    if not tty or not width or width < 20 or len(text) <= width:
        return text + "\n"
    return textwrap.fill(text, width=width, subsequent_indent="  ", break_long_words=False,
                         break_on_hyphens=False) + "\n"


def write_error(err: IO, message: str, *, tty: bool, width: int | None = None) -> None:
    """Write :func:`error_text` to ``err`` (the terminal's width found when not given)."""
    if tty and width is None:
        width = stderr_width(err)
    err.write(error_text(message, tty=tty, width=width))
    err.flush()
