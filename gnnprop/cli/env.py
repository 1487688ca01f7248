"""What the CLI knows about where it is writing: one injectable object.

Tests build an :class:`Env` to run a command "as a terminal" or "as a pipe";
real runs use a default ``Env()``, which asks the streams themselves. Streams are looked up when used, so a test
runner that swaps ``sys.stdout`` is honoured.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from typing import IO

from ..errors import UsageError
from ..resolver import did_you_mean


@dataclass
class Env:
    stdout_isatty: bool | None = None  # None: ask sys.stdout
    stderr_isatty: bool | None = None  # None: ask sys.stderr
    color: bool | None = None          # None: on unless NO_COLOR is set
    width: int | None = None           # None: the terminal's width

    @staticmethod
    def _tty(stream: IO) -> bool:
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):
            return False

    @property
    def out(self) -> IO:
        return sys.stdout

    @property
    def err(self) -> IO:
        return sys.stderr

    def out_is_tty(self) -> bool:
        return self._tty(sys.stdout) if self.stdout_isatty is None else self.stdout_isatty

    def err_is_tty(self) -> bool:
        return self._tty(sys.stderr) if self.stderr_isatty is None else self.stderr_isatty

    def use_color(self, no_color: bool = False) -> bool:
        if no_color or os.environ.get("NO_COLOR"):
            return False
        return True if self.color is None else self.color

    def term_width(self) -> int:
        return self.width or shutil.get_terminal_size((100, 24)).columns

    def console(self, file: IO, *, tty: bool, no_color: bool = False):
        """A Rich console writing to ``file``, styled only for a terminal with colour on."""
        from rich.console import Console

        color = tty and self.use_color(no_color)
        return Console(file=file, force_terminal=color, no_color=not color,
                       color_system="auto" if color else None, width=self.term_width(),
                       highlight=False, emoji=False, soft_wrap=False)

    def err_console(self, no_color: bool = False):
        return self.console(sys.stderr, tty=self.err_is_tty(), no_color=no_color)

    def choose_format(self, fmt: str | None, valid: tuple[str, ...], pipe: str = "json") -> str:
        """``fmt`` checked against ``valid``; when not given, ``table`` on a terminal, else ``pipe``."""
        if fmt is None:
            return "table" if self.out_is_tty() else pipe
        name = fmt.strip().lower()
        if name not in valid:
            raise UsageError(f"unknown format {fmt!r}; {did_you_mean(fmt, valid)}valid: {', '.join(valid)}",
                             key="format")
        return name


def get_env(obj: object) -> Env:
    return obj if isinstance(obj, Env) else Env()
