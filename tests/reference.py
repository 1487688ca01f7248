"""Independent references: plain PyG layers written the way the seed documents write them.

Only one change from the documents: the aggregation is passed to
``MessagePassing.__init__`` (the seed's NN layer assigns ``self.aggr`` after
``__init__``, which PyG ignores; ``SeedNNVerbatim`` keeps that, and sums).
"""

import torch
import torch.nn as nn
from torch_geometric.nn import MessagePassing

from .fixtures.seed_layers import NN_MessagePassingLayer as SeedNNVerbatim  # noqa: F401  (exactly as printed)


class SeedFixed(MessagePassing):
    def __init__(self, aggr="max"):
        super(SeedFixed, self).__init__(aggr)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        return 0.5 * x_i + 2 * x_j

    def update(self, aggr_out, x):
        return x + 0.5 * aggr_out


class SeedNN(MessagePassing):
    def __init__(self, input_dim, hidden_dim, output_dim, aggr="mean"):
        super(SeedNN, self).__init__(aggr=aggr)
        self.messageNN = nn.Linear(input_dim * 2, hidden_dim)
        self.updateNN = nn.Linear(input_dim + hidden_dim, output_dim)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x, messageNN=self.messageNN, updateNN=self.updateNN)

    def message(self, x_i, x_j, messageNN):
        return messageNN(torch.cat((x_i, x_j), dim=-1))

    def update(self, aggr_out, x, updateNN):
        return updateNN(torch.cat((x, aggr_out), dim=-1))


class SeedDynamic(MessagePassing):
    """Seed 003's DynamicGNN, with the aggregation as a parameter."""

    def __init__(self, in_channels, out_channels, aggr="add"):
        super(SeedDynamic, self).__init__(aggr=aggr)
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, num_iterations):
        for _ in range(num_iterations):
            x = self.propagate(edge_index, x=x)
        return x

    def message(self, x_j):
        return self.lin(x_j)

    def update(self, aggr_out, x):
        new_x = aggr_out + x
        return new_x
