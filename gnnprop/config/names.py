"""The names a config chooses from, with their one-line descriptions.

Plain data (no torch): the CLI's help and shell completion read them without
loading the library.
"""

from ..aggregation import MODES

#: Floating-point types a run can compute in.
DTYPES = ("float32", "float64")
FEATURES = {
    "ones": "a constant 1 per node (width feature_dim, default 1)",
    "degree": "the in-degree of each node (width 1)",
    "onehot": "the identity: node k gets the k-th unit vector (width = number of nodes)",
    "random": "standard normal values drawn with the random seed (width feature_dim, default 16)",
}
ROUND_MODES = {
    "static": "a fixed number of rounds: rounds: 10 or {mode: static, n: 10}",
    "rule": "a count chosen from the input: {mode: rule, if: \"mean(x) > 0\", then: 3, else: 1}",
    "converge": "until the largest change is <= tol: {mode: converge, tol: 1e-6, max_rounds: 100}",
}
MAX_ROUNDS = 1_000_000
ENGINES = {
    "auto": "fused where it is exact for the layer and aggregation, else reference",
    "fused": "node-level dense work plus one sparse reduction per round (an error where impossible)",
    "reference": "PyG's generic propagate (gathers E x F tensors)",
    "spark": "Apache Spark DataFrames, for graphs beyond one machine (gnnprop run only; the spark extra)",
}
#: Node orders for the fused engine (``reorder``; computed in :mod:`gnnprop.engine.reorder`).
ORDERS = {
    "auto": "reorder only where it pays: nowhere yet (no order has paid in the measurements, see the README)",
    "none": "keep the file's node order",
    "degree": "nodes by degree, highest first",
    "bfs": "breadth-first from the highest-degree node",
    "rcm": "reverse Cuthill-McKee on the symmetrised graph",
}
#: How the Spark engine lays out its rounds (``spark.exchange``; :mod:`gnnprop.engine.spark.blocks`).
EXCHANGES = {
    "auto": "blocks from 200,000 edges up (ghost rows by broadcast for small node tables, else by shuffle), "
            "row by row below",
    "blocks": "blocks of nodes as arrays whatever the graph's size, ghost rows by broadcast or shuffle as auto "
              "chooses",
    "rows": "row by row: every round joins the node rows to the edges and groups the messages",
    "broadcast": "blocks of nodes as arrays; each round's rows gathered on the driver and broadcast",
    "shuffle": "blocks of nodes as arrays; each block sent the rows it reads by a shuffle",
}
#: How a list of aggregations is combined: the aggregation unit's modes (:mod:`gnnprop.aggregation`).
AGGR_MODES = {name: mode.description for name, mode in MODES.items()}
