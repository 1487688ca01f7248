"""The CLI reference (``docs/cli.md``), generated from the commands themselves.

    python -m gnnprop.cli.reference > docs/cli.md

Every command, its usage line, what it does, its arguments and every option (from the
option spec, :mod:`.spec`, through the commands Typer builds) and its examples. A test
checks that ``docs/cli.md`` is what this prints, so the reference cannot go stale.
"""

from __future__ import annotations

import inspect
import sys
from typing import Iterator

import typer

from .app import register
from .helptext import EXAMPLES, SUMMARIES

HEAD = """# Command-line reference

Generated from the commands themselves (`python -m gnnprop.cli.reference > docs/cli.md`; a test
keeps it current). Every command also has `--help`. The options that set the run's config
(`--layer`, `--aggr`, ...) override the YAML file given with `-c`; see [config](config.md).
"""


def _commands() -> Iterator[tuple[str, object]]:
    root = typer.main.get_command(register())
    yield "gnnprop", root

    def walk(cmd, path):
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            full = f"{path} {name}".strip()
            yield full, sub
            yield from walk(sub, full)
    order = list(SUMMARIES)
    found = dict(walk(root, ""))
    for name in sorted(found, key=lambda n: (order.index(n) if n in order else len(order), n)):
        yield name, found[name]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _usage(name: str, cmd) -> str:
    ctx = typer.main.click.Context(cmd, info_name=name) if hasattr(typer.main, "click") else None
    if ctx is None:
        from typer._click import Context

        ctx = Context(cmd, info_name=name)
    pieces = cmd.collect_usage_pieces(ctx)
    return " ".join([name, *pieces])


def _default(param) -> str:
    if param.param_type_name != "option" or param.is_flag or param.default in (None, False, (), []):
        return ""
    if getattr(param, "show_default", True) is False:
        return ""
    return f" (default: {param.default})"


def command_section(name: str, cmd) -> list[str]:
    title = "gnnprop" if name == "gnnprop" else f"gnnprop {name}"
    lines = [f"## {title}", "", f"    {_usage(title, cmd)}", ""]
    if name in SUMMARIES:
        lines += [SUMMARIES[name], ""]
    doc = inspect.cleandoc(cmd.help or "")
    if doc and name != "gnnprop":
        lines += [doc, ""]
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
    if args:
        lines += ["| argument | what it is |", "|---|---|"]
        lines += [f"| `{p.metavar or p.name.upper()}` | {_cell(getattr(p, 'help', '') or '')} |" for p in args]
        lines.append("")
    if opts:
        lines += ["| option | value | what it does |", "|---|---|---|"]
        for p in opts:
            flags = ", ".join(f"`{f}`" for f in [*p.opts, *p.secondary_opts])
            value = "" if p.is_flag else f"`{p.metavar}`" if p.metavar else ""
            lines.append(f"| {flags} | {value} | {_cell((p.help or '') + _default(p))} |")
        lines.append("")
    if name in EXAMPLES and name != "gnnprop":
        lines += ["Examples (each runs in a test):", "", "```sh", *EXAMPLES[name], "```", ""]
    return lines


def reference() -> str:
    lines = [HEAD]
    for name, cmd in _commands():
        lines += command_section(name, cmd)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
