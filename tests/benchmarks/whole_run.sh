#!/bin/bash
# Run in a folder holding edges.csv and nodes.csv (python gen.py writes them), with gnnprop installed.
# Whole process, alternating gnnprop and the plain PyG script, N times; /usr/bin/time: wall s and peak RSS KB.
N=${1:-3}
for i in $(seq $N); do
  /usr/bin/time -f "gnnprop %e s %M KB" gnnprop run edges.csv --node-features nodes.csv --layer fixed --aggr max \
      --rounds 10 --last -f npy -o out_gnnprop.npy 2>&1 | tail -1
  /usr/bin/time -f "pyg %e s %M KB" python pyg_plain.py edges.csv nodes.csv out_pyg.npy 2>&1 | tail -1
  /usr/bin/time -f "import torch %e s %M KB" python -c "import torch" 2>&1 | tail -1
  /usr/bin/time -f "import torch+pyg %e s %M KB" python -c "import torch, torch_geometric" 2>&1 | tail -1
  /usr/bin/time -f "import gnnprop cli %e s %M KB" python -c "import gnnprop.cli.app" 2>&1 | tail -1
done
python -c "
import numpy as np; a=np.load('out_gnnprop.npy'); b=np.load('out_pyg.npy')
print('outputs equal:', a.shape, b.shape, np.array_equal(a, b), 'max abs diff', float(np.abs(a-b).max()))"
