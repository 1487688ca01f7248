"""What a run folder's manifest says, for the commands that read one (``run --resume``,
``inspect --from-run``): the run's config, its graph, and a refusal of flags that contradict them.

A later command is never told again what a run was: the config, the graph and the layer's
parameters come from the folder. Flags may repeat what the run used; a flag that says
otherwise is refused in one line naming both values, rather than explaining numbers the
run never computed.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError, InputError, UsageError


def config_of(manifest: dict, shown: str):
    """The run's config, checked as any config is."""
    from ..configure import from_mapping

    try:
        return from_mapping(manifest["config"])
    except ConfigError as e:
        raise InputError(f"{shown}/_gnnprop.json: config: {e}") from None


def graph_of(manifest: dict, given: str | None, shown: str) -> str:
    """The graph to read: ``given`` (checked against the sha256 the run recorded), else the path the
    run recorded (as given then, else its absolute path)."""
    from ..engine.runfolder import check_fingerprint

    rec = manifest.get("graph") or {}
    if given is not None:
        if given != "-":
            check_fingerprint(rec, given, "graph")
        return given
    path = rec.get("path")
    if not path:
        raise UsageError(f"{shown}/ does not say which graph its run read; give it as GRAPH", key="graph")
    if path == "-":
        raise UsageError(f"{shown}/: the run read its graph from standard input; give that graph again as GRAPH "
                         "(- for stdin)", key="graph")
    for candidate in (path, rec.get("abspath")):
        if candidate and ("://" in candidate or os.path.exists(candidate)):
            check_fingerprint(rec, candidate, "graph")
            return candidate
    raise UsageError(f"{shown}/: the run's graph {path} is not there any more; give its new path as GRAPH "
                     "(it is checked against the sha256 the run recorded)", key="graph")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "(not set)" if value is None else str(value)


def refuse_contradictions(manifest: dict, cfg, given: dict[str, Any], shown: str) -> None:
    """Refuse a flag whose value is not what the run in ``shown`` used.

    ``given`` maps the config flags' keys (:data:`gnnprop.config.flags.FLAGS`) and the output keys
    ``every``, ``last`` and ``nodes`` to what was typed (``None``: not given).
    """
    from ..config.flags import FLAGS
    from ..configure import apply_overrides

    recorded = cfg.to_dict()
    for f in FLAGS:
        value = given.get(f.key)
        if value is None or (f.type is list and not value):
            continue
        try:
            with_flag = apply_overrides(cfg, {f.path: _typed(f, value)}).to_dict()
        except ConfigError:
            with_flag = None
        if with_flag != recorded:
            raise UsageError(f"{_show(value)} is not what the run in {shown}/ used ({f.path}: "
                             f"{_show(_at(recorded, f.path))}); drop the flag, or start a new run", key=f.path,
                             override=True)
    written = manifest.get("written") or {}
    for key, typed in (("every", given.get("every")), ("last", given.get("last")), ("nodes", given.get("nodes"))):
        if typed is None or (key == "every" and typed == 1 and written.get("every", 1) == 1) or \
                (key == "last" and typed is False):
            continue
        if key == "nodes":
            typed = [str(t) for t in typed]
            run = [str(n) for n in written.get("nodes") or []] or None
        else:
            run = written.get(key)
        if typed != run:
            raise UsageError(f"{_show(typed)} is not what the run in {shown}/ used ({_show(run)}); drop the flag",
                             key=key)


def _typed(flag, value: Any) -> Any:
    if flag.key == "aggr" and isinstance(value, str) and "," in value:
        return [a.strip() for a in value.split(",") if a.strip()]
    if flag.key == "args" and isinstance(value, list):
        from .options import parse_args

        return parse_args(value)
    return value


def _at(data: dict, path: str) -> Any:
    cur: Any = data
    for part in path.replace("graph_cfg", "graph").split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def open_recorded_run(folder: str, graph: str | None, flags: dict[str, Any], given: dict[str, Any]):
    """What ``inspect --from-run OUT`` runs with: the finished run's config (``flags`` may only repeat
    it), its graph (``graph`` when it has moved) and its files. ``given`` holds the input flags typed
    (weights, node features, input format), which the run's own replace: they are refused."""
    from ..engine.runfolder import PARAMS, LocalFS, is_finished, join, read_manifest

    fs = LocalFS()
    shown = folder.rstrip("/") or folder
    path = os.path.realpath(shown)
    manifest = read_manifest(fs, path, shown)
    if not is_finished(fs, path):
        raise UsageError(f"{shown}/ holds a run that was stopped before it finished (no _SUCCESS), so its rounds "
                         f"are not the run's answer; finish it with gnnprop run --resume {shown}", key="from_run")
    params = join(path, PARAMS)
    _same_inputs(manifest, given, params if fs.exists(params) else None, shown)
    if flags.get("config") is not None:
        raise UsageError(f"--from-run reads the run's config from {shown}/_gnnprop.json; drop it", key="config")
    cfg = config_of(manifest, shown)
    refuse_contradictions(manifest, cfg, {**flags, "engine": None}, shown)
    if cfg.engine == "spark":  # the derivation is replayed here, on the local engine's reference form
        cfg = cfg.copy()
        cfg.engine = "auto"
    graph = graph_of(manifest, graph, shown)
    files = {"folder": path, "shown": shown, "weights": params if fs.exists(params) else None,
             "node_features": (manifest.get("node_features") or {}).get("path")}
    return cfg, graph, files


def _same_inputs(manifest: dict, given: dict[str, Any], params: str | None, shown: str) -> None:
    """Refuse an input flag (``--weights``, ``--node-features``, ``--input-format``) that is not what the
    run in ``shown`` read: the run's own come from its folder, so repeating them is all a flag may do."""
    from ..engine.runfolder import check_fingerprint, fingerprint

    if given.get("node_features") is not None:
        recorded = manifest.get("node_features")
        if not recorded:
            raise UsageError(f"the run in {shown}/ read no node file", key="node_features")
        check_fingerprint(recorded, given["node_features"], "node file")
    if given.get("weights") is not None:
        mine = fingerprint(params) if params else None
        theirs = fingerprint(given["weights"])
        if not mine or not theirs or mine.get("sha256") != theirs.get("sha256"):
            raise UsageError(f"{given['weights']} is not the run's parameters; the run's own are in "
                             f"{shown}/_params.safetensors: drop the flag", key="weights")
    fmt = given.get("input_format")
    recorded_fmt = (manifest.get("graph") or {}).get("input_format")
    if fmt is not None and recorded_fmt is not None and fmt != recorded_fmt:
        raise UsageError(f"{fmt} is not what the run in {shown}/ used ({recorded_fmt})", key="input_format")
