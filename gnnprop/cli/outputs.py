"""A command's inputs and outputs, checked together before any work.

:func:`plan_outputs` is the one place that says which files a command reads and
which it writes, and refuses (exit 2) any output that is an input or that two
outputs name the same file (see :mod:`gnnprop.cli.sinks` for the rules).
"""

from __future__ import annotations

import contextlib
import signal
from typing import Iterator, Sequence

from .. import _signals
from ..errors import UsageError
from . import faults
from .sinks import Target, output_target, protect

# (what, path) pairs: what names the input in the message ("graph", "config", ...)
Inputs = Sequence[tuple[str, "str | None"]]


def layer_file(layer_type: str | None) -> str | None:
    """The Python file of a ``file.py:Class`` layer, else ``None``."""
    if not layer_type or ":" not in layer_type:
        return None
    path = layer_type.rpartition(":")[0]
    return path if path.endswith(".py") else None


def command_inputs(graph: str | None, *, node_features: str | None = None, config: str | None = None,
                   weights: str | None = None, layer_type: str | None = None) -> list[tuple[str, str | None]]:
    return [("graph", graph), ("node features", node_features), ("config", config), ("weights", weights),
            ("layer file", layer_file(layer_type))]


def weights_target(path: str) -> Target:
    """``--save-weights``: a ``.safetensors`` file (never stdout)."""
    if path and not path.lower().endswith(".safetensors"):
        raise UsageError(f"{path}: --save-weights writes .safetensors files")
    return output_target(path, "--save-weights", allow_stdout=False)


def plan_outputs(inputs: Inputs, outputs: Sequence[Target | None]) -> None:
    """Refuse outputs that would overwrite an input or each other (before any work)."""
    targets = [t for t in outputs if t is not None]
    protect(inputs, targets)
    faults.expect_outputs(targets)


def not_written(targets: Sequence[Target | None]) -> str:
    """For an interruption's message: which outputs were left as they were."""
    files = [t.path for t in targets if t is not None and t.kind == "file"]
    if not files:
        return ""
    return f"{' and '.join(files)} {'was' if len(files) == 1 else 'were'} not written"


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a round is written to a stream, so a stream holds whole rounds.

    The signal is noted and acted on (``KeyboardInterrupt`` / :class:`Terminated`) once the round is out.
    (Masking the signal would not do: torch's threads would take it, and Python still raises mid-round.)
    """
    got: list[int] = []

    def hold(signum, frame):  # noqa: ARG001
        got.append(signum)

    old = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if callable(signal.getsignal(sig)):  # leave ignored signals ignored
                old[sig] = signal.signal(sig, hold)
    except ValueError:  # not the main thread: nothing to hold
        pass
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if got:
        if got[0] == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            raise _signals.Terminated()
        raise KeyboardInterrupt()
