"""Choosing the device: ``auto`` is CUDA when present, else the CPU."""

from __future__ import annotations

import torch

from .errors import UsageError
from .resolver import did_you_mean


def available_devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def resolve_device(name: str) -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` | ``mps`` -> a usable ``torch.device``.

    A device that is not there raises :class:`UsageError` (exit 2) naming what is.
    """
    text = str(name).strip().lower()
    if text == "auto":
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        raise UsageError(f"unknown device {name!r}; {did_you_mean(text, ('auto', 'cpu', 'cuda', 'mps'))}"
                         "expected auto, cpu, cuda, cuda:N or mps "
                         f"(available here: {', '.join(available_devices())})", key="device") from None
    if dev.type == "cpu":
        return torch.device("cpu")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"{name} is not available: this machine has no CUDA device "
                             f"(available: {', '.join(available_devices())})", key="device")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UsageError(f"{name} is not available: there are {torch.cuda.device_count()} "
                             f"CUDA device(s) (available: {', '.join(available_devices())})", key="device")
        return dev
    if dev.type == "mps":
        if "mps" not in available_devices():
            raise UsageError(f"mps is not available (available: {', '.join(available_devices())})", key="device")
        return dev
    raise UsageError(f"unsupported device {name!r}; expected auto, cpu, cuda, cuda:N or mps", key="device")
