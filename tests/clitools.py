"""Drive the real CLI in-process, as a pipe or as a terminal."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from gnnprop.cli import app
from gnnprop.cli.env import Env


@dataclass
class Out:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def cli(*args: str, tty: bool = False, input: str | bytes | None = None, env: dict | None = None) -> Out:
    obj = Env(stdout_isatty=tty, stderr_isatty=False, color=False, width=100)
    result = CliRunner().invoke(app, [str(a) for a in args], obj=obj, input=input, env=env, catch_exceptions=False)
    return Out(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


def fails(out: Out, code: int, *words: str) -> None:
    """Assert a clean failure: the exit code, one line on stderr with the words, nothing on stdout."""
    assert out.code == code, (out.code, out.stderr)
    assert out.stdout == "", out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("gnnprop: error: "), lines[0]
    assert "Traceback" not in out.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
