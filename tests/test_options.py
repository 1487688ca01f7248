"""Every option of every command comes from the one option spec (gnnprop/cli/spec.py): a flag means one
thing in every command, and its placeholder says what it takes."""

from __future__ import annotations

import re

from typer import _click as click
import typer

from gnnprop.cli import spec
from gnnprop.cli.app import register


def commands() -> dict[str, click.Command]:
    """Every command, by its path (``config show`` included), and gnnprop itself."""
    root = typer.main.get_command(register())
    found = {"gnnprop": root}

    def walk(cmd: click.Command, path: str) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            found[f"{path} {name}".strip()] = sub
            walk(sub, f"{path} {name}")
    walk(root, "")
    return found


def options(cmd: click.Command) -> list:
    """A command's options (not --help, nor Typer's own --install-completion / --show-completion)."""
    return [p for p in cmd.params if p.param_type_name == "option"
            and p.name not in ("help", "install_completion", "show_completion")]


def test_every_option_is_declared_in_the_spec():
    declared = {tuple(o.flags[0].split("/")[0:1]) + o.flags[1:]: o for o in spec.every_option().values()}
    by_long = {o.long: o for o in spec.every_option().values()}
    for path, cmd in commands().items():
        for p in options(cmd):
            long = next(f for f in p.opts if f.startswith("--"))
            assert long in by_long, f"gnnprop {path}: {long} is not in the option spec"
            o = by_long[long]
            want = {f for flag in o.flags for f in flag.split("/")}
            assert set(p.opts) | set(p.secondary_opts) == want, (path, long, p.opts, o.flags)
            if o.metavar is not None:
                assert p.metavar == o.metavar, (path, long, p.metavar)
    assert declared  # the spec is not empty


def test_a_short_option_means_one_thing_in_every_command():
    meaning: dict[str, tuple[str, str]] = {}
    for path, cmd in commands().items():
        for p in options(cmd):
            long = next(f for f in p.opts if f.startswith("--"))
            for short in (f for f in p.opts if not f.startswith("--")):
                seen = meaning.setdefault(short, (long, path))
                assert seen[0] == long, f"{short} is {seen[0]} in gnnprop {seen[1]} but {long} in gnnprop {path}"
    assert meaning["-f"][0] == "--format" and meaning["-n"][0] == "--node" and meaning["-o"][0] == "--output"


def test_no_two_specs_share_a_flag():
    flags = [f for o in spec.every_option().values() for flag in o.flags for f in flag.split("/")]
    duplicated = {f for f in flags if flags.count(f) > 1}
    assert not duplicated, duplicated


def test_help_shows_readable_placeholders(capsys):
    for path in ("run", "inspect", "plot", "bench", "convert", "validate", "config show"):
        cmd = commands()[path]
        with click.Context(cmd, info_name=f"gnnprop {path}", terminal_width=80) as ctx:
            text = cmd.get_help(ctx)
        assert not re.search(r"<(str|int|float|list\[str\]|int range|float range)>", text), (path, text)
        assert "INTEGER" not in text and "TEXT " not in text.replace("--title TEXT", ""), path
