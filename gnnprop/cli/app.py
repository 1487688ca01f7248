"""The Typer application and the one place where errors become exit codes and flag names.

Exit codes (:class:`~gnnprop.errors.ExitStatus`): 0 success; 1 bad input data or
a runtime failure; 2 usage or config error; 130 Ctrl-C; 143 SIGTERM; 141 when the
reader of stdout went away (``| head -1``).

The library names settings by their keys (``round``, ``layer.type``); here they
become the flags a user typed (``--round``, ``--layer``), in :func:`cli_message`.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 vendors click; older versions use it directly
    from typer._click.exceptions import UsageError as ClickUsageError
except ImportError:  # pragma: no cover
    from click.exceptions import UsageError as ClickUsageError

from .. import __version__, _signals
from ..config.flags import BY_PATH, FLAGS
from ..errors import ExitStatus, GnnpropError
from . import faults, spec

#: Config file keys at the top level (a key under one of them names a place in the config).
CONFIG_KEYS = ("layer", "aggr", "aggr_mode", "rounds", "engine", "device", "dtype", "seed", "graph", "spark")
_BY_KEY = {f.key: f for f in FLAGS}


def flag_of(key: str) -> str:
    """The flag that gives the setting ``key`` (a config path or an argument name)."""
    f = BY_PATH.get(key) or _BY_KEY.get(key)
    return f.option if f else "--" + key.replace("_", "-")


def _is_config_path(key: str) -> bool:
    return key.replace("[", ".").split(".")[0] in CONFIG_KEYS


def cli_message(e: GnnpropError) -> str:
    """The error's one line with settings named as flags: an overridden config path as
    ``--layer (layer.type)``, an argument as ``--round``, a place in the config file as is."""
    def name(key: str, value: str) -> str:
        return f"{flag_of(key)} {value}" if value else flag_of(key)

    key = e.key
    if key is None or key.startswith("-"):
        return e.render(name)
    if e.override and key in BY_PATH:
        return e.render(name, key_text=f"{flag_of(key)} ({key})")
    if (_is_config_path(key) and not e.argument) or " " in key:
        return e.render(name)
    return e.render(name, key_text=flag_of(key))


def report_error(message: str, env=None) -> None:
    """One line on stderr, whatever the message held; on a terminal, wrapped to its width."""
    from .env import get_env
    from .errline import write_error

    env = get_env(env)
    write_error(sys.stderr, message, tty=env.err_is_tty(), width=env.width)


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's last flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class GnnpropGroup(TyperGroup):
    def invoke(self, ctx):
        try:
            result = super().invoke(ctx)
            faults.flush_stdout()  # a full disk or closed pipe shows here, not in the interpreter's last flush
            return result
        except KeyboardInterrupt as e:  # Ctrl-C or SIGTERM: one line, 130 / 143
            if not getattr(e, "note", None):
                e.note = faults.interrupted_note()
            raise typer.Exit(_signals.report(e)) from None
        except GnnpropError as e:
            if ctx.meta.get("debug"):
                traceback.print_exc()
            user_tb = getattr(e, "user_traceback", None)
            if user_tb:  # an error inside the user's own layer: their traceback, then our one line
                sys.stderr.write(user_tb if user_tb.endswith("\n") else user_tb + "\n")
            report_error(cli_message(e), ctx.obj)
            raise typer.Exit(int(e.exit_code)) from None
        except ClickUsageError as e:  # a command's own flags: one line too, not click's four
            path = e.ctx.command_path if e.ctx is not None else "gnnprop"
            report_error(f"{path}: {e.format_message().rstrip('.')} (see {path} --help)", ctx.obj)
            raise typer.Exit(e.exit_code) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(ExitStatus.BROKEN_PIPE) from None
        except Exception as e:  # noqa: BLE001 - translated or re-raised
            # out of memory, a full disk, a read-only file system, Spark's JVM and py4j: one line each
            # (faults.translate); anything else is a bug: re-raised with its traceback
            err = faults.translate(e)
            if err is None:
                raise
            if ctx.meta.get("debug"):
                traceback.print_exc()
            report_error(cli_message(err), ctx.obj)
            raise typer.Exit(int(err.exit_code)) from None


app = typer.Typer(
    cls=GnnpropGroup,
    name="gnnprop",
    help="Graph message passing, round by round: load a graph, pick a layer, see every number.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"gnnprop {__version__}\n")
        raise typer.Exit(ExitStatus.OK)


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[Optional[bool], spec.opt("version", callback=_version, is_eager=True)] = None,
    debug: Annotated[bool, spec.opt("debug")] = False,
) -> None:
    """Graph message passing, round by round."""
    ctx.meta["debug"] = debug


def register() -> typer.Typer:
    """Import the command modules (each adds itself to ``app``)."""
    from . import (bench_cmd, config_cmd, convert_cmd, explore_cmd, inspect_cmd, layers_cmd, plot_cmd,  # noqa: F401
                   run_cmd, validate_cmd)

    return app


def main() -> None:
    from .._tmp import use_private_tempdir

    use_private_tempdir()  # before PyG writes its generated code: a folder of our own, removed at exit
    register()
    app(prog_name="gnnprop")
