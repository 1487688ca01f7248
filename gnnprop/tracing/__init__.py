"""``inspect``'s explanation (named ``tracing``, not ``explain``, so that the package never hides the
Python API's ``gnnprop.explain`` function): recorded from the layer (:mod:`.recorder`), put in words
(:mod:`.text`) and as the JSON record (:mod:`.record`). Shared by ``inspect``, ``plot``
and the Python API."""

from .record import to_dict
from .recorder import Explanation, Message, Step, explain, plan_record
from .text import aggregation_detail, aggregation_lines, message_text, update_text, vector_text

__all__ = ["Explanation", "Message", "Step", "aggregation_detail", "aggregation_lines", "explain", "message_text",
           "plan_record", "to_dict", "update_text", "vector_text"]
