"""The ``spark:`` config section and what ``--engine spark`` refuses before Spark starts: these need
neither pyspark nor Java, so they run everywhere."""

from __future__ import annotations

import pytest
import yaml

from gnnprop.configure import from_mapping

from .clitools import cli, fails
from .conftest import SAMPLES


def test_spark_section_defaults_and_values(tmp_path):
    cfg = from_mapping({"engine": "spark", "spark": {"master": "spark://h:7077", "partitions": 8,
                                                     "conf": {"spark.executor.memory": "4g"}}})
    assert (cfg.engine, cfg.spark.master, cfg.spark.partitions) == ("spark", "spark://h:7077", 8)
    assert cfg.spark.conf == {"spark.executor.memory": "4g"} and cfg.spark.collect_limit == 10_000_000
    assert from_mapping(None).spark.master == "local[*]"
    copy = cfg.copy()
    copy.spark.conf["x"] = 1
    assert "x" not in cfg.spark.conf


def test_config_show_has_the_spark_section_only_for_spark():
    out = cli("config", "show", "--engine", "spark", "--spark-master", "local[2]")
    assert out.code == 0, out.stderr
    shown = yaml.safe_load(out.stdout)
    assert shown["engine"] == "spark"
    assert shown["spark"] == {"master": "local[2]", "partitions": None, "checkpoint_dir": None,
                              "driver_memory": None, "exchange": "auto", "collect_limit": 10_000_000, "conf": {}}
    assert "spark" not in yaml.safe_load(cli("config", "show").stdout)


@pytest.mark.parametrize("text, words", [
    ("spark: {partitions: 0}", ["spark.partitions: expected a positive integer, got 0"]),
    ("spark: {mastr: x}", ["spark.mastr: unknown key; did you mean 'master'? valid keys here: master, partitions"]),
    ("spark: {conf: {a: [1]}}", ["spark.conf.a: expected a scalar value, got a list"]),
    ("spark: {conf: 3}", ["spark.conf: expected a mapping"]),
])
def test_spark_section_errors_name_the_key(tmp_path, text, words):
    path = tmp_path / "c.yaml"
    path.write_text(text + "\n")
    fails(cli("config", "show", "-c", path), 2, str(path), *words)


@pytest.mark.parametrize("args, words", [
    (["--layer", "gat"], ["layer.type: the spark engine does not run the gat layer",
                          "it supports layers fixed, nn, residual, gcn, sage, graphconv, gin, sg, appnp; "
                          "aggregations sum, mean, max, min or a list of them"]),
    (["--aggr", "mean,std"], ["the spark engine does not run the aggregation [mean, std]"]),
    (["--features", "onehot"], ["cannot make onehot features"]),
    (["--device", "cuda"], ["not on device cuda"]),
])
def test_unsupported_runs_are_refused_before_spark_starts(args, words):
    """Refused from the config alone: no JVM is started (these pass without pyspark or Java)."""
    fails(cli("run", SAMPLES / "karate.csv", "--engine", "spark", *args), 2, *words)


def test_inputs_spark_cannot_read_are_refused_before_spark_starts():
    fails(cli("run", SAMPLES / "karate.json", "--engine", "spark"), 2, "the spark engine does not read JSON",
          "gnnprop convert")
    fails(cli("run", "-", "--engine", "spark", input="src,dst\n1,2\n"), 2, "not stdin")


def test_the_library_runs_spark_through_propagate_only():
    """propagate(..., engine="spark") goes through the run seam (a Spark run reads files, so a JSON graph is
    refused before Spark starts); explaining a node is the local engine's, and says so."""
    import gnnprop
    from gnnprop.errors import ConfigError, UsageError

    with pytest.raises(UsageError, match="the spark engine does not read JSON"):
        gnnprop.propagate(str(SAMPLES / "seed_example.json"), engine="spark", rounds=1)
    with pytest.raises(ConfigError, match="engine: inspect explains a node on the local engine"):
        gnnprop.explain(str(SAMPLES / "seed_example.json"), engine="spark", node=0)
