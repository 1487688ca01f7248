"""The one error family of gnnprop.

Every failure a user can cause is a :class:`GnnpropError`; its ``exit_code`` is
what the command line returns. The CLI turns these into one line on stderr in a
single place (``gnnprop.cli.app``); the library never prints.
"""

from __future__ import annotations


class GnnpropError(Exception):
    """Base class. ``exit_code`` 1: bad input data or a runtime failure.

    The message is always one line: control characters that came from the
    user's data (a newline inside a quoted CSV header, say) are escaped.
    """

    exit_code = 1

    def __init__(self, message: object = "", *args: object):
        super().__init__(one_line(str(message)), *args)


class InputError(GnnpropError):
    """A graph or feature file that cannot be read as what it claims to be."""


class RunError(GnnpropError):
    """A failure while propagating (non-finite values, out of memory, ...)."""


class ConfigError(GnnpropError):
    """A config file or flag that asks for something invalid. Exit code 2."""

    exit_code = 2


class UsageError(GnnpropError):
    """A command used in a way it cannot be (bad device, bad flag combination)."""

    exit_code = 2


def one_line(text: str) -> str:
    """``text`` with newlines and other control characters written as escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def where(source: str | None, place: str | None = None) -> str:
    """Format the ``file:place`` prefix used by every message."""
    if source is None:
        return place or ""
    return f"{source}:{place}" if place else source
