"""The engine: a graph and a config in, rounds out.

:mod:`.session` prepares a run (:func:`prepare`), :mod:`.loop` iterates its
rounds through a kernel, :mod:`.rounds` decides how many, and :mod:`.memory`
refuses runs that would not fit.
"""

from .loop import FusedKernel, Kernel, Propagation, ReferenceKernel, RoundResult
from .rounds import RoundPlan, plan_rounds
from .session import DTYPES, Session, prepare

__all__ = ["DTYPES", "FusedKernel", "Kernel", "Propagation", "ReferenceKernel", "RoundPlan", "RoundResult", "Session",
           "plan_rounds", "prepare"]
