"""What the Spark tests share: why they would be skipped, tiny graphs written as files, and
comparison with the local engine (the reference: gnnprop's own engine on the same files)."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys

import numpy as np

from .clitools import cli

#: The JVMs the tests start in processes of their own (drivers, executors, a standalone master and workers)
#: live for seconds and run a few tiny jobs on 2 shared cores: the C2 compiler's work and parallel GC threads
#: cost them more CPU than they win back. C1 only and the serial collector: a standalone cluster's nn run (40
#: nodes, 4 rounds) took 57 s with the JVM's defaults, 36 s with these. Not for the suite's own session
#: (:func:`local_session`), which runs for minutes: there C2 pays (25 tiny ``gnnprop run --engine spark``
#: in one session: 36.6 s with the defaults, 45.3 s with C1 only), nor for gnnprop's defaults (a long
#: run on a big graph is what C2 is for).
JVM_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


#: Where every Spark of the tests runs: on loopback, its Python workers this Python.
LOOPBACK = {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}


def spark_env(**extra: str) -> dict[str, str]:
    """The environment of a ``gnnprop`` that the tests start as a process of its own to drive Spark:
    :data:`LOOPBACK`, and :data:`JVM_OPTS` for its JVM (spark-submit adds ``SPARK_SUBMIT_OPTS`` to the
    driver's command line)."""
    return {**os.environ, **LOOPBACK, "SPARK_SUBMIT_OPTS": JVM_OPTS, **extra}


def skip_reason() -> str | None:
    """Why Spark tests cannot run here (None: they can)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return "Java is not installed (Spark needs Java 17+)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"java -version failed: {e}"
    version = out.split('"')[1] if '"' in out else "0"
    if int(version.split(".")[0]) < 17:
        return f"Java {version} is too old (Spark 4 needs 17+)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_random_graph(folder, seed: int, n: int = 12, e: int = 30, f: int = 2, string_ids: bool = True,
                       weights: bool = False) -> tuple[str, str]:
    """A CSV edge file and a node table: isolated nodes, self loops and duplicate edges included;
    string ids (``n3``) or integers in a shuffled, non-contiguous order."""
    rng = random.Random(seed)
    ids = [f"n{k}" for k in range(n)] if string_ids else [k * 7 - 20 for k in range(n)]
    rng.shuffle(ids)
    active = ids[: n - 2]                         # the last two nodes have no edges at all
    edges = [(rng.choice(active), rng.choice(active)) for _ in range(e)]
    edges += [(active[0], active[0]), (active[1], active[2]), (active[1], active[2])]  # a self loop, a duplicate
    edge_file = os.path.join(folder, f"g{seed}.csv")
    with open(edge_file, "w") as fh:
        fh.write("src,dst,weight\n" if weights else "source,target\n")
        for a, b in edges:
            fh.write(f"{a},{b},{rng.uniform(0.1, 2.0)!r}\n" if weights else f"{a},{b}\n")
    node_file = os.path.join(folder, f"g{seed}.nodes.csv")
    with open(node_file, "w") as fh:
        fh.write("id," + ",".join(f"f{k}" for k in range(f)) + "\n")
        for v in ids:
            fh.write(f"{v}," + ",".join(repr(rng.uniform(-2, 2)) for _ in range(f)) + "\n")
    return edge_file, node_file


def rounds_of(out) -> tuple[list, dict[int, np.ndarray], dict]:
    data = json.loads(out.stdout)
    return data["nodes"], {r["round"]: np.array(r["x"], dtype=np.float64) for r in data["rounds"]}, data["meta"]


def compare(args: list, exact: bool, tol: float = 1e-12) -> dict:
    """Run ``gnnprop run ARGS -f json`` on the local engine and on Spark; assert the same nodes in the
    same order, the same rounds, and values bit-exact (``exact``) or within ``tol`` norm-wise
    (max |diff| / max |x| per feature column). Returns the Spark run's meta."""
    local = cli("run", *args, "-f", "json")
    assert local.code == 0, local.stderr
    spark = cli("run", *args, "-f", "json", "--engine", "spark")
    assert spark.code == 0, spark.stderr
    ids_l, rounds_l, meta_l = rounds_of(local)
    ids_s, rounds_s, meta_s = rounds_of(spark)
    assert ids_s == ids_l
    assert sorted(rounds_s) == sorted(rounds_l)
    for r in rounds_l:
        a, b = rounds_l[r], rounds_s[r]
        assert a.shape == b.shape, (r, a.shape, b.shape)
        if exact:
            assert np.array_equal(a, b), (r, np.abs(a - b).max())
        else:
            scale = np.maximum(np.abs(a).max(axis=0), 1e-300)
            err = (np.abs(a - b).max(axis=0) / scale).max()
            assert err <= tol, (r, err)
    for key in ("rounds_run", "stop_reason", "converged", "num_nodes", "num_edges", "layer", "aggr", "dtype"):
        assert meta_s[key] == meta_l[key], (key, meta_s[key], meta_l[key])
    assert meta_s["engine"] == "spark"
    return meta_s


LOG4J = os.path.join(os.path.dirname(__file__), "..", "gnnprop", "engine", "spark", "log4j2.properties")


def local_session():
    """The tests' one local[2] SparkSession: UI off, loopback, 1 GB driver, 2 shuffle partitions; the Python
    workers (wide linear maps) are this Python. Expressions are interpreted, not compiled: every test's plan
    is new, and compiling it costs more than running it on a tiny graph (the Spark tests take 72 s instead
    of 90; the cluster and bench tests run compiled, as gnnprop does).

    Measured and not kept (``pytest -m spark tests/test_spark_blocks.py tests/test_engines_agree.py``: 170 s with
    this session, varying about 15 % from one run to the next): this JVM's compiler threads do most of its work (52
    of 90 CPU-seconds in test_spark_blocks.py), but they run beside the tests' own thread, and fewer compiles run
    the rest slower: C1 only 182 s, ``-XX:CompileThresholdScaling=5`` 203 s, the serial collector 190 s. Two
    pytest-xdist workers: 196 s (two JVMs compile the same code twice on the same 2 cores). A class-data archive of
    Spark's classes (JDK 17's ``-XX:ArchiveClassesAtExit``) starts each JVM about 5 s sooner (a standalone master
    and two workers: 13.4 s -> 3.7 s) but takes 19-50 s to make in a fresh clone, which is what CI runs."""
    os.environ.update(LOOPBACK)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("gnnprop-tests")
               .config("spark.ui.enabled", "false").config("spark.driver.memory", "1g")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.python.daemon.module", "gnnprop.engine.spark.daemon")
               .config("spark.sql.codegen.wholeStage", "false").config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
               .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{os.path.abspath(LOG4J)}")
               .getOrCreate())
    session.range(1).collect()  # the JVM's first job, once
    return session


class StandaloneCluster:
    """A Spark standalone master and ``workers`` workers (one core, 1 GB each) from the pip package, on
    loopback, each a process group of its own (the worker's executors are in its group), logging to
    ``folder``. ``url`` is ``spark://127.0.0.1:P``; :meth:`kill_worker` SIGKILLs a worker and its
    executors; :meth:`stop` ends them all by process group."""

    def __init__(self, folder, workers: int = 2):
        import pyspark

        self.home = os.path.dirname(pyspark.__file__)
        self.folder = folder
        self.env = spark_env(SPARK_HOME=self.home, SPARK_DAEMON_JAVA_OPTS=JVM_OPTS, SPARK_LOG_DIR=str(folder),
                             SPARK_WORKER_DIR=os.path.join(str(folder), "work"))
        self.port, self.ui = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.master = self._launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                   "--port", str(self.port), "--webui-port", str(self.ui))
        self.workers = [self._worker(k) for k in range(workers)]

    def _launch(self, name: str, *args: str) -> subprocess.Popen:
        out = open(os.path.join(str(self.folder), f"{name}.log"), "wb")
        return subprocess.Popen([os.path.join(self.home, "bin", "spark-class"), *args], env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def _worker(self, k: int) -> subprocess.Popen:
        return self._launch(f"worker{k}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                            "--cores", "1", "--memory", "1g", "--port", str(free_port()), "--webui-port",
                            str(free_port()), self.url)

    def alive(self) -> int:
        """How many workers the master has ALIVE."""
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui}/json/", timeout=5) as r:
                return sum(w["state"] == "ALIVE" for w in json.load(r)["workers"])
        except OSError:
            return 0

    def wait(self, workers: int, timeout: float = 120) -> bool:
        """Wait until ``workers`` workers are alive."""
        import time

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.alive() == workers:
                return True
            time.sleep(0.5)
        return False

    def logs(self) -> dict[str, str]:
        return {name: open(os.path.join(str(self.folder), name), errors="replace").read()[-600:]
                for name in os.listdir(str(self.folder)) if name.endswith(".log")}

    def kill_worker(self, k: int) -> None:
        """SIGKILL worker ``k`` and the executors it started (its process group): a machine lost."""
        import signal

        os.killpg(self.workers[k].pid, signal.SIGKILL)
        self.workers[k].wait()

    def stop(self) -> None:
        import signal

        procs = [self.master, *self.workers]
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
                p.wait()
