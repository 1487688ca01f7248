"""The graphs and helpers the loader tests share."""


from __future__ import annotations

import json

import pytest
import torch

from gnnprop.cli.app import cli_message

SEED_X = [[6, 4], [0, 1], [5, 3], [1, 2]]
SEED_EI = [[0, 1, 0, 2, 1, 2, 2, 3], [1, 0, 2, 0, 2, 1, 3, 2]]
SEED_PAIRS = list(zip(*SEED_EI))

SEED_TENSOR_JSON = json.dumps({"x": SEED_X, "edge_index": SEED_EI})
SEED_NODE_LINK_JSON = json.dumps({
    "directed": True, "multigraph": False, "graph": {"name": "seed"},
    "nodes": [{"id": i, "x": row, "label": "ignored"} for i, row in enumerate(SEED_X)],
    "links": [{"source": s, "target": t} for s, t in SEED_PAIRS],
})
SEED_CSV = "src,dst\n" + "".join(f"{s},{t}\n" for s, t in SEED_PAIRS)
SEED_EDGELIST = "# seed graph\n" + "".join(f"{s} {t}\n" for s, t in SEED_PAIRS)
SEED_NODES_CSV = "id,a,b\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in enumerate(SEED_X))
SEED_NODES_TXT = "% id a b\n" + "".join(f"{i} {a} {b}\n" for i, (a, b) in enumerate(SEED_X))

# A small graph whose edges carry a weight and two attributes, written in every format.
ATTR_PAIRS = [(0, 1), (1, 2), (2, 0), (1, 1)]
ATTR_W = [0.5, -2.0, 1000.0, 0.0]
ATTR_A = [[1.0, 0.25], [-3.5, 2.0], [0.0, 0.001], [7.0, -0.125]]
ATTR_TEXT = [("0.5", "1", "0.25"), ("-2", "-3.5", "2"), ("1e3", "0", "1e-3"), ("0", "7.0", "-0.125")]
ATTR_TENSOR_JSON = json.dumps({"edge_index": [list(c) for c in zip(*ATTR_PAIRS)], "num_nodes": 3,
                               "edge_weight": ATTR_W, "edge_attr": ATTR_A})
ATTR_NODE_LINK_JSON = json.dumps({
    "directed": True, "nodes": [{"id": i} for i in range(3)],
    "links": [{"source": s, "target": t, "weight": w, "edge_attr": a}
              for (s, t), w, a in zip(ATTR_PAIRS, ATTR_W, ATTR_A)],
})
ATTR_CSV = "src,dst,weight,len,cost\n" + "".join(f"{s},{t},{w},{a},{b}\n"
                                                 for (s, t), (w, a, b) in zip(ATTR_PAIRS, ATTR_TEXT))
ATTR_EDGELIST = "# src dst weight len cost\n" + "".join(f"{s}\t{t} {w}  {a} {b}\n"
                                                         for (s, t), (w, a, b) in zip(ATTR_PAIRS, ATTR_TEXT))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Write files into the working directory: ``here(name=content, ...)``."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (tmp_path / name).write_bytes(data)

    return write


def ei(graph) -> list[list[int]]:
    assert graph.edge_index.dtype == torch.int64
    assert graph.edge_index.shape == (2, graph.num_edges)
    return graph.edge_index.tolist()


def assert_seed(graph) -> None:
    assert ei(graph) == SEED_EI
    assert graph.node_ids == [0, 1, 2, 3]
    assert graph.x.dtype == torch.float64
    assert torch.equal(graph.x, torch.tensor(SEED_X, dtype=torch.float64))
    assert graph.edge_weight is None and graph.edge_attr is None


def check_error(kind, prefix, words, call, as_cli=False):
    """``call()`` raises ``kind`` with a one-line message starting with ``prefix`` and containing ``words``
    (``as_cli``: the message as the CLI shows it, settings named as flags; the library's names no flag)."""
    with pytest.raises(kind) as info:
        call()
    message = cli_message(info.value) if as_cli else str(info.value)
    assert "--" not in str(info.value), str(info.value)
    assert type(info.value) is kind
    assert message.startswith(prefix), message
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
