"""The one table of config settings that can be given outside a config file.

Each :class:`Flag` is one setting: its name (the Python API's keyword and the
CLI's parameter), the config path it sets, its help text and how its value is
completed in a shell. From this table come the CLI's options
(:mod:`gnnprop.cli.options`), the flag names in the CLI's error messages, the
CLI's ``build_config`` and the API's keyword overrides (:data:`OVERRIDES`).
The type of a value in the config file comes from the schema's annotations.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..aggregation import modes_text, names_text
from .names import AGGR_MODES, DTYPES, ENGINES, FEATURES, ORDERS

GRAPH, CONFIG = "Graph", "Config (flags override the file)"


@dataclass(frozen=True)
class Flag:
    key: str                        # the API keyword and the CLI parameter name
    path: str                       # the config path it sets
    help: str
    type: type = str                # its value on the command line (bool: an on/off pair; list: repeatable)
    cli: str = ""                   # the option as typed ("--hidden-dim"; "--project/--no-project")
    panel: str = CONFIG             # the help panel
    complete: tuple[str, ...] | str = ()  # values for shell completion, or "layers" / "aggregations"
    metavar: str = "VALUE"          # the placeholder of its value in --help (N, NAME, FORMULA, ...)

    @property
    def option(self) -> str:
        """The flag's name as a message shows it (``--hidden-dim``)."""
        return (self.cli or "--" + self.key.replace("_", "-")).split("/")[0]

    @property
    def declaration(self) -> str:
        return self.cli or "--" + self.key.replace("_", "-")


FLAGS: tuple[Flag, ...] = (
    Flag("layer", "layer.type", "fixed | nn | residual, a PyG layer (gcn, sage, gat, ...: see gnnprop layers), "
         "or your own file.py:Class.", complete="layers", metavar="NAME"),
    Flag("aggr", "aggr", f"{names_text()}; a comma list (mean,max) for several.", complete="aggregations",
         metavar="NAME"),
    Flag("aggr_mode", "aggr_mode", f"With several aggregations: {modes_text()}.", complete=tuple(AGGR_MODES),
         metavar="MODE"),
    Flag("rounds", "rounds", "A fixed number of rounds (replaces the config's rounds).", type=int, metavar="N"),
    Flag("message", "layer.message", "fixed layer: message formula in x_i, x_j, edge_weight.", metavar="FORMULA"),
    Flag("update", "layer.update", "fixed layer: update formula in x, aggr_out.", metavar="FORMULA"),
    Flag("hidden_dim", "layer.hidden_dim", "nn layer: message width.", type=int, metavar="N"),
    Flag("out_dim", "layer.out_dim", "nn / residual layer: output width.", type=int, metavar="N"),
    Flag("project", "layer.project", "residual: learned projection on the skip path.", type=bool,
         cli="--project/--no-project"),
    Flag("args", "layer.args", "Layer keyword argument KEY=VALUE for PyG and your own layers (repeatable; VALUE "
         "is read as YAML).", type=list, cli="--arg", metavar="KEY=VALUE"),
    Flag("engine", "engine", f"{' | '.join(ENGINES)}: how a round is computed (spark: on Apache Spark).",
         complete=tuple(ENGINES), metavar="ENGINE"),
    Flag("reorder", "reorder", f"{' | '.join(ORDERS)}: node order for the fused engine (outputs keep the file's "
         "order).", complete=tuple(ORDERS), metavar="ORDER"),
    Flag("spark_master", "spark.master", "engine spark: the master URL (local[*], spark://host:7077, yarn, ...).",
         complete=("local[*]", "local[2]", "spark://", "yarn"), metavar="URL"),
    Flag("device", "device", "auto | cpu | cuda | cuda:N | mps.", complete=("auto", "cpu", "cuda", "mps"),
         metavar="DEVICE"),
    Flag("dtype", "dtype", f"{' | '.join(DTYPES)}.", complete=DTYPES, metavar="DTYPE"),
    Flag("seed", "seed", "Seed for parameters and random features.", type=int, metavar="N"),
    Flag("undirected", "graph.undirected", "Add the reverse of every edge that lacks one.", type=bool,
         cli="--undirected/--directed", panel=GRAPH),
    Flag("features", "graph.features", f"Features for graphs without any: {' | '.join(FEATURES)}.",
         complete=tuple(FEATURES), panel=GRAPH, metavar="NAME"),
    Flag("feature_dim", "graph.feature_dim", "Width of ones / random features.", type=int, panel=GRAPH, metavar="N"),
)

#: API keyword -> config path.
OVERRIDES: dict[str, str] = {f.key: f.path for f in FLAGS}
#: config path -> flag.
BY_PATH: dict[str, Flag] = {f.path: f for f in FLAGS}
