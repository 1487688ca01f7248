"""Faults that are not the user's input: memory running out, standard output failing.

A command says what it is doing (:func:`doing`) as it goes, so an allocation
that fails where no size could be estimated in advance still reads as one line:
"out of memory while computing round 3". :func:`translate` turns such exceptions
into a :class:`RunError`; anything it does not recognise is left alone (a bug,
which should show its traceback).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from ..errors import GnnpropError, RunError
from .sinks import STDOUT_NAME, silence_stdout, write_error

_phase = ["running the command"]
_outputs: list = []  # the command's output targets (sinks.Target), for an interruption's message


def doing(what: str) -> None:
    """Record what the command is doing now (for an out-of-memory message)."""
    _phase[0] = what


def phase() -> str:
    return _phase[0]


def expect_outputs(targets: list) -> None:
    """Record the files the command will write (see :func:`interrupted_note`)."""
    _outputs[:] = targets


def interrupted_note() -> str:
    """For Ctrl-C or SIGTERM in a command that says nothing more itself: what it was doing, what it did not write."""
    files = [t.path for t in _outputs if t.kind == "file"]
    note = f"stopped while {phase()}"
    if files:
        note += f"; {' and '.join(files)} {'was' if len(files) == 1 else 'were'} not written"
    return note


def is_out_of_memory(e: BaseException) -> bool:
    if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError":  # torch.OutOfMemoryError (CUDA)
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text.lower())


@contextlib.contextmanager
def writing(name: str) -> Iterator[None]:
    """What fails within comes from writing the output ``name`` (a run folder, which has no sink of
    its own to say so): :func:`translate` names it instead of standard output."""
    try:
        yield
    except BaseException as e:
        if getattr(e, "gnnprop_output", None) is None:
            with contextlib.suppress(AttributeError, TypeError):
                e.gnnprop_output = name  # type: ignore[attr-defined]
        raise


def translate(e: BaseException) -> GnnpropError | None:
    """The one-line error for a fault that is not the user's input, or ``None`` (a bug: re-raised)."""
    if is_out_of_memory(e):
        return RunError(f"out of memory while {phase()}; try a smaller graph, --dtype float32, fewer features, "
                        f"or fewer rounds kept (--last)")
    output = getattr(e, "gnnprop_output", None)
    if isinstance(e, OSError):
        err = write_error(e, output or STDOUT_NAME)
        if err is None and output is not None:  # any other failure of a write to a named output
            err = RunError(f"cannot write {output}: {e.strerror or str(e).splitlines()[0]}")
        return err
    if "py4j" in sys.modules:  # a Spark run: its JVM's errors (only then is py4j loaded)
        from ..engine.spark.faults import java_error

        err = java_error(e, phase(), output)
        note = getattr(e, "gnnprop_note", None)
        if err is not None and note:  # what is left to continue from (a run folder kept for --resume)
            err.message = f"{err.message}; {note}"
            err.args = (err.render(),)
        return err
    return None


def flush_stdout() -> None:
    """Flush stdout now, so that a write error is reported as one line (not at interpreter exit)."""
    out = sys.stdout
    if out is not None:
        try:
            out.flush()
        except ValueError:  # closed by a test harness
            pass
        except OSError as e:
            err = write_error(e, STDOUT_NAME)
            if err is None or isinstance(e, BrokenPipeError):
                raise
            silence_stdout()
            raise err from None
