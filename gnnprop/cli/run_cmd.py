"""``gnnprop run``: propagate round by round and show or write every round.

The command parses and hands over: the one run path, for every engine and output, is
:mod:`.runner`; several graphs are :mod:`.batch`'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ..errors import UsageError
from . import batch, helptext, spec
from . import options as o
from .app import app
from .env import get_env
from .outputs import Output, choose_output, command_inputs, weights_target



def formats_help() -> str:
    from ..output.formats import help_text

    return help_text()


@app.command(**helptext.spec("run"))
@o.config_command
def run(
    ctx: typer.Context,
    graphs: Annotated[Optional[list[str]], typer.Argument(
        metavar="GRAPH", show_default=False,
        help="Graph file(s) (.json, .csv, .txt/.edgelist/.tsv/.cites, .parquet), or - for stdin; several run one "
             "after another with the same config.")] = None,
    paths_from: Annotated[Optional[str], spec.opt("paths_from")] = None,
    weights: o.Weights = None,
    save_weights: o.SaveWeights = None,
    input_format: o.InputFormat = None,
    node_features: o.NodeFeatures = None,
    fmt: Annotated[Optional[str], spec.opt("format", help=f"{formats_help()} (default: from --output's extension, "
                                           "else table on a terminal, else json).")] = None,
    output: Annotated[Optional[str], spec.opt("output", help="Write to FILE atomically instead of stdout; OUT/ (one "
                                              "graph): a run folder of Parquet rounds, OUT/round=R/, with its "
                                              "manifest; DIR/ (several graphs, or -f json ...): one file per graph, "
                                              "named after it.")] = None,
    last: Annotated[bool, spec.opt("last")] = False,
    every: Annotated[int, spec.opt("every")] = 1,
    nodes: Annotated[Optional[str], spec.opt("nodes")] = None,
    precision: Annotated[Optional[int], spec.opt("precision", show_default=False, help="Table views: at most N "
                         "digits after the point, a cut number ending in … (default: every digit needed to read "
                         "the value back).")] = None,
    max_rows: Annotated[Optional[int], spec.opt("max_rows")] = None,
    max_cols: Annotated[Optional[int], spec.opt("max_cols")] = None,
    no_color: o.NoColor = False,
    allow_nonfinite: Annotated[bool, spec.opt("allow_nonfinite")] = False,
    resume: Annotated[Optional[str], spec.opt("resume", show_default=False)] = None,
    verbose: Annotated[bool, spec.opt("verbose")] = False,
    **flags: Any,
) -> None:
    """Propagate features over GRAPH round by round; print every round (round 0 = the input).

    -o OUT/ writes a run folder (Parquet rounds, OUT/round=R/, and a manifest that later commands
    read: inspect --from-run OUT, run --resume OUT). Several graphs (or --paths-from) run one after
    another in one process with the same config: -o DIR/ writes DIR/<name>.<format> for each; to
    stdout, ndjson records carry a "graph" field (the default in a pipe) and tables have a heading
    per graph. A graph that fails is reported and the others still run; the exit code is then that
    of the failure.
    """
    from .runner import RunRequest, early_talk, resume_run

    env = get_env(ctx.obj)
    picked = [n.strip() for n in nodes.split(",") if n.strip()] if nodes else None
    req = RunRequest(cfg=None, config_file=flags["config"], weights=weights, save_weights=save_weights,
                     input_format=input_format, node_features=node_features, last=last, every=every, nodes=picked,
                     precision=precision, max_rows=max_rows, max_cols=max_cols, no_color=no_color,
                     allow_nonfinite=allow_nonfinite, debug=bool(ctx.meta.get("debug")), verbose=verbose,
                     flags=flags)
    if resume is not None:
        if paths_from is not None or (graphs and len(graphs) > 1):
            raise UsageError("--resume continues one run: give at most its GRAPH (when the file has moved)")
        for value, flag in ((fmt, "--format"), (output, "--output"), (flags["config"], "--config"),
                            (weights, "--weights"), (node_features, "--node-features"), (input_format,
                                                                                          "--input-format")):
            if value is not None:
                raise UsageError(f"{flag}: --resume takes the run's own, from {resume.rstrip('/')}/_gnnprop.json; "
                                 "drop it")
        given = {**flags, "every": None if every == 1 else every, "last": last or None, "nodes": picked}
        resume_run(env, req, resume, graphs[0] if graphs else None, given)
        return
    paths = batch.graph_paths(graphs, paths_from)
    early_talk(env, req)  # a Spark run's status, on a terminal, from its first second
    try:
        _run_graphs(env, req, paths, flags, fmt, output, node_features, weights, save_weights)
    finally:
        if req.talk is not None:  # (a refusal before the run: the status goes before the error is said)
            req.talk.done()


def _run_graphs(env, req, paths: list[str], flags: dict, fmt, output, node_features, weights, save_weights) -> None:
    from .runner import run_graph

    req.cfg = o.build_config(**flags)  # a config error is said once, before any graph runs
    inputs = command_inputs(paths[0] if len(paths) == 1 else None, node_features=node_features,
                            config=flags["config"], weights=weights, layer_type=req.cfg.layer.type)
    out = choose_output(fmt, output, env, graphs=len(paths), inputs=inputs,
                        others=[weights_target(save_weights) if save_weights is not None else None])
    if len(paths) == 1 and out.layout != "files":
        run_graph(env, req, paths[0], out)
        return
    if save_weights is not None:
        raise UsageError("--save-weights: takes one graph (each graph's layer may differ)")
    jobs = batch.plan_jobs(paths, out.path if out.layout == "files" else None, out.format.suffix)

    def one(job: batch.Job, label: str | None) -> None:
        run_graph(env, req, job.graph, Output(out.format, "stdout" if job.output is None else "file", job.output),
                  label=label)

    if len(jobs) == 1:  # one graph into DIR/<name>.<ext>: its errors are the command's
        one(jobs[0], None)
        return
    failures = batch.run_jobs(env, jobs, lambda job: one(job, job.label))
    if out.layout == "files" and not failures:  # (a failure's line says the others were written)
        env.err.write(f"gnnprop: wrote {len(jobs):,} files to {out.path.rstrip('/')}/\n")
    if failures:
        raise typer.Exit(max(failures))
