"""What the benchmarks measure with: phases (time and peak memory), the copy bandwidth, the
bytes a round must move, the machine, and the rounding of figures."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np
import torch

from ..engine.memory import proc_bytes

MB = 1e6
Say = Callable[[str], None]

Say = Callable[[str], None]

BOUND_FORMULA = ("E*4 (CSR column indices, int32) + (N+1)*4 (row pointers, int32) "
                 "+ N*F*4 (read x once, float32) + N*F*4 (write the output, float32) bytes, "
                 "at the copy bandwidth (bytes read + bytes written per second)")
#: The same with every edge reading its source's row of x from memory, as it must when x
#: is larger than the last-level cache and the graph has no locality (a random graph).
GATHER_FORMULA = ("E*4 (column indices) + (N+1)*4 (row pointers) + E*64*ceil(F*4/64) (each edge reads "
                  "the cache lines of its source's row of x) + N*F*4 (write the output) bytes, "
                  "at the copy bandwidth")


# --- measuring ------------------------------------------------------------------

def _rss_bytes() -> int | None:
    return proc_bytes("/proc/self/status", "VmRSS")


def _hwm_bytes() -> int | None:
    return proc_bytes("/proc/self/status", "VmHWM")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Phase:
    """Time a phase and its peak memory above the resident set it started with.

        with Phase() as p:
            ...
        p.seconds, p.peak_mb   # peak_mb is None where /proc cannot say
    """

    def __enter__(self) -> "Phase":
        self.before = _rss_bytes()
        self.can = self.before is not None and _reset_peak()
        self.seconds = 0.0
        self.peak_mb: float | None = None
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> bool:
        self.seconds = time.perf_counter() - self.t0
        if self.can:
            hwm = _hwm_bytes()
            if hwm is not None:
                self.peak_mb = max(hwm - self.before, 0) / MB
        return False


def copy_bandwidth(nbytes: int = 512 * 2**20, times: int = 5) -> float:
    """Median bandwidth of a large memcpy (``dst.copy_(src)``), in bytes per second.

    Both directions count: a copy of B bytes moves 2*B (B read, B written), the
    same accounting as :data:`BOUND_FORMULA`.
    """
    n = nbytes // 4
    src = torch.ones(n, dtype=torch.float32)
    dst = torch.zeros(n, dtype=torch.float32)  # touched, so no page faults in the timed copies
    dst.copy_(src)
    runs = []
    for _ in range(times):
        t0 = time.perf_counter()
        dst.copy_(src)
        runs.append(time.perf_counter() - t0)
    del src, dst
    return 2 * nbytes / statistics.median(runs)


def bound_bytes(nodes: int, edges: int, features: int) -> int:
    """Bytes one round must move at least: see :data:`BOUND_FORMULA`."""
    return edges * 4 + (nodes + 1) * 4 + 2 * nodes * features * 4


def gather_bytes(nodes: int, edges: int, features: int) -> int:
    """Bytes one round moves when every gathered row comes from memory: :data:`GATHER_FORMULA`."""
    return edges * 4 + (nodes + 1) * 4 + edges * 64 * -(-features * 4 // 64) + nodes * features * 4


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _peak(xs: list[float | None]) -> float | None:
    known = [x for x in xs if x is not None]
    return round(max(known), 1) if known else None


def _s(x: float) -> float:
    return float(f"{x:.6g}")


def machine_info() -> dict[str, Any]:
    import torch_geometric

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    return {"cpus": cpus, "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "platform": sys.platform}
