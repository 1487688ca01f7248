"""The run configuration: its schema (:mod:`.schema`), YAML files (:mod:`.yamlfile`), the
names it chooses from (:mod:`.names`) and the table of settings that flags and API keywords
override (:mod:`.flags`).

A config checked against the layer kinds comes from :mod:`gnnprop.configure`
(``load_config``, ``from_mapping``, ``apply_overrides``). Names are imported on
first use, so the CLI's help reads the flag table without loading torch.
"""

from importlib import import_module

_LAZY = {
    **{name: "names" for name in ("AGGR_MODES", "DTYPES", "ENGINES", "EXCHANGES", "FEATURES", "MAX_ROUNDS", "ORDERS", "ROUND_MODES")},
    **{name: "flags" for name in ("FLAGS", "OVERRIDES", "Flag")},
    **{name: "schema" for name in ("Config", "GraphConfig", "LayerConfig", "LayerFacts", "RoundsConfig")},
    **{name: "yamlfile" for name in ("parse_yaml", "read_yaml_file")},
}


def dump_yaml(cfg) -> str:
    """The config as ``config show`` prints it."""
    from .yamlfile import dump_yaml as dump

    return dump(cfg.to_dict())


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["dump_yaml", *_LAZY]
