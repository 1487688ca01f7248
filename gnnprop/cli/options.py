"""Options shared by the commands: the config flags, made from the one table of settings
(:data:`gnnprop.config.flags.FLAGS`), and the graph flags.

Each config flag sets one config path; flags override the YAML file.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any, Callable, Optional

import typer

from ..config.flags import FLAGS, Flag
from ..errors import UsageError
from . import spec
from .spec import complete  # noqa: F401  (commands' completion of fixed values)


GraphArg = Annotated[str, typer.Argument(metavar="GRAPH", help="Graph file (.json, .csv, .txt/.edgelist/.tsv/.cites, "
                                         ".parquet), or - for stdin.", show_default=False)]
InputFormat = Annotated[Optional[str], spec.opt("input_format")]
NodeFeatures = Annotated[Optional[str], spec.opt("node_features")]
Weights = Annotated[Optional[str], spec.opt("weights")]
SaveWeights = Annotated[Optional[str], spec.opt("save_weights")]
NoColor = Annotated[bool, spec.opt("no_color")]


def option(flag: Flag) -> Any:
    """The Typer parameter type of a config flag (its option from :mod:`.spec`)."""
    kind = {str: Optional[str], int: Optional[int], bool: Optional[bool], list: Optional[list[str]]}[flag.type]
    return Annotated[kind, spec.opt(flag.key)]


#: The flags that make a config (with -c/--config first), in help order: every command
#: that runs or shows a config takes all of them, through :func:`config_command`.
CONFIG_OPTIONS: dict[str, Any] = {"config": Annotated[Optional[str], spec.opt("config")],
                                  **{f.key: option(f) for f in FLAGS}}


def config_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the config flags: ``func`` declares ``**flags`` and receives them
    there (``build_config(**flags)``). Typer reads the parameters from ``__signature__``."""
    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    required = [p for p in own if p.default is inspect.Parameter.empty]
    extra = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=kind)
             for name, kind in CONFIG_OPTIONS.items()]  # after the required ones, as they were written

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    rest = [p for p in own if p.default is not inspect.Parameter.empty]
    command.__signature__ = sig.replace(parameters=required + extra + rest)  # type: ignore[attr-defined]
    return command


def build_config(config: Optional[str], **values: Any):
    """The config file (or the defaults) with the command line's flags applied
    (``values``: the flags of :data:`CONFIG_OPTIONS` by name, ``None`` where not given)."""
    from ..configure import apply_overrides, load_config

    cfg = load_config(config)
    aggr = values.get("aggr")
    if aggr is not None and "," in aggr:
        values["aggr"] = [a.strip() for a in aggr.split(",") if a.strip()]
    values["args"] = parse_args(values.get("args"))
    return apply_overrides(cfg, {f.path: values.get(f.key) for f in FLAGS})


def parse_args(items: Optional[list[str]]) -> dict[str, Any] | None:
    """``["heads=2", "concat=false"]`` -> ``{"heads": 2, "concat": False}`` (values read as YAML scalars)."""
    from ..config.yamlfile import parse_yaml

    if not items:
        return None
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"expected KEY=VALUE, got {item!r}", key="args")
        out[key.strip()] = parse_yaml(value, f"--arg {key.strip()}") if value.strip() else None
    return out
