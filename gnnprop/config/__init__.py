"""The run configuration: its schema (:mod:`.schema`), YAML files (:mod:`.yamlfile`) and the
table of settings that flags and API keywords override (:mod:`.flags`).

A config checked against the layer kinds comes from :mod:`gnnprop.configure`
(``load_config``, ``from_mapping``, ``apply_overrides``).
"""

from .flags import FLAGS, OVERRIDES, Flag
from .schema import (AGGR_MODES, DTYPES, ENGINES, FEATURES, MAX_ROUNDS, ROUND_MODES, Config, GraphConfig,
                     LayerConfig, LayerFacts, RoundsConfig)
from .yamlfile import dump_yaml as _dump, parse_yaml, read_yaml_file


def dump_yaml(cfg: Config) -> str:
    """The config as ``config show`` prints it."""
    return _dump(cfg.to_dict())


__all__ = ["AGGR_MODES", "DTYPES", "ENGINES", "FEATURES", "FLAGS", "MAX_ROUNDS", "OVERRIDES", "ROUND_MODES", "Config",
           "Flag", "GraphConfig", "LayerConfig", "LayerFacts", "RoundsConfig", "dump_yaml", "parse_yaml",
           "read_yaml_file"]
