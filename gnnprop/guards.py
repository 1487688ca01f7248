"""Checks that keep numbers from being silently wrong, and user code in its lane.

- :func:`check_fits_dtype`: input values that the run's dtype cannot hold
  (``1e39`` in float32 becomes ``inf`` before round 1) are an input error naming
  the node and feature.
- :func:`user_code`: while a user's own layer runs, what it prints goes to stderr
  (stdout is data), and ``sys.exit()`` is an error naming the file and class.
- :class:`OutputShape`: a layer must return ``[num_nodes, width]`` with the same
  width every call.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from pathlib import Path
from typing import Iterator, Sequence

import torch

from .errors import InputError, RunError, UserCodeError, setting


def check_fits_dtype(x: torch.Tensor, dtype: torch.dtype, node_ids: Sequence, source: str, key: str = "x") -> None:
    """Refuse values of ``x`` ([N, F]) that become inf, or 0, in ``dtype``."""
    if not x.is_floating_point() or torch.finfo(x.dtype).bits <= torch.finfo(dtype).bits or x.numel() == 0:
        return
    info = torch.finfo(dtype)
    mag = x.abs()
    big = mag > info.max
    tiny = (mag > 0) & (mag < info.smallest_normal * info.eps / 2)  # below half the smallest subnormal: 0
    bad = big | tiny
    if not bool(bad.any()):
        return
    flat = int(bad.reshape(-1).nonzero()[0, 0])
    width = x.shape[1] if x.dim() == 2 else 1
    row, col = divmod(flat, width)
    value = float(x.reshape(-1)[flat])
    what = f"node {node_ids[row]} feature {col}" if x.dim() == 2 else f"{key}[{row}]"
    name = str(dtype).replace("torch.", "")
    why = f"beyond the largest {name} ({info.max:.4g})" if bool(big.reshape(-1)[flat]) else \
        f"too small for {name}: it would become 0"
    count = int(bad.sum())
    more = f" ({count:,} values in all)" if count > 1 else ""
    raise InputError(f"{source}: {what} is {value:.6g}, {why}{more}; use {setting('dtype', 'float64')}")


@contextlib.contextmanager
def user_code(what: str, path: object) -> Iterator[None]:
    """Run a user's code: its stdout goes to stderr, ``sys.exit()`` becomes a :class:`UserCodeError`."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except SystemExit as e:
        raise UserCodeError(f"{what}: the code called sys.exit({e.code!r}); a layer must return or raise",
                            user_traceback(e, path)) from None


class OutputShape:
    """Check every output of a layer: 2-D, one row per node, the same width as the first call (or ``width``)."""

    def __init__(self, what: str):
        self.what, self.width, self.calls = what, None, 0

    def __call__(self, out: object, x: torch.Tensor, expected_width: int | None = None) -> None:
        self.calls += 1
        shape = tuple(getattr(out, "shape", ()))
        if self.width is None:
            if expected_width is None:  # an unprobed layer's first call: the probe checks that one itself
                self.width = shape[1] if len(shape) == 2 else None
                return
            self.width = expected_width
        if not isinstance(out, torch.Tensor) or out.dim() != 2 or shape[0] != x.shape[0] or shape[1] != self.width:
            raise RunError(f"{self.what}: call {self.calls} returned {type(out).__name__} of shape {shape} for "
                           f"{x.shape[0]} nodes; a layer must return [num_nodes, width] = [{x.shape[0]}, "
                           f"{self.width}] every round")


def user_traceback(exc: BaseException, path: Path) -> str:
    """The traceback from the first frame in the user's file (all of it if none is)."""
    tb = exc.__traceback__
    frames = traceback.extract_tb(tb)
    target = str(path.resolve())
    start = next((k for k, f in enumerate(frames) if str(Path(f.filename).resolve()) == target), 0)
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(frames[start:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)
