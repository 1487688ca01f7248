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
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError, UserCodeError
from ..guards import OutputShape, user_code, user_traceback
from .base import Caller, Fused, make_caller, module_aggr_text, module_formulas

IN_NAMES = ("in_channels", "input_dim", "in_dim", "in_features", "channels")
OUT_NAMES = ("out_channels", "output_dim", "out_dim", "out_features")
HIDDEN_NAMES = ("hidden_dim", "hidden_channels")


def is_user_spec(type_name: str) -> bool:
    return ":" in type_name and type_name.rsplit(":", 1)[0].endswith(".py")


def split_spec(spec: str) -> tuple[Path, str]:
    path, _, cls = spec.rpartition(":")
    if not cls.isidentifier():
        raise ConfigError(f"{spec!r}: expected path/to/file.py:ClassName", key="layer.type")
    return Path(path), cls


def load_class(spec: str) -> type:
    """Import ``file.py`` and return its ``ClassName`` (a MessagePassing subclass)."""
    from torch_geometric.nn import MessagePassing

    path, cls_name = split_spec(spec)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file (from {spec!r})", key="layer.type")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    mod_name = f"gnnprop_user_{path.stem}_{digest}"
    module = sys.modules.get(mod_name)
    if module is None:
        loader_spec = importlib.util.spec_from_file_location(mod_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ConfigError(f"{path}: cannot be imported as Python", key="layer.type")
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
        raise ConfigError(f"{path} has no class {cls_name!r}{hint}", key="layer.type")
    if not (isinstance(cls, type) and issubclass(cls, MessagePassing)):
        raise ConfigError(f"{path}:{cls_name} is not a subclass of torch_geometric's MessagePassing",
                          key="layer.type")
    return cls


def build(spec: str, args: Mapping[str, Any], in_dim: int, hidden_dim: int | None, out_dim: int | None,
          aggr: Any):
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
        raise ConfigError(f"{cls_name}.__init__ takes no argument {unknown[0]!r} "
                          f"(it takes: {', '.join(params) or 'nothing'})", key=f"layer.args.{unknown[0]}")
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in kwargs
               and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    if missing:
        raise ConfigError(f"{cls_name} needs {', '.join(repr(m) for m in missing)}; "
                          f"give {'it' if len(missing) == 1 else 'them'} under layer.args", key="layer.args")
    try:
        with user_code(f"{path}:{cls_name}", path):
            layer = cls(**kwargs)
    except UserCodeError:
        raise
    except Exception as e:
        raise UserCodeError(f"{path}:{cls_name}: the constructor failed: {type(e).__name__}: {e}",
                            user_traceback(e, path)) from None
    return layer


class UserKind:
    """A user's own ``MessagePassing`` class: its parameters are the user's module."""

    default_aggr = None
    fields = ("hidden_dim", "out_dim", "args")
    is_local = False  # nothing is known about what the class computes
    runs_user_code = True
    has_spark = False  # a Spark form would have to be written by hand

    def __init__(self, spec: str):
        self.name = spec
        self.path, self.cls_name = split_spec(spec)

    def describe(self) -> str:
        return "your own MessagePassing subclass (runs your code; args under layer.args)"

    def check(self, cfg) -> None:
        pass

    def build(self, cfg, in_dim, aggr, aggr_mode, edge_dim):
        return build(self.name, cfg.args, in_dim, cfg.hidden_dim, cfg.out_dim, aggr)

    def label(self, params) -> str:
        return f"{self.path}:{self.cls_name}"

    def aggr_text(self, params) -> str:
        return module_aggr_text(params)

    def out_width(self, params) -> int | None:
        return None

    def formulas(self, params) -> dict[str, str]:
        return module_formulas(params)

    def reference(self, params):
        return params

    def caller(self, layer) -> Caller:
        """The user's layer, called with what it prints sent to stderr (stdout is data), its
        exceptions and ``sys.exit()`` turned into :class:`UserCodeError`, and every output checked
        to have one row per node and the width of the first call."""
        what = self.label(layer)
        call = make_caller(layer, what)
        shape = OutputShape(what)

        def guarded(x, graph):
            try:
                with user_code(what, self.path):
                    out = call(x, graph)
            except UserCodeError:
                raise
            except Exception as e:
                raise UserCodeError(f"{what}: {type(e).__name__}: {e}", user_traceback(e, self.path)) from None
            shape(out, x)
            return out
        return guarded

    def fused(self, params, graph) -> Fused | str:
        return "users' own layers run on the reference path"
