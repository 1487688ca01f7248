"""Independent references: plain PyG layers written the way the seed documents write them.

They share no code with gnnprop (gnnprop's bench keeps its own copies as product
code; tests never use product code as their reference). One change from the
documents: the aggregation is passed to ``MessagePassing.__init__`` (the seed's
NN layer assigns ``self.aggr`` after ``__init__``, which PyG ignores;
``SeedNNVerbatim`` is that class exactly as printed, and it sums).
"""

import torch
from torch import nn
from torch_geometric.nn import MessagePassing

from .fixtures.seed_layers import NN_MessagePassingLayer as SeedNNVerbatim  # noqa: F401  (exactly as printed)


class SeedFixed(MessagePassing):
    """The tutorial's hand-written layer: message 0.5 x_i + 2 x_j, update x + 0.5 aggr_out."""

    def __init__(self, aggr="max"):
        super().__init__(aggr=aggr)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        return 0.5 * x_i + 2 * x_j

    def update(self, aggr_out, x):
        return x + 0.5 * aggr_out


class SeedNN(MessagePassing):
    """The tutorial's learned layer, with the aggregation given to PyG."""

    def __init__(self, input_dim, hidden_dim, output_dim, aggr="mean"):
        super().__init__(aggr=aggr)
        self.messageNN = nn.Linear(input_dim * 2, hidden_dim)
        self.updateNN = nn.Linear(input_dim + hidden_dim, output_dim)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        return self.messageNN(torch.cat((x_i, x_j), dim=-1))

    def update(self, aggr_out, x):
        return self.updateNN(torch.cat((x, aggr_out), dim=-1))


class SeedDynamic(MessagePassing):
    """The dynamic-rounds snippet's ``DynamicGNN`` (gnnprop's residual layer)."""

    def __init__(self, in_channels, out_channels, aggr="add"):
        super().__init__(aggr=aggr)
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, num_iterations):
        for _ in range(num_iterations):
            x = self.propagate(edge_index, x=x)
        return x

    def message(self, x_j):
        return self.lin(x_j)

    def update(self, aggr_out, x):
        return aggr_out + x
