"""A real Spark cluster of separate processes: a standalone master and two workers (one core,
1 GB each) from the pip package, on loopback, and ``gnnprop run`` as its driver. The plan and the
layer's weights (12 features: nn's linear maps run as matrix products in the executors' Python
workers, the weights a broadcast) are shipped to executors in other JVMs; the numbers must be the
local engine's. Ports are chosen free; the processes are ended by their pid.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from .clitools import cli
from .spark_tools import free_port, rounds_of, skip_reason, write_random_graph

REASON = skip_reason()
pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


def _spark_home() -> str:
    import pyspark

    return os.path.dirname(pyspark.__file__)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``spark://127.0.0.1:P`` with two registered workers."""
    home = _spark_home()
    logs = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "SPARK_HOME": home, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOG_DIR": str(logs), "SPARK_WORKER_DIR": str(logs / "work")}
    port, ui = free_port(), free_port()
    procs = []

    def launch(name: str, *args: str) -> None:
        out = open(logs / f"{name}.log", "wb")
        procs.append(subprocess.Popen([os.path.join(home, "bin", "spark-class"), *args], env=env, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True))

    url = f"spark://127.0.0.1:{port}"
    launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
           "--webui-port", str(ui))
    for k in range(2):
        launch(f"worker{k}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
               "--memory", "1g", "--port", str(free_port()), "--webui-port", str(free_port()), url)
    try:
        deadline = time.time() + 120
        alive = 0
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
                    alive = sum(w["state"] == "ALIVE" for w in json.load(r)["workers"])
            except OSError:
                alive = 0
            if alive == 2:
                break
            time.sleep(1)
        if alive != 2:
            tails = {p.name: p.read_text()[-600:] for p in logs.glob("*.log")}
            pytest.fail(f"the standalone cluster did not come up (workers alive: {alive}): {tails}")
        yield url
    finally:
        for p in procs:  # each process (and its JVM child) by its own process group, which it leads
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_run_on_a_standalone_cluster_equals_the_local_engine(cluster, tmp_path):
    edges, nodes = write_random_graph(tmp_path, seed=21, n=40, e=160, f=12, string_ids=True)
    config = tmp_path / "cluster.yaml"
    config.write_text(f"layer: {{type: nn}}\naggr: max\nrounds: 3\ndtype: float64\nengine: spark\n"
                      f"spark: {{master: '{cluster}', partitions: 4, conf: {{spark.executor.memory: 512m, "
                      f"spark.executor.cores: 1}}}}\n")
    out_dir = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "gnnprop", "run", edges, "--node-features", nodes, "-c", config,
                           "-o", f"{out_dir}/"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert f"gnnprop: spark: {cluster}: 40 nodes" in proc.stderr
    assert (out_dir / "_SUCCESS").exists()
    local = cli("run", edges, "--node-features", nodes, "--layer", "nn", "--aggr", "max", "--rounds", "3",
                "--dtype", "float64", "-f", "json")
    ids, rounds, _ = rounds_of(local)
    import pyarrow.parquet as pq

    for r in range(4):
        table = pq.read_table(out_dir / f"round={r}").to_pydict()
        got = dict(zip(table["id"], zip(*[table[f"x{k}"] for k in range(12)])))
        x = np.array([got[i] for i in ids])
        scale = np.maximum(np.abs(rounds[r]).max(axis=0), 1e-300)
        assert (np.abs(x - rounds[r]).max(axis=0) / scale).max() <= 1e-12, r


def test_a_run_stopped_mid_way_leaves_nothing_that_passes_for_complete(tmp_path):
    """Ctrl-C (SIGINT) mid-run: exit 130, one line, and the folder keeps its complete rounds (for
    --resume), no round cut short and no ``_SUCCESS``. SIGKILL (nothing can clean up): the rounds
    written so far stay, but no ``_SUCCESS``, so nothing passes for a finished run. The two runs go
    side by side (each start is a JVM's)."""
    edges, nodes = write_random_graph(tmp_path, seed=22, f=2)
    procs = {}
    for how in ("interrupt", "kill"):
        out_dir = tmp_path / how
        procs[how] = (out_dir, subprocess.Popen(
            [sys.executable, "-m", "gnnprop", "run", edges, "--node-features", nodes, "--engine", "spark",
             "--spark-master", "local[1]", "--rounds", "500", "--dtype", "float64", "--message", "0.5 * x_j",
             "-o", f"{out_dir}/"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}))
    try:
        for how, (out_dir, proc) in procs.items():
            for line in proc.stderr:  # wait until a few rounds are on disk
                if ": round 3:" in line:
                    break
            assert (out_dir / "round=2").exists(), how
            if how == "interrupt":
                os.kill(proc.pid, signal.SIGINT)
                rest = proc.stderr.read()
                proc.wait(timeout=120)
                assert proc.returncode == 130
                assert not (out_dir / "_SUCCESS").exists()
                assert not [p for p in out_dir.rglob("_temporary")]  # the round cut short is gone
                kept = json.loads((out_dir / "_gnnprop.json").read_text())
                assert kept["status"] == "stopped"
                assert sorted(n for n in os.listdir(out_dir) if n.startswith("round=")) == \
                    [f"round={r}" for r in kept["written"]["rounds"]]
                assert "Traceback" not in rest and "WARN" not in rest, rest
                assert rest.strip().splitlines()[-1].startswith("gnnprop: interrupted (Ctrl-C)"), rest
            else:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
                assert out_dir.exists() and not (out_dir / "_SUCCESS").exists()
    finally:
        for _, proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            else:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the JVM the driver started, if it outlived it
                except ProcessLookupError:
                    pass
