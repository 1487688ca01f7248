"""Options shared by the commands: the config flags, made from the one table of settings
(:data:`gnnprop.config.flags.FLAGS`), and the graph flags.

Each config flag sets one config path; flags override the YAML file.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any, Callable, Optional

import typer

from ..config.flags import CONFIG, FLAGS, GRAPH, Flag
from ..errors import UsageError


def complete(*names) -> Callable[[str], list[str]]:
    """Shell completion (``gnnprop --install-completion``) of an option's value from ``names``."""
    def values(incomplete: str) -> list[str]:
        return [n for n in names if n.startswith(incomplete)]
    return values


def _layer_names() -> tuple[str, ...]:
    from ..layers import KIND_MODULES, PYG_FRIENDLY

    return (*KIND_MODULES, *PYG_FRIENDLY)


def _complete_layer(incomplete: str) -> list[str]:
    return complete(*_layer_names())(incomplete)


def _complete_aggr(incomplete: str) -> list[str]:
    """A name, or the next name of a comma list (``mean,m`` -> ``mean,max``, ``mean,min``, ...)."""
    from ..aggregation import AGGREGATIONS, ALIASES

    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    return [prefix + n for n in (*AGGREGATIONS, *ALIASES) if n.startswith(last)]


_DYNAMIC = {"layers": _complete_layer, "aggregations": _complete_aggr}

GraphArg = Annotated[str, typer.Argument(metavar="GRAPH", help="Graph file (.json, .csv, .txt/.edgelist/.tsv/.cites, .parquet), or - for stdin.",
                                         show_default=False)]
InputFormat = Annotated[Optional[str], typer.Option("--input-format", help="json | csv | edgelist | parquet (default: from the extension).",
                                                    rich_help_panel=GRAPH, autocompletion=complete("json", "csv", "edgelist", "parquet"))]
NodeFeatures = Annotated[Optional[str], typer.Option("--node-features", help="Node table for CSV / edge lists / Parquet: id,f1,f2,... (.parquet: id and x or feature columns)",
                                                     rich_help_panel=GRAPH)]
ConfigFile = Annotated[Optional[str], typer.Option("-c", "--config", help="YAML config file.", rich_help_panel=CONFIG)]
Weights = Annotated[Optional[str], typer.Option("--weights", help="Load the layer's parameters (.safetensors; .pt "
                                                "tensors only).", rich_help_panel=CONFIG)]
SaveWeights = Annotated[Optional[str], typer.Option("--save-weights", help="Write the layer's parameters after "
                                                    "initialisation (.safetensors).", rich_help_panel=CONFIG)]


def option(flag: Flag) -> Any:
    """The Typer parameter type of a config flag."""
    kind = {str: Optional[str], int: Optional[int], bool: Optional[bool], list: Optional[list[str]]}[flag.type]
    extra: dict[str, Any] = {}
    if isinstance(flag.complete, str):
        extra["autocompletion"] = _DYNAMIC[flag.complete]
    elif flag.complete:
        extra["autocompletion"] = complete(*flag.complete)
    if flag.type is bool:
        extra["show_default"] = False
    return Annotated[kind, typer.Option(flag.declaration, help=flag.help, rich_help_panel=flag.panel, **extra)]


#: The flags that make a config (with -c/--config first), in help order: every command
#: that runs or shows a config takes all of them, through :func:`config_command`.
CONFIG_OPTIONS: dict[str, Any] = {"config": ConfigFile, **{f.key: option(f) for f in FLAGS}}


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
