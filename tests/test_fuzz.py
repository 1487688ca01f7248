"""Arbitrary bytes as a graph, a config or an expression: a clean error or a graph, never a crash."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnnprop import expr
from gnnprop.config import parse_yaml
from gnnprop.configure import from_mapping
from gnnprop.errors import GnnpropError
from gnnprop.io import load_graph

SETTINGS = settings(max_examples=int(__import__("os").environ.get("GNNPROP_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])

# bytes that look a little like each format, plus anything at all
JSONISH = st.one_of(st.binary(max_size=200),
                    st.text(alphabet='{}[]":,0123456789.-eE xnodeslinkstargetsourcedirectedtrueNaN\n', max_size=200)
                    .map(str.encode))
TEXTISH = st.one_of(st.binary(max_size=200),
                    st.text(alphabet="0123456789,.-+eE \t\r\n#%\"'abc\x00srcdstweight", max_size=200).map(str.encode))


@SETTINGS
@given(data=JSONISH)
def test_json_bytes(tmp_path_factory, data):
    _load(tmp_path_factory, "g.json", data)


@SETTINGS
@given(data=TEXTISH)
def test_csv_bytes(tmp_path_factory, data):
    _load(tmp_path_factory, "g.csv", data)


@SETTINGS
@given(data=TEXTISH)
def test_edgelist_bytes(tmp_path_factory, data):
    _load(tmp_path_factory, "g.txt", data)


def _load(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    try:
        g = load_graph(str(path))
    except GnnpropError as e:
        assert "\n" not in str(e) and str(e).startswith(str(path))
        return
    assert g.num_nodes > 0
    assert g.edge_index.shape[0] == 2
    if g.num_edges:
        assert int(g.edge_index.min()) >= 0 and int(g.edge_index.max()) < g.num_nodes


@SETTINGS
@given(text=st.text(max_size=120))
def test_yaml_text(text):
    try:
        from_mapping(parse_yaml(text, "c.yaml") if text.strip() else None)
    except GnnpropError as e:
        assert "\n" not in str(e)


@SETTINGS
@given(text=st.text(alphabet="x_ij()+-*/. 0123456789relutanhsigmoidexpabs_edgeweight,<>=andornot[]{}:'\"",
                    max_size=60))
@pytest.mark.parametrize("dialect", [expr.MESSAGE, expr.UPDATE, expr.RULE], ids=["message", "update", "rule"])
def test_expressions(dialect, text):
    try:
        expr.parse(text, dialect, "k")
    except GnnpropError as e:
        assert "\n" not in str(e)
