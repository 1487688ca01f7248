"""Saving and loading a layer's parameters, through safe loaders only.

``.safetensors`` is the format (no code runs when it is read). ``.pt`` files are
read only with ``torch.load(weights_only=True)``, which refuses pickled objects
other than tensors and plain containers. Keys must match the layer's
``state_dict`` exactly: missing, unexpected or wrongly shaped tensors are an
:class:`InputError` naming them.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import torch

from .errors import InputError, UsageError, setting

FORMATS = (".safetensors", ".pt", ".pth")


def _format(path: str, verb: str) -> str:
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise UsageError(f"{path}: cannot {verb} weights as {ext or 'a file without extension'}; "
                         f"use .safetensors{' (or .pt, tensors only)' if verb == 'read' else ''}")
    return ext


def state_tensors(layer: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous() for k, v in layer.state_dict().items()}


def encode_weights(layer: torch.nn.Module) -> bytes:
    """The layer's parameters (and buffers) as the bytes of a ``.safetensors`` file: the same bytes for the
    same parameters, in every process (safetensors writes its metadata map in a per-process random order,
    so it holds one key)."""
    from safetensors.torch import save

    return save({k: v.clone() for k, v in state_tensors(layer).items()}, metadata={"format": "pt"})


def save_weights(layer: torch.nn.Module, path: str) -> None:
    """Write the layer's parameters (and buffers) to ``path`` (``.safetensors``), atomically."""
    if _format(path, "write") != ".safetensors":
        raise UsageError(f"{path}: {setting('save_weights')} writes .safetensors files")
    folder = Path(path).parent
    if not folder.is_dir():
        raise UsageError(f"the folder {str(folder)!r} does not exist", key="save_weights")
    if Path(path).is_dir():
        raise UsageError(f"{path}: is a folder", key="save_weights")
    data = encode_weights(layer)
    tmp = folder / f".{Path(path).name}.tmp{os.getpid()}"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_weights(path: str) -> dict[str, torch.Tensor]:
    if Path(path).is_dir():
        raise InputError(f"{path}: is a folder, expected a weights file (.safetensors or .pt)")
    ext = _format(path, "read")
    if not Path(path).is_file():
        raise InputError(f"{path}: no such weights file")
    if ext == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(path)
        except (SafetensorError, OSError, ValueError) as e:
            raise InputError(f"{path}: not a readable safetensors file: {e}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about old pickle protocols before refusing
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # the unpickler refuses anything but tensors and plain containers
        text = str(e)
        found = re.search(r"unsupported GLOBAL (\S+)", text)
        what = f"it asks for {found.group(1)}, which is not a tensor" if found else \
            (text.strip().splitlines()[-1] if text.strip() else type(e).__name__)
        raise InputError(f"{path}: refused: a .pt weights file may hold only tensors and gnnprop reads it with "
                         f"weights_only=True; {what}; convert it to .safetensors") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                             for k, v in data.items()):
        raise InputError(f"{path}: expected a mapping of parameter names to tensors (a state_dict)")
    return data


def load_weights(layer: torch.nn.Module, path: str) -> None:
    """Load ``path`` into ``layer``; keys and shapes must match exactly."""
    tensors = read_weights(path)
    own = layer.state_dict()
    missing = [k for k in own if k not in tensors]
    unexpected = [k for k in tensors if k not in own]
    shapes = [f"{k} {tuple(tensors[k].shape)} (expected {tuple(own[k].shape)})" for k in own
              if k in tensors and tensors[k].shape != own[k].shape]
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected {', '.join(unexpected)}")
    if shapes:
        problems.append(f"wrong shape {', '.join(shapes)}")
    if problems:
        raise InputError(f"{path}: the weights do not fit the layer: {'; '.join(problems)} "
                         f"(the layer has: {', '.join(f'{k} {tuple(v.shape)}' for k, v in own.items()) or 'none'})")
    with torch.no_grad():
        for k, v in own.items():
            v.copy_(tensors[k].to(v.dtype))
