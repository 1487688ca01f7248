"""Users' own layer classes: ``path/to/file.py:ClassName``.

This imports and runs the user's Python file with the user's rights, exactly as
``python file.py`` would: only point gnnprop at code you trust.

The class must subclass PyG's ``MessagePassing``. Constructor arguments come
from the config's ``args``; parameters the graph determines are filled in when
not given: an input width (``in_channels``, ``input_dim``, ``in_dim``,
``in_features``, ``channels``) gets the feature width, an output width
(``out_channels``, ``output_dim``, ``out_dim``, ``out_features``) gets
``layer.out_dim`` or the feature width, a hidden width (``hidden_dim``,
``hidden_channels``) gets ``layer.hidden_dim`` or the feature width, and
``aggr`` gets the configured aggregation when one is set.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from typing import Any, Mapping

from torch_geometric.nn import MessagePassing

from ..errors import ConfigError, GnnpropError
from ..guards import user_code

IN_NAMES = ("in_channels", "input_dim", "in_dim", "in_features", "channels")
OUT_NAMES = ("out_channels", "output_dim", "out_dim", "out_features")
HIDDEN_NAMES = ("hidden_dim", "hidden_channels")


class UserCodeError(GnnpropError):
    """An exception raised inside the user's own layer code.

    ``user_traceback`` holds the traceback's text (from the user's file onwards);
    the CLI prints it, then one line naming the file and class.
    """

    exit_code = 1

    def __init__(self, message: str, user_traceback: str):
        super().__init__(message)
        self.user_traceback = user_traceback


def is_user_spec(type_name: str) -> bool:
    return ":" in type_name and type_name.rsplit(":", 1)[0].endswith(".py")


def split_spec(spec: str) -> tuple[Path, str]:
    path, _, cls = spec.rpartition(":")
    if not cls.isidentifier():
        raise ConfigError(f"layer.type: {spec!r}: expected path/to/file.py:ClassName")
    return Path(path), cls


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


def load_class(spec: str) -> type:
    """Import ``file.py`` and return its ``ClassName`` (a MessagePassing subclass)."""
    path, cls_name = split_spec(spec)
    if not path.is_file():
        raise ConfigError(f"layer.type: {path}: no such file (from {spec!r})")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    mod_name = f"gnnprop_user_{path.stem}_{digest}"
    module = sys.modules.get(mod_name)
    if module is None:
        loader_spec = importlib.util.spec_from_file_location(mod_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ConfigError(f"layer.type: {path}: cannot be imported as Python")
        module = importlib.util.module_from_spec(loader_spec)
        try:
            with user_code(str(path), path):
                loader_spec.loader.exec_module(module)
        except UserCodeError:
            raise
        except Exception as e:  # the user's code failed while importing
            raise UserCodeError(f"{path}: importing the file failed: {type(e).__name__}: {e}",
                                user_traceback(e, path)) from None
        sys.modules[mod_name] = module
    cls = getattr(module, cls_name, None)
    if cls is None:
        found = [n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, MessagePassing)
                 and v is not MessagePassing]
        hint = f"; its MessagePassing classes: {', '.join(found)}" if found else "; it defines no MessagePassing class"
        raise ConfigError(f"layer.type: {path} has no class {cls_name!r}{hint}")
    if not (isinstance(cls, type) and issubclass(cls, MessagePassing)):
        raise ConfigError(f"layer.type: {path}:{cls_name} is not a subclass of torch_geometric's MessagePassing")
    return cls


def build(spec: str, args: Mapping[str, Any], in_dim: int, hidden_dim: int | None, out_dim: int | None,
          aggr: Any) -> MessagePassing:
    cls = load_class(spec)
    path, cls_name = split_spec(spec)
    params = dict(inspect.signature(cls.__init__).parameters)
    params.pop("self", None)
    kwargs = dict(args)
    names = set(params)
    for group, value in ((IN_NAMES, in_dim), (OUT_NAMES, out_dim or in_dim), (HIDDEN_NAMES, hidden_dim or in_dim)):
        for name in group:
            if name in names and name not in kwargs:
                kwargs[name] = value
    if aggr is not None and "aggr" in names and "aggr" not in kwargs:
        kwargs["aggr"] = aggr
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    unknown = [k for k in args if k not in names and not var_kw]
    if unknown:
        raise ConfigError(f"layer.args.{unknown[0]}: {cls_name}.__init__ takes no argument {unknown[0]!r} "
                          f"(it takes: {', '.join(params) or 'nothing'})")
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in kwargs
               and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    if missing:
        raise ConfigError(f"layer.args: {cls_name} needs {', '.join(repr(m) for m in missing)}; "
                          f"give {'it' if len(missing) == 1 else 'them'} under layer.args")
    try:
        with user_code(f"{path}:{cls_name}", path):
            layer = cls(**kwargs)
    except UserCodeError:
        raise
    except Exception as e:
        raise UserCodeError(f"{path}:{cls_name}: the constructor failed: {type(e).__name__}: {e}",
                            user_traceback(e, path)) from None
    layer._gnnprop_source = (path, cls_name)
    return layer
