"""The kinds of picture and layouts ``gnnprop plot`` offers (plain data: no numpy, no matplotlib)."""

KINDS = {
    "graph": "the graph, nodes coloured by a feature after a round",
    "evolution": "a feature of every node across the rounds (lines, or a heatmap for many nodes)",
    "derivation": "one node's round: in-neighbours, their messages, the aggregation and the update",
}
LAYOUTS = ("spring", "circle")
#: Messages drawn in a derivation (the rest are counted).
DERIVATION_MESSAGES = 12
