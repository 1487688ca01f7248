"""The floor: 10M gathers of 64-byte rows (16 float32), sequential node order vs random order, from tables
of 1M rows (64 MB) and 2^19 rows (32 MB); index_select, medians of 5, alternating."""
import statistics, time, torch
torch.manual_seed(0)
for rows in (1_000_000, 524_288):
    x = torch.randn(rows, 16)
    seq = (torch.arange(10_000_000) * rows // 10_000_000).long()  # node order: each row ~10 times, in order
    rnd = torch.randint(0, rows, (10_000_000,))
    runs = {"node order": [], "random order": []}
    for _ in range(5):
        for k, idx in (("node order", seq), ("random order", rnd)):
            t0 = time.perf_counter(); y = x.index_select(0, idx); runs[k].append(time.perf_counter() - t0); del y
    a, b = statistics.median(runs["node order"]), statistics.median(runs["random order"])
    print(f"{rows} rows x 64 B: node order {a:.3f} s, random order {b:.3f} s, random/node {b / a:.2f}x")
