"""A real Spark cluster of separate processes: a standalone master and two workers (one core,
1 GB each) from the pip package, on loopback (one cluster for the module), and ``gnnprop run`` as
its driver. The plan and the layer's weights (12 features: nn's linear maps run as matrix products
in the executors' Python workers, the weights a broadcast) are shipped to executors in other JVMs;
the numbers must be the local engine's. And its faults: a driver stopped (SIGTERM), a worker
killed mid-run; on ``local[1]``, Ctrl-C and a driver killed, then resumed. Ports are chosen free;
the processes are ended by their process group.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from .clitools import cli
from .spark_tools import JVM_OPTS, StandaloneCluster, rounds_of, skip_reason, spark_env, write_random_graph

REASON = skip_reason()
pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The module's one standalone cluster (``spark://127.0.0.1:P``, two registered workers). The
    worker-kill test, last in the module, leaves it with one."""
    c = StandaloneCluster(tmp_path_factory.mktemp("cluster"))
    try:
        if not c.wait(2):
            pytest.fail(f"the standalone cluster did not come up (workers alive: {c.alive()}): {c.logs()}")
        yield c
    finally:
        c.stop()


ENV = spark_env()


def assert_local_numbers(out_dir, edges, nodes, flags: list, width: int, exact: bool) -> None:
    """Every round of the run folder ``out_dir`` against the local engine's run of ``flags`` in float64, by
    node id: bit for bit (``exact``) or within 1e-12 norm-wise."""
    import pyarrow.parquet as pq

    local = cli("run", edges, "--node-features", nodes, *flags, "--dtype", "float64", "-f", "json")
    assert local.code == 0, local.stderr
    ids, rounds, _ = rounds_of(local)
    kept = json.loads((out_dir / "_gnnprop.json").read_text())["written"]["rounds"]
    assert kept == sorted(rounds)
    for r in kept:
        table = pq.read_table(out_dir / f"round={r}").to_pydict()
        got = dict(zip(table["id"], zip(*[table[f"x{k}"] for k in range(width)])))
        x = np.array([got[i] for i in ids])
        if exact:
            assert np.array_equal(x, rounds[r]), (r, np.abs(x - rounds[r]).max())
        else:
            scale = np.maximum(np.abs(rounds[r]).max(axis=0), 1e-300)
            assert (np.abs(x - rounds[r]).max(axis=0) / scale).max() <= 1e-12, r


def cluster_config(folder, cluster, layer: str, rounds: int, checkpoint_dir: str | None = None) -> str:
    """A config for a run of ``layer`` with max, ``rounds`` rounds in float64 on ``cluster`` (2 partitions, one
    for each executor of one core), written in ``folder``."""
    config = folder / "cluster.yaml"
    where = f"checkpoint_dir: '{checkpoint_dir}', " if checkpoint_dir else ""
    config.write_text(f"layer: {{type: {layer}}}\naggr: max\nrounds: {rounds}\ndtype: float64\nengine: spark\n"
                      f"spark: {{master: '{cluster.url}', partitions: 2, {where}conf: {{spark.executor.memory: 512m, "
                      f"spark.executor.cores: 1, spark.executor.extraJavaOptions: '{JVM_OPTS}'}}}}\n")
    return str(config)


def start_run(*args) -> subprocess.Popen:
    """``gnnprop run ARGS`` as a driver of its own (its process group: the JVM it starts is in it)."""
    return subprocess.Popen([sys.executable, "-m", "gnnprop", "run", *map(str, args)], stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, start_new_session=True, env=ENV)


def wait_for_round(proc: subprocess.Popen, r: int) -> list[str]:
    """The driver's stderr lines up to the one that says round ``r`` is done."""
    said = []
    for line in proc.stderr:
        said.append(line)
        if f": round {r}:" in line:
            return said
    raise AssertionError(f"the run ended before round {r}: {''.join(said)}")


def end(proc: subprocess.Popen) -> None:
    """The driver and the JVM it started, if either is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def test_a_run_stopped_mid_way_leaves_nothing_that_passes_for_complete(tmp_path):
    """Ctrl-C (SIGINT) mid-run: exit 130, one line (no Java stack, no JVM warning), and the folder keeps
    its complete rounds (for --resume), no round cut short, no ``_temporary`` and no ``_SUCCESS``.
    SIGKILL of the driver (Python and its JVM: nothing can clean up): the rounds written so far stay,
    but no ``_SUCCESS``, so nothing passes for a finished run, and ``gnnprop run --resume`` continues
    from the last of them to the local engine's numbers, bit for bit (max). The two runs go side by
    side (each start is a JVM's)."""
    edges, nodes = write_random_graph(tmp_path, seed=22, f=2)
    procs = {}
    for how, rounds in (("kill", 6), ("interrupt", 500)):  # the one killed first: it must not finish before
        out_dir = tmp_path / how
        procs[how] = (out_dir, start_run(edges, "--node-features", nodes, "--engine", "spark", "--spark-master",
                                         "local[1]", "--rounds", rounds, "--dtype", "float64", "--message",
                                         "0.5 * x_j", "-o", f"{out_dir}/"))
    try:
        for how, (out_dir, proc) in procs.items():
            wait_for_round(proc, 2)  # round 2 is computed: rounds 0 and 1 are on disk
            assert (out_dir / "round=1").exists(), how
            if how == "interrupt":
                os.kill(proc.pid, signal.SIGINT)
                rest = proc.stderr.read()
                assert proc.wait(timeout=120) == 130, rest
                assert not (out_dir / "_SUCCESS").exists()
                assert not [p for p in out_dir.rglob("_temporary")]  # the round cut short is gone
                kept = json.loads((out_dir / "_gnnprop.json").read_text())
                assert kept["status"] == "stopped"
                assert {n for n in os.listdir(out_dir) if n.startswith("round=")} == \
                    {f"round={r}" for r in kept["written"]["rounds"]}
                *rounds, last = rest.strip().splitlines()  # the rounds done since, then the one line
                assert all(line.startswith("gnnprop: spark: round ") for line in rounds), rest
                assert last.startswith("gnnprop: interrupted (Ctrl-C); stopped during round "), rest
            else:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
                assert out_dir.exists() and not (out_dir / "_SUCCESS").exists()
    finally:
        for _, proc in procs.values():
            end(proc)
    out_dir = tmp_path / "kill"
    before = json.loads((out_dir / "_gnnprop.json").read_text())["written"]["rounds"]
    resumed = subprocess.run([sys.executable, "-m", "gnnprop", "run", "--resume", f"{out_dir}/"],
                             capture_output=True, text=True, timeout=300, env=ENV)
    assert resumed.returncode == 0, resumed.stderr
    assert f"gnnprop: resuming {out_dir}/ from round {max(before)}\n" in resumed.stderr
    assert all(line.startswith("gnnprop: ") for line in resumed.stderr.splitlines()), resumed.stderr
    assert (out_dir / "_SUCCESS").exists()
    assert_local_numbers(out_dir, edges, nodes, ["--message", "0.5 * x_j", "--rounds", "6"], 2, exact=True)


def test_a_cluster_run_stopped_says_one_line_and_leaves_no_temporary(cluster, tmp_path):
    """SIGTERM to a driver on the cluster mid-run (its tasks in the executors' JVMs): exit 143 and one line,
    no Java stack, no ``_temporary``, no ``_SUCCESS``; the complete rounds stay for --resume."""
    edges, nodes = write_random_graph(tmp_path, seed=24, n=60, e=240, f=3)
    config = cluster_config(tmp_path, cluster, "fixed", rounds=40)
    out_dir = tmp_path / "run"
    proc = start_run(edges, "--node-features", nodes, "-c", config, "-o", f"{out_dir}/")
    try:
        said = wait_for_round(proc, 2)  # round 2 is computed: rounds 0 and 1 are on disk
        os.kill(proc.pid, signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(timeout=120) == 143, rest
    finally:
        end(proc)
    assert all(line.startswith("gnnprop: spark: ") for line in said), said
    *rounds, last = rest.strip().splitlines()  # the rounds done since, then the one line
    assert all(line.startswith("gnnprop: spark: round ") for line in rounds), rest
    assert last.startswith("gnnprop: terminated (SIGTERM); stopped during round "), rest
    assert last.endswith(f", each complete: continue the run with gnnprop run --resume {out_dir}"), rest
    assert not (out_dir / "_SUCCESS").exists() and not list(out_dir.rglob("_temporary"))
    kept = json.loads((out_dir / "_gnnprop.json").read_text())
    assert kept["status"] == "stopped" and 1 <= max(kept["written"]["rounds"]) < 40
    assert {n for n in os.listdir(out_dir) if n.startswith("round=")} == \
        {f"round={r}" for r in kept["written"]["rounds"]}


def test_a_cluster_run_equals_the_local_engine_though_a_worker_is_killed_mid_run(cluster, tmp_path):
    """nn with 12 features (its linear maps run in the executors' Python workers, the weights a broadcast) on
    the cluster, rounds checkpointed in ``spark.checkpoint_dir``; a worker and its executor SIGKILLed
    mid-run: Spark runs the lost tasks again on the other worker, gnnprop says so (only its own lines on
    stderr), and every round is the local engine's (1e-12). Last in the module: the cluster keeps one worker."""
    edges, nodes = write_random_graph(tmp_path, seed=21, n=40, e=160, f=12, string_ids=True)
    config = cluster_config(tmp_path, cluster, "nn", rounds=3, checkpoint_dir=str(tmp_path / "ckpt"))
    out_dir = tmp_path / "out"
    proc = start_run(edges, "--node-features", nodes, "-c", config, "-o", f"{out_dir}/")
    try:
        said = wait_for_round(proc, 1)
        cluster.kill_worker(1)
        said += proc.stderr.readlines()
        assert proc.wait(timeout=300) == 0, "".join(said)
        assert proc.stdout.read() == ""
    finally:
        end(proc)
    text = "".join(said)
    assert said[0].startswith(f"gnnprop: spark: {cluster.url}: 40 nodes, 163 edges, 12 features read in "), text
    assert "an executor was lost (127.0.0.1:" in text and "Spark ran its tasks again on the others" in text, text
    assert all(line.startswith("gnnprop: ") for line in said), text
    assert (out_dir / "_SUCCESS").exists()
    assert_local_numbers(out_dir, edges, nodes, ["--layer", "nn", "--aggr", "max", "--rounds", "3"], 12,
                         exact=False)
