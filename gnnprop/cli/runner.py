"""The one run path of the command line: a graph, a config and an output in; rounds shown or written.

Whatever the engine (the local one or Spark's, :func:`gnnprop.engine.run.open_run`) and
whatever the output (stdout, a file, a run folder ``OUT/``), a run goes the same way:

1. the outputs are checked against each other and the inputs, before any work
   (and before Spark starts);
2. the run is opened (Spark: started and the graph read, said on stderr as it goes);
3. its rounds go to a stream (a writer or the table view; Spark's are collected) or
   to a run folder (:mod:`gnnprop.engine.runfolder`, the same layout for both engines);
4. it ends with the same words: warnings, what was written, the summary.

``--resume OUT`` (:func:`resume_run`) continues a stopped run folder from its last complete round.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import GnnpropError, UsageError
from . import faults
from .app import cli_message
from .env import Env
from .notes import warn_about_graph
from .outputs import Output, command_inputs, layer_file, plan_outputs, weights_target
from .sinks import Target, folder_target, open_output, output_target, write_bytes
from .views import Progress, RunState, TableView, folder_note_for, summary_fields


@dataclass
class RunRequest:
    """Everything ``gnnprop run`` was asked, but the graphs and the output."""

    cfg: Any                          # the checked Config
    config_file: str | None = None
    weights: str | None = None
    save_weights: str | None = None
    input_format: str | None = None
    node_features: str | None = None
    last: bool = False
    every: int = 1
    nodes: list[str] | None = None
    precision: int | None = None
    max_rows: int | None = None
    max_cols: int | None = None
    no_color: bool = False
    allow_nonfinite: bool = False
    debug: bool = False
    verbose: bool = False
    flags: dict = field(default_factory=dict)  # the config flags as given (for the loader's notes)
    talk: Any = None  # a Spark run's Talk, started before its config is checked (:func:`early_talk`)


def kept_rounds(max_rounds: int, last: bool, every: int) -> int:
    """How many rounds an output keeps at most (for a size check before the first round)."""
    return 1 if last else len(set(range(0, max_rounds + 1, every)) | {max_rounds})


class Talk:
    """What a run says on stderr as it goes (Spark's runs: the local engine's are quick): a line for the
    graph it read and for each round; on a terminal, from the first second, a transient status saying
    what it does while no line is due: checking, starting Spark, reading, the round under way (that
    one only where ``live``: not while the rounds' tables go to the same terminal). A pipe gets no
    status, only the lines."""

    def __init__(self, env: Env, no_color: bool = False, live: bool = True):
        self.env, self.no_color, self.live = env, no_color, live
        self.status = None
        self.max_rounds: int | None = None

    def _show(self, text: str) -> None:
        if not self.env.err_is_tty():
            return
        if self.status is None:
            self.status = self.env.err_console(self.no_color).status(text, spinner="dots")
            self.status.start()
        else:
            self.status.update(text)

    def done(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def __call__(self, kind: str, **d: Any) -> None:
        err = self.env.err
        if kind == "checking":
            self._show("gnnprop: spark: checking the config and the files ...")
            return
        if kind == "starting":
            faults.doing(f"starting Spark ({d['master']})")  # what an interruption then says
            self._show(f"gnnprop: spark: starting Spark ({d['master']}) ...")
            return
        if kind == "reading":
            faults.doing(f"reading {d['path']}")
            self._show(f"gnnprop: spark: Spark started in {d['start_seconds']:.1f} s; reading {d['path']} ...")
            return
        self.done()
        if kind == "read" and "master" in d:
            self.max_rounds = d.get("max_rounds")
            err.write(f"gnnprop: spark: {d['master']}: {d['nodes']:,} nodes, {d['edges']:,} edges, {d['width']} "
                      f"feature{'s' if d['width'] != 1 else ''} read in {d['seconds']:.1f} s (Spark started in "
                      f"{d['start_seconds']:.1f} s); {d['plan']}\n")
            self._next(0)
        elif kind == "lost":
            n = len(d["executors"])
            err.write(f"gnnprop: spark: round {d['round']}: {'an executor was' if n == 1 else f'{n} executors were'} "
                      f"lost ({', '.join(d['executors'])}); Spark ran {'its' if n == 1 else 'their'} tasks again "
                      "on the others\n")
        elif kind == "round":
            delta = f", max change {d['delta']:.3g}" if d.get("delta") is not None else ""
            err.write(f"gnnprop: spark: round {d['round']}: {d['seconds']:.2f} s, {d['rows']:,} rows{delta}\n")
            err.flush()
            self._next(d["round"])
        err.flush()

    def _next(self, done: int) -> None:
        """The status while round ``done + 1`` is under way (its line comes when it is done)."""
        if self.live and self.max_rounds is not None and done < self.max_rounds:
            self._show(f"gnnprop: spark: round {done + 1} of {self.max_rounds} ...")


def asks_for_spark(flags: dict) -> bool:
    """Whether the command line (``--engine``) or else its config file (its ``engine`` key, read as the loader
    reads it) asks for the Spark engine; a file that cannot be read is the loader's to report."""
    if flags.get("engine") is not None:
        return flags["engine"] == "spark"
    if not flags.get("config"):
        return False
    from ..config.yamlfile import read_yaml_file

    try:
        data = read_yaml_file(flags["config"])
    except GnnpropError:
        return False
    return isinstance(data, dict) and data.get("engine") == "spark"


def early_talk(env: Env, req: RunRequest) -> None:
    """A Spark run's status from its first second: checking its config (the layer kinds' checks import torch,
    2 s) is said on a terminal before it starts (:class:`Talk`); :func:`run_graph` goes on with it."""
    if asks_for_spark(req.flags) and env.err_is_tty():
        req.talk = Talk(env, req.no_color)
        req.talk("checking")


def run_graph(env: Env, req: RunRequest, graph: str, out: Output, label: str | None = None) -> None:
    """One graph's run into ``out`` (``label`` names the graph among several on one stdout)."""
    from ..engine.run import open_run

    cfg = req.cfg
    inputs = command_inputs(graph, node_features=req.node_features, config=req.config_file, weights=req.weights,
                            layer_type=cfg.layer.type)
    weights_t = None if req.save_weights is None else weights_target(req.save_weights)
    folder = _folder_writer(out) if out.layout == "folder" else None
    out_t = None if out.layout == "folder" else output_target("-" if out.path is None else out.path)
    plan_outputs(inputs, [folder.target if folder else out_t, weights_t])  # an input named as an output first
    state = RunState(out_t, weights_t, streamed=out.format.streams and not out.format.view, folder=folder,
                     shown=(out.path or "").rstrip("/"))
    # the rounds' status line only where the rounds do not go to the same terminal as tables or text
    talk = req.talk or Talk(env, req.no_color)
    talk.live = out.path not in (None, "-") or not env.out_is_tty()
    try:
        faults.doing(f"reading {graph}")
        with open_run(graph, cfg, input_format=req.input_format, node_features=req.node_features,
                      weights=req.weights, allow_nonfinite=req.allow_nonfinite, on_event=talk,
                      loaded=lambda g: warn_about_graph(env.err, g, cfg, req.flags), debug=req.debug,
                      verbose=req.verbose) as run:
            if run.num_edges == 0:
                env.err.write(f"gnnprop: warning: {run.source} has no edges: nothing propagates "
                              "(every node aggregates to 0)\n")
            picked = run.pick(req.nodes) if req.nodes else None
            if folder is not None:
                with faults.writing(f"{folder.shown}/"):  # a failed write names the folder, not stdout
                    meta = _write_folder(env, req, run, graph, picked, folder, state)
            else:
                meta = _write_stream(env, req, run, out, out_t, picked, state, label)
            nonfinite = run.book.nonfinite_round
            weights_data = None
            if weights_t is not None:
                from ..weights import encode_weights

                weights_data = encode_weights(run.params)
    except KeyboardInterrupt as e:
        e.note = state.interrupted()
        state.error_record(_interrupted_text(e))
        raise
    except GnnpropError as e:
        state.error_record(cli_message(e))
        raise
    finally:
        talk.done()
    if weights_t is not None:  # only once the rounds are committed
        write_bytes(weights_t, weights_data)
    _closing(env, req, out, meta, nonfinite, state, label)


def _interrupted_text(e: BaseException) -> str:
    from .. import _signals

    return _signals.message(e)


@dataclass
class _Folder:
    writer: Any                 # RunFolderWriter (its file system chosen when the run is open)
    target: Target | None       # a local folder, checked against the inputs (None: hdfs:// and the like)
    path: str                   # where it is written (a local symlink resolved)
    shown: str

    # RunState reads these from the writer
    @property
    def manifest(self) -> dict:
        return self.writer.manifest if self.writer is not None else {}

    @property
    def previous(self) -> Any:
        return self.writer.previous if self.writer is not None else None


def _folder_writer(out: Output) -> _Folder:
    """A run folder checked before any work: locally, that it holds no input and nothing but an
    earlier run (:func:`~.sinks.folder_target`) and is not a stopped run (continue that with --resume)."""
    from ..engine.runfolder import LocalFS, RunFolderWriter

    path = out.path or ""
    shown = path.rstrip("/") or path
    if "://" in path:
        return _Folder(None, None, shown, shown)
    target = folder_target(path)
    writer = RunFolderWriter(LocalFS(), target.real, shown)
    writer.check()
    return _Folder(writer, target, target.real, shown)


def _record(run) -> dict[str, Any]:
    b = run.book
    return {"rounds_run": b.rounds_run, "deltas": list(b.deltas), "nonfinite_round": b.nonfinite_round,
            "stop_reason": b.stop_reason, "converged": b.converged}


def _write_folder(env: Env, req: RunRequest, run, graph: str, picked, folder: _Folder, state: RunState,
                  start: Any = None, manifest: dict | None = None) -> dict:
    """The kept rounds as a run folder (a new one, or ``manifest``'s, resumed from ``start``)."""
    from ..engine.run import rounds_to_write
    from ..engine.runfolder import RunFolderWriter, fingerprint, manifest_for
    from ..weights import encode_weights

    writer = RunFolderWriter(run.file_system(folder.path), folder.path, folder.shown)
    folder.writer = writer
    if manifest is None:
        writer.begin(manifest_for(
            engine=run.engine, config=req.cfg.to_dict(), dtype=req.cfg.dtype,
            graph={**fingerprint(graph, getattr(getattr(run, "graph", None), "digest", None)),
                   "input_format": req.input_format},
            node_features=fingerprint(req.node_features), layer_file=fingerprint(layer_file(req.cfg.layer.type)),
            num_nodes=run.num_nodes, num_edges=run.num_edges, in_width=run.in_width, width=run.width,
            every=req.every, last=req.last, nodes=None if picked is None else list(picked.ids)),
            encode_weights(run.params))
    else:
        writer.resume(manifest)
    first = None if start is None else _start_round(start)
    try:
        results = (r for r in _watched(run.rounds(start), state) if first is None or r.round > first)
        for result in rounds_to_write(results, req.last, req.every):
            faults.doing(f"writing round {result.round} to {folder.shown}/")
            writer.round(result.round, lambda p: run.write_part(result, p, picked), _record(run))
        meta = run.meta()
        writer.finish({**_record(run), "meta": meta})
    except BaseException as e:  # a stop (Ctrl-C, SIGTERM; on Spark, the job it cancelled) keeps the rounds done
        lost = _executor_lost(run, e)  # so does an executor lost with its checkpoints: the data is sound
        writer.abort(keep=isinstance(e, KeyboardInterrupt) or run.stopped or lost)
        if lost:
            with contextlib.suppress(AttributeError, TypeError):
                e.gnnprop_note = folder_note_for(writer, folder.shown)  # type: ignore[attr-defined]
        raise
    return meta


def _executor_lost(run, e: BaseException) -> bool:
    if run.engine != "spark":
        return False
    from ..engine.spark.faults import executor_lost

    return executor_lost(e)


def _start_round(start: Any) -> int:
    return start[0] if isinstance(start, tuple) else start.round


def _write_stream(env: Env, req: RunRequest, run, out: Output, out_t: Target, picked, state: RunState,
                  label: str | None) -> dict:
    """The kept rounds to stdout or a file: a writer, or the table view (Spark's rounds collected)."""
    from ..engine.run import rounds_to_write

    fmt = out.format
    ids = run.node_ids() if picked is None else picked.ids
    run.will_collect(kept_rounds(run.plan.max_rounds, req.last, req.every), picked)
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_output(out_t, fmt.binary, stream=state.streamed))
        progress = None if run.engine == "spark" else \
            stack.enter_context(Progress(env, run.plan.max_rounds, req.no_color))
        if fmt.view:
            from rich.text import Text

            console = env.console(stream, tty=env.out_is_tty() and out.path is None and fmt.name == "table",
                                  no_color=req.no_color)
            view = TableView(env, console, ids, picked, fmt.name == "table", req.precision, req.max_rows,
                             req.max_cols)
            state.view = view
            emit = view.emit
            if label is not None and out.path is None:
                console.print(Text(f"graph {label}", style="bold underline"), soft_wrap=True)
        else:
            writer = fmt.make_writer(stream)
            writer.graph = label if out.path is None else None
            writer.begin(ids, run.width)
            emit = writer.round
        if out_t.kind != "file" and state.streamed:
            emit = state.whole_rounds(emit)
        faults.doing("computing round 0")
        for result in rounds_to_write(_watched(run.rounds(), state, progress), req.last, req.every):
            emit(result.round, run.array(result, picked))
        faults.doing(f"writing {out_t.name}")
        meta = run.meta()
        if fmt.view:
            view.summary(summary_fields(meta, state.seconds()))
        else:
            writer.end(meta)
    return meta


def _watched(results, state: RunState, progress: Progress | None = None):
    """``results``, saying what is being computed (for an interruption's line) and advancing the progress bar."""
    for result in results:
        state.done = result.round
        faults.doing(f"computing round {result.round + 1}")
        if progress is not None:
            progress.advance(result.round)
        yield result


def _closing(env: Env, req: RunRequest, out: Output, meta: dict, nonfinite: int | None, state: RunState,
             label: str | None) -> None:
    """After a run: a warning for non-finite values, what was written, the summary on a terminal."""
    from .render import wrap_fields

    r = nonfinite
    if r is not None:
        shown = "null in JSON" if out.format.name in ("json", "ndjson") else "inf/nan"
        env.err.write(f"gnnprop: warning: values became inf or nan from round {r} ({shown} in the output)\n")
    view = state.view
    if view is not None:
        view.note_hidden()
    if label is not None:
        return
    if out.path is not None and out.path != "-" and (state.out is None or state.out.kind == "file"):
        what = "a run folder" if out.layout == "folder" else out.format.name
        env.err.write(f"gnnprop: wrote {out.path}{'/' if out.layout == 'folder' and not out.path.endswith('/') else ''}"
                      f" ({what}, {meta['rounds_run']:,} round{'s' if meta['rounds_run'] != 1 else ''} run)\n")
    if view is None and env.err_is_tty():
        from rich.text import Text

        err = env.err_console(req.no_color)
        for line in wrap_fields(summary_fields(meta, state.seconds()), env.term_width()):
            err.print(Text(line, style="dim"), soft_wrap=True)


def resume_run(env: Env, req: RunRequest, folder: str, graph: str | None, given: dict[str, Any]) -> None:
    """``gnnprop run --resume OUT``: continue the stopped run in ``folder`` from its last complete round,
    with the config, graph and output its manifest records (``given``: the flags typed, which must agree)."""
    from ..engine.run import open_run
    from ..engine.runfolder import LocalFS, PARAMS, check_fingerprint, is_finished, join, read_manifest
    from .recorded import config_of, graph_of, refuse_contradictions

    fs = LocalFS()
    shown = folder.rstrip("/") or folder
    path = os.path.realpath(shown)
    manifest = read_manifest(fs, path, shown, key="resume")
    cfg = config_of(manifest, shown)
    refuse_contradictions(manifest, cfg, given, shown)
    if is_finished(fs, path):
        env.err.write(f"gnnprop: {shown}/ holds a finished run ({manifest.get('stop_reason')}); nothing to "
                      "resume\n")
        return
    graph = graph_of(manifest, graph, shown)
    written = manifest["written"]
    if written.get("nodes"):
        raise UsageError(f"{shown}/ kept only some nodes (--nodes), so no round holds every node to continue "
                         "from; run it again", key="resume")
    req.cfg, req.every, req.last = cfg, int(written.get("every", 1)), bool(written.get("last", False))
    req.weights = join(path, PARAMS) if fs.exists(join(path, PARAMS)) else None
    req.node_features = (manifest.get("node_features") or {}).get("path")
    out = Output(_parquet(), "folder", shown)
    weights_t = None if req.save_weights is None else weights_target(req.save_weights)
    plan_outputs(command_inputs(graph, node_features=req.node_features, config=None, weights=None,
                                layer_type=cfg.layer.type), [folder_target(shown), weights_t])
    state_folder = _Folder(None, None, path, shown)
    state = RunState(None, weights_t, streamed=False, folder=state_folder, shown=shown)
    # the rounds' status line only where the rounds do not go to the same terminal as tables or text
    talk = Talk(env, req.no_color, live=out.path not in (None, "-") or not env.out_is_tty())
    try:
        faults.doing(f"reading {graph}")
        with open_run(graph, cfg, input_format=manifest["graph"].get("input_format"),
                      node_features=req.node_features, weights=req.weights, allow_nonfinite=req.allow_nonfinite,
                      on_event=talk, debug=req.debug, verbose=req.verbose) as run:
            check_fingerprint(manifest.get("graph"), graph, "graph", getattr(getattr(run, "graph", None),
                                                                              "digest", None))
            start = run.read_start(path, manifest) if written["rounds"] else None
            if start is not None:
                env.err.write(f"gnnprop: resuming {shown}/ from round {_start_round(start)}\n")
            with faults.writing(f"{shown}/"):
                meta = _write_folder(env, req, run, graph, None, state_folder, state, start=start,
                                     manifest=manifest)
            nonfinite = run.book.nonfinite_round
            weights_data = None
            if weights_t is not None:
                from ..weights import encode_weights

                weights_data = encode_weights(run.params)
    except KeyboardInterrupt as e:
        e.note = state.interrupted()
        raise
    finally:
        talk.done()
    if weights_t is not None:
        write_bytes(weights_t, weights_data)
    _closing(env, req, out, meta, nonfinite, state, None)


def _parquet():
    from ..output.formats import FORMATS

    return FORMATS["parquet"]
