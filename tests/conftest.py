import pathlib

import pytest
import torch

from gnnprop.graph import Graph

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_graphs"
CONFIGS = ROOT / "configs"

SEED_X = [[6.0, 4.0], [0.0, 1.0], [5.0, 3.0], [1.0, 2.0]]
SEED_EDGES = [[0, 1, 0, 2, 1, 2, 2, 3], [1, 0, 2, 0, 2, 1, 3, 2]]
ROUND1 = [[12.5, 8.0], [6.0, 5.25], [12.25, 7.75], [6.25, 5.5]]
ROUND10 = [[18288.912109375, 11638.3984375], [18242.345703125, 11619.771484375],
           [18288.912109375, 11638.3984375], [18242.345703125, 11619.771484375]]


def seed_graph() -> Graph:
    return Graph(torch.tensor(SEED_EDGES), [0, 1, 2, 3], x=torch.tensor(SEED_X, dtype=torch.float64))


def random_graph(seed: int, n: int = 9, e: int = 30, f: int = 3) -> Graph:
    """Random directed graph with self loops, duplicate edges and (usually) isolated nodes."""
    gen = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n - 2, (e,), generator=gen)  # the last two nodes never send
    dst = torch.randint(0, n - 1, (e,), generator=gen)  # the last node never receives
    ei = torch.cat([torch.stack([src, dst]), torch.tensor([[1, 1], [1, 1]])], dim=1)  # a duplicated self loop
    x = torch.randn(n, f, generator=gen, dtype=torch.float64)
    return Graph(ei, list(range(n)), x=x)


@pytest.fixture
def seed_example() -> Graph:
    return seed_graph()


# the layer-zoo fixtures (karate and its edge-feature variants), for every test_zoo_* file
from .zoo import graph_files, karate  # noqa: E402, F401
from .iosamples import here  # noqa: E402, F401  (the loader tests' working folder)


@pytest.fixture(scope="session")
def spark_session():
    """One local[2] SparkSession for every Spark test module (a JVM start is seconds); stopped at the end."""
    from .spark_tools import local_session

    session = local_session()
    yield session
    session.stop()


@pytest.fixture(scope="session")
def cora_page(tmp_path_factory):
    """A Cora-sized random graph (2,708 nodes, 10,556 edges, 16 features) and its explorer page
    (10 rounds), shared by the explorer's tests (a page takes seconds to build)."""
    from .exploretools import cora_sized_page

    return cora_sized_page(tmp_path_factory.mktemp("cora"))
