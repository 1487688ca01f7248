"""A checked config: the schema's checks and the layer kind's, from YAML, plain data or overrides.

    cfg = load_config("configs/gcn.yaml")            # a file (None: the defaults)
    cfg = from_mapping({"layer": {"type": "nn"}})     # plain data shaped like the YAML
    cfg = apply_overrides(cfg, {"aggr": "max"})       # settings by config path, as flags give them

Errors are :class:`~gnnprop.errors.ConfigError` naming the key path (and the
file); an error about an overridden setting has ``override`` set, so the CLI
and the API can name the flag or keyword that gave it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from . import layers
from .config.schema import Config, check, fill, nest
from .config.yamlfile import read_yaml_file
from .errors import ConfigError


def validate(cfg: Config) -> Config:
    """Check values and normalise names: the schema's part, then the layer kind's."""
    return layers.check_config(check(cfg))


def from_mapping(data: Mapping[str, Any] | None) -> Config:
    """Build and check a :class:`Config` from plain data (parsed YAML; None: the defaults)."""
    cfg = Config()
    if data is not None:
        fill(cfg, data, "", layers.is_native)
    return validate(cfg)


#: Top-level keys of a config file that gnnprop ignores: a place for YAML anchors that the config
#: merges or refers to (``x-base: &base {...}``, then ``layer: {<<: *base, ...}``).
EXTENSION_PREFIX = "x-"


def load_config(path: str | Path | None) -> Config:
    """Read a YAML config file (``None``: all defaults); every message starts with the file.
    Top-level keys that start with ``x-`` are left out (a place for anchors)."""
    if path is None:
        return from_mapping(None)
    data = read_yaml_file(path)
    if isinstance(data, dict):  # x-... keys at the top: a place for anchors (<<: *base), as in Compose files
        data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith(EXTENSION_PREFIX))}
    try:
        return from_mapping(data)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def apply_overrides(cfg: Config, overrides: Mapping[str, Any]) -> Config:
    """``cfg`` with settings replaced (dotted config paths; ``None`` means not given).

    A new ``layer.type`` drops the file's keyword arguments (they were for another
    layer). An error about an overridden path carries that path as its ``key``
    with ``override`` set; any other error starts with ``command line``.
    """
    data = nest(overrides)
    if not data:
        return cfg
    new = cfg.copy()
    if overrides.get("layer.type") is not None and overrides["layer.type"] != cfg.layer.type:
        new.layer.args = {}
    try:
        fill(new, data, "", layers.is_native)
        return validate(new)
    except ConfigError as e:
        if e.key is not None and overrides.get(e.key) is not None:
            raise ConfigError(e.message, key=e.key, override=True) from None
        raise ConfigError(e.message, key=f"command line: {e.key}" if e.key else "command line") from None
