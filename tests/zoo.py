"""What the layer-zoo tests share: karate and its edge-feature variants, running a config,
and comparing gnnprop's rounds with a PyG class called directly.

Every number in those tests is checked against an independent computation: the same PyG class
built there and called directly, round by round, with the parameters copied
from gnnprop's layer. Runs are float64; where both sides run PyG's own
``propagate`` on ``edge_index`` the comparison is bit for bit, and where
gnnprop's engine computed a round another way (a fused sparse product sums in
another order) it is ``rtol=1e-12``.
"""

import json

import pytest
import torch
from torch import nn
from torch_geometric.nn import APPNP, ChebConv, GATConv, GATv2Conv, GCNConv, GINConv, GraphConv, SAGEConv, SGConv

from gnnprop.configure import from_mapping
from gnnprop.engine.session import prepare
from gnnprop.io import load_graph

from .conftest import ROOT, SAMPLES

KARATE = str(SAMPLES / "karate.json")
FIXTURES = ROOT / "tests" / "fixtures"
SEED_LAYERS = FIXTURES / "seed_layers.py"
BROKEN = FIXTURES / "broken_layers.py"
F = 4  # feature width of every run here
RANDOM_FEATURES = {"features": "random", "feature_dim": F}
RANDOM_FLAGS = ("--features", "random", "--feature-dim", str(F))
F64 = ("--dtype", "float64")


def seed_layer(name: str) -> str:
    return f"{SEED_LAYERS}:{name}"


def broken_layer(name: str) -> str:
    return f"{BROKEN}:{name}"


# --- running and comparing -----------------------------------------------------


def config(layer, **more) -> dict:
    """A float64, 3-round config on random features of width F (``layer``: a name or a mapping)."""
    cfg = {"layer": layer if isinstance(layer, dict) else {"type": layer}, "rounds": 3, "dtype": "float64",
           "graph": dict(RANDOM_FEATURES)}
    cfg.update(more)
    return cfg


def session_for(graph, cfg: dict, weights=None):
    return prepare(graph, from_mapping(cfg), weights=None if weights is None else str(weights))


def rounds(session) -> list[torch.Tensor]:
    """Every round's features, round 0 (the input) first."""
    return [r.x.clone() for r in session.propagate()]


def direct(layer, x, n: int = 3, **inputs) -> list[torch.Tensor]:
    """``n`` rounds of ``layer`` called directly: x_(r+1) = layer(x_r, **inputs); round 0 first."""
    xs = [x]
    with torch.no_grad():
        for _ in range(n):
            xs.append(layer(xs[-1], **inputs))
    return xs


def copied(ref: torch.nn.Module, session) -> torch.nn.Module:
    """``ref`` in float64 with ``session``'s layer's parameters."""
    ref = ref.double()
    ref.load_state_dict(session.layer.state_dict())
    return ref.eval()


def engine_of(run) -> str:
    """The engine a session or a CLI run (its JSON meta) used."""
    return run["engine"] if isinstance(run, dict) else run.meta()["engine"]


def assert_same(got, want, *engines: str) -> None:
    """Equal round by round: bit for bit when every run took PyG's reference path, else within rtol 1e-12."""
    got, want = list(got), list(want)
    assert len(got) == len(want)
    exact = all(e == "reference" for e in engines)
    for r, (a, b) in enumerate(zip(got, want)):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        assert a.shape == b.shape, (r, a.shape, b.shape)
        if exact:
            assert torch.equal(a, b), f"round {r}: {(a - b).abs().max()}"
        else:
            assert torch.allclose(a, b, rtol=1e-12, atol=1e-12), f"round {r}: {(a - b).abs().max()}"


def cli_rounds(out) -> tuple[list[torch.Tensor], dict]:
    """The rounds and the meta of a successful ``run -f json`` (float64 text reads back exactly)."""
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    return [torch.tensor(r["x"], dtype=torch.float64) for r in doc["rounds"]], doc["meta"]


# --- graphs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def karate():
    return load_graph(KARATE)


@pytest.fixture(scope="module")
def graph_files(tmp_path_factory, karate) -> dict[str, str]:
    """karate as tensor-form JSON with fixed features (so a run's seed changes only its parameters),
    alone, with edge weights, and with 2 edge attributes."""
    gen = torch.Generator().manual_seed(42)
    e = karate.num_edges
    x = torch.randn(karate.num_nodes, F, generator=gen, dtype=torch.float64)
    weight = torch.rand(e, generator=gen, dtype=torch.float64) + 0.5
    attr = torch.randn(e, 2, generator=gen, dtype=torch.float64)
    base = {"x": x.tolist(), "edge_index": karate.edge_index.tolist()}
    folder = tmp_path_factory.mktemp("graphs")
    files = {}
    for name, extra in (("plain", {}), ("weighted", {"edge_weight": weight.tolist()}),
                        ("attr", {"edge_attr": attr.tolist()})):
        path = folder / f"karate_{name}.json"
        path.write_text(json.dumps({**base, **extra}))
        files[name] = str(path)
    return files


def gin_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(F, F), nn.ReLU(), nn.Linear(F, F))


# The classes built directly, with the arguments gnnprop promises (in/out width F; cheb K=2; appnp K=10, alpha=0.1)
REFERENCES = {
    "gcn": lambda: GCNConv(F, F),
    "sage": lambda: SAGEConv(F, F),
    "graphconv": lambda: GraphConv(F, F),
    "gin": lambda: GINConv(gin_mlp()),
    "gat": lambda: GATConv(F, F),
    "gatv2": lambda: GATv2Conv(F, F),
    "cheb": lambda: ChebConv(F, F, K=2),
    "sg": lambda: SGConv(F, F),
    "appnp": lambda: APPNP(K=10, alpha=0.1),
}
