"""CSV of 1M x 16 float32: gnnprop's CsvWriter vs pyarrow.csv.write_csv; exactness of both; alternating, medians."""
import io, statistics, time
import numpy as np, pyarrow as pa, pyarrow.csv as pcsv
from gnnprop.output.writers import CsvWriter, NdjsonWriter
rng = np.random.default_rng(0)
n, f = 1_000_000, 16
x = (rng.standard_normal((n, f)) * 10.0 ** rng.integers(-6, 6, (n, f))).astype(np.float32)
ids = list(range(n))
def gnnprop_csv():
    s = io.StringIO(); w = CsvWriter(s); w.begin(ids, f); w.round(1, x); return s.getvalue()
def gnnprop_ndjson():
    s = io.StringIO(); w = NdjsonWriter(s); w.begin(ids, f); w.round(1, x); return s.getvalue()
def arrow_csv():
    t = pa.table({"round": pa.array(np.ones(n, np.int32)), "node": pa.array(np.arange(n)),
                  **{f"x{k}": pa.array(x[:, k]) for k in range(f)}})
    b = io.BytesIO(); pcsv.write_csv(t, b, pcsv.WriteOptions(quoting_style="none")); return b.getvalue().decode()
runs = {"gnnprop csv": [], "gnnprop ndjson": [], "arrow csv": []}
for _ in range(3):
    for k, fn in (("gnnprop csv", gnnprop_csv), ("gnnprop ndjson", gnnprop_ndjson), ("arrow csv", arrow_csv)):
        t0 = time.perf_counter(); text = fn(); runs[k].append(time.perf_counter() - t0)
for k, v in runs.items():
    print(f"{k}: {statistics.median(v):.3f} s {[round(t, 3) for t in v]}")
# exactness: shortest round-trip digits as numpy's str(float32)
sample = x[:2000]
want = [[str(v) for v in row] for row in sample]
def cells(text):
    return [line.split(",")[2:] for line in text.splitlines()[1:2001]]
a, g = cells(arrow_csv()), cells(gnnprop_csv())
def same_value(c, w): return np.float32(float(c)) == np.float32(float(w))
print("arrow round-trips:", all(same_value(c, w) for r1, r2 in zip(a, want) for c, w in zip(r1, r2)))
print("arrow shortest (as long as numpy's):", sum(len(c) <= len(w.replace("e+", "e")) for r1, r2 in zip(a, want) for c, w in zip(r1, r2)), "of", 2000 * f)
print("gnnprop round-trips:", all(same_value(c, w) for r1, r2 in zip(g, want) for c, w in zip(r1, r2)))
print("examples arrow:", a[0][:4], "gnnprop:", g[0][:4], "numpy:", want[0][:4])
