#!/bin/bash
# Run in a folder holding rmat.csv: python -c "from gnnprop.bench import rmat_edges, write_edge_csv; write_edge_csv('rmat.csv', *rmat_edges(524288, 5000000, 0))"
# R-MAT 2^19 nodes / 5M edges, fixed/max, 10 rounds, npy: whole process per node order, alternating.
for i in $(seq ${1:-3}); do
  for o in none degree rcm; do
    /usr/bin/time -f "$o %e s %M KB" gnnprop run rmat.csv --layer fixed --aggr max --features random --rounds 10 \
        --last -f npy -o out_rmat_$o.npy --reorder $o 2>&1 | tail -1
  done
done
python -c "
import numpy as np; a=np.load('out_rmat_none.npy')
print('degree, rcm bit-equal to none:', np.array_equal(a, np.load('out_rmat_degree.npy')), np.array_equal(a, np.load('out_rmat_rcm.npy')))"
