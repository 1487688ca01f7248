"""``gnnprop explore``'s library half: one self-contained HTML page to move through the rounds and
click a node to see its derivation (:func:`build_report`). Imports neither typer nor Rich."""

from .report import BUDGET, MAX_NODES, ExploreSpec, Report, build_report

__all__ = ["BUDGET", "MAX_NODES", "ExploreSpec", "Report", "build_report"]
