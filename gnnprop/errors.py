"""The one error family of gnnprop, and the exit statuses.

Every failure a user can cause is a :class:`GnnpropError`; its ``exit_code`` is
what the command line returns. The library never prints and never names a
command-line flag: an error about one setting carries that setting's name as
``key`` (``"round"``, ``"layer.type"``), and a hint that names another setting
writes it with :func:`setting`. ``str(error)`` reads as the Python API's
keywords (``round: ...``, ``try dtype="float64"``); the CLI turns the same
error into flags (``--round: ...``, ``try --dtype float64``) in its one handler.
"""

from __future__ import annotations

import enum
import re
from typing import Callable


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1          # bad input data or a runtime failure
    USAGE = 2          # a config or a command line that asks for something invalid
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    BROKEN_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE)
    TERMINATED = 143   # SIGTERM (128 + SIGTERM)


# A setting named inside a message: \ue000key\ue001value\ue002 (private-use characters,
# which no file name or value of a user's is expected to hold).
_SETTING = re.compile("\ue000([^\ue001]*)\ue001([^\ue002]*)\ue002")

#: How a setting reads: (key, value or "") -> text.
Namer = Callable[[str, str], str]


def setting(key: str, value: object = None) -> str:
    """A setting (and a value for it) named in a message, e.g. ``setting("dtype", "float64")``."""
    return f"\ue000{key}\ue001{'' if value is None else value}\ue002"


def api_name(key: str, value: str) -> str:
    """How the Python API reads a setting: ``dtype="float64"``, ``allow_nonfinite=True``."""
    if not value:
        return f"{key}=True"
    return f"{key}={value!r}" if not value.lstrip("-").replace(".", "", 1).isdigit() else f"{key}={value}"


class GnnpropError(Exception):
    """Base class. ``exit_code`` 1: bad input data or a runtime failure.

    ``key``: the setting the error is about (``str(e)`` starts with it).
    ``override``: the setting's value came from an override (a flag or an
    API keyword) rather than a config file; ``str(e)`` then starts with
    ``command line: KEY``, and the CLI and the API name the flag or keyword.
    ``argument``: ``key`` names a function's argument (``bench``'s ``graph``), not a
    place in a config that happens to share its name. The message is always one line:
    control characters that came from the user's data are escaped.
    """

    exit_code = ExitStatus.ERROR

    def __init__(self, message: object = "", *args: object, key: str | None = None, override: bool = False,
                 argument: bool = False):
        self.message = str(message)
        self.key = key
        self.override = override
        self.argument = argument
        super().__init__(self.render(), *args)

    def render(self, name: Namer = api_name, key_text: str | None = None) -> str:
        """The one-line message, settings named by ``name``; ``key_text`` replaces the key."""
        text = _SETTING.sub(lambda m: name(m.group(1), m.group(2)), self.message)
        head = key_text if key_text is not None else \
            (f"command line: {self.key}" if self.override and self.key else self.key)
        return one_line(f"{head}: {text}" if head else text)


class InputError(GnnpropError):
    """A graph or feature file that cannot be read as what it claims to be."""


class RunError(GnnpropError):
    """A failure while propagating (non-finite values, out of memory, ...)."""


class ConfigError(GnnpropError):
    """A config file or setting that asks for something invalid. Exit code 2."""

    exit_code = ExitStatus.USAGE


class UsageError(GnnpropError):
    """A command used in a way it cannot be (bad device, bad combination of settings)."""

    exit_code = ExitStatus.USAGE


class UserCodeError(GnnpropError):
    """An exception raised inside the user's own layer code.

    ``user_traceback`` holds the traceback's text (from the user's file onwards);
    the CLI prints it, then one line naming the file and class.
    """

    def __init__(self, message: str, user_traceback: str):
        super().__init__(message)
        self.user_traceback = user_traceback


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
