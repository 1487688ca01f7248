"""The graph, read by Spark: CSV edge files, whitespace edge lists and Parquet tables.

The same rules as gnnprop's own readers (:mod:`gnnprop.io`):

- CSV edge file: a header with ``src,dst`` or ``source,target`` (any order, case
  and spaces ignored), an optional ``weight``; other columns (edge attributes)
  are not used by the layers the Spark engine runs. ``#`` lines are comments.
- Edge list: ``src dst [weight [attributes...]]`` per line, ``#`` and ``%``
  comments, the same number of fields on every line.
- Parquet edges: columns ``src, dst[, weight]`` (or ``source, target``), ids
  integers or strings.
- Node table (``node_features``): CSV ``id,<features>`` with a header, Parquet
  ``id, x0..`` (any numeric columns after ``id``) or ``id`` and an array column
  ``x``, else whitespace ``id f1 f2 ...`` lines. It fixes the node set.

Ids: a canonical decimal integer token is an integer id, anything else a
string (``007`` and ``7`` are different nodes); when every id is an integer the
id column is a long, else a string. Nothing is collected to the driver but
counts and, for an error, one offending row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ...errors import InputError, UsageError, setting
from ...io.csvfmt import _columns

DataFrame = Any

INT_PATTERN = r"^-?(0|[1-9][0-9]*)$"
EDGELIST_EXTENSIONS = (".txt", ".edgelist", ".tsv", ".cites", ".el", ".edges")
FORMATS = ("csv", "edgelist", "parquet")


@dataclass
class SparkGraph:
    nodes: DataFrame        # id, x0..x{F-1} (double), plus the order keys _o1, _o2, _o3
    edges: DataFrame        # src, dst[, w] (double)
    width: int
    num_nodes: int
    num_edges: int
    weighted: bool
    source: str
    integer_ids: bool
    loops: DataFrame | None = None  # id, w: each node's last self loop's weight in file order (weighted files)


def detect_format(path: str, input_format: str | None) -> str:
    """The format of ``path`` for Spark (``input_format``, else the extension; a folder is Parquet)."""
    if path == "-":
        raise UsageError("the spark engine reads files Spark can reach, not stdin (-)", key="engine")
    if input_format is not None:
        name = {"edges": "edgelist", "txt": "edgelist", "tsv": "edgelist", "el": "edgelist",
                "pq": "parquet"}.get(input_format.lower(), input_format.lower())
        if name not in FORMATS:
            raise UsageError(f"the spark engine reads {', '.join(FORMATS)}, not {input_format!r}",
                             key="input_format")
        return name
    ext = os.path.splitext(path.rstrip("/"))[1].lower()
    if ext == ".csv":
        return "csv"
    if ext in (".parquet", ".pq") or (ext == "" and os.path.isdir(path)):
        return "parquet"
    if ext in EDGELIST_EXTENSIONS:
        return "edgelist"
    if ext == ".json":
        raise UsageError(f"{path}: the spark engine does not read JSON; convert it to a CSV edge file and a "
                         f"node table first (gnnprop convert {path} edges.csv --nodes-out nodes.csv)")
    raise UsageError(f"{path}: cannot tell the input format from its name; pass "
                     f"{setting('input_format', 'csv | edgelist | parquet')}")


def _F():
    from pyspark.sql import functions as F

    return F


# --- raw tables (every id a string, numbers still text) -------------------------------

def _csv(spark, path: str, width: int) -> DataFrame:
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(f"c{k}", StringType()) for k in range(width)]
                        + [StructField("_corrupt", StringType())])
    return (spark.read.schema(schema).option("header", True).option("comment", "#")
            .option("ignoreLeadingWhiteSpace", True).option("ignoreTrailingWhiteSpace", True)
            .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", "_corrupt").csv(path))


def _local_file(path: str) -> str | None:
    """The local file ``path`` names (plain or ``file:``), or None (a cluster path, a folder, a glob)."""
    local = path[len("file:"):] if path.startswith("file:") else path
    if "://" in path and not path.startswith("file:"):
        return None
    return local if os.path.isfile(local) else None


def _csv_header(spark, path: str) -> list[str]:
    local = _local_file(path)
    if local is not None:  # no Spark job for one line
        import csv

        with open(local, newline="", encoding="utf-8", errors="replace") as fh:
            for cells in csv.reader(fh):
                if cells and any(c.strip() for c in cells) and not cells[0].lstrip().startswith("#"):
                    return [c.strip() for c in cells]
        raise InputError(f"{path}: the file is empty")
    try:
        head = spark.read.option("comment", "#").csv(path).first()
    except Exception as e:  # a path Spark cannot read: one line
        raise InputError(f"{path}: cannot read: {_first_line(e)}") from None
    if head is None:
        raise InputError(f"{path}: the file is empty")
    return [(h or "").strip() for h in head]


def _whitespace(spark, path: str) -> tuple[DataFrame, int]:
    """``(rows with a parts array, the width of the first data line)``; comments and blanks dropped."""
    F = _F()
    try:
        lines = spark.read.text(path)
    except Exception as e:
        raise InputError(f"{path}: cannot read: {_first_line(e)}") from None
    t = F.trim(F.col("value"))
    rows = lines.where((t != "") & ~t.startswith("#") & ~t.startswith("%")) \
        .select(F.split(t, r"\s+").alias("parts"))
    first = rows.first()
    return rows, (len(first["parts"]) if first is not None else 0)


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def read_edges(spark, path: str, fmt: str) -> tuple[DataFrame, bool]:
    """``(edges src, dst[, w], _bad, weighted)``: ids as strings (Parquet: as stored), ``w`` double,
    ``_bad`` the text of what is wrong with a row that breaks the format's rules (else null)."""
    F = _F()
    if fmt == "csv":
        names = _csv_header(spark, path)
        s, t, w, _ = _columns(names, f"{path}: the header")
        raw = _csv(spark, path, len(names))
        bad = F.when(F.col("_corrupt").isNotNull(),
                     F.concat(F.lit(f"expected {len(names)} fields ({','.join(names)}), got the row "),
                              F.col("_corrupt")))
        edges = raw.select(F.col(f"c{s}").alias("src"), F.col(f"c{t}").alias("dst"),
                           *([F.col(f"c{w}").alias("w")] if w is not None else []), bad.alias("_bad"))
        weighted = w is not None
    elif fmt == "edgelist":
        rows, width = _whitespace(spark, path)
        if width == 1:
            raise InputError(f"{path}: the first data line has 1 field, expected 2 or more "
                             "(source target [weight [edge attributes...]])")
        p = F.col("parts")
        bad = F.when(F.size(p) != width, F.concat(F.lit(f"expected {width} fields as on the first data line, "
                                                        "got the line "), F.array_join(p, " ")))
        weighted = width > 2
        edges = rows.select(p[0].alias("src"), p[1].alias("dst"), *([p[2].alias("w")] if weighted else []),
                            bad.alias("_bad"))
    else:
        try:
            raw = spark.read.parquet(path)
        except Exception as e:
            raise InputError(f"{path}: cannot read as Parquet: {_first_line(e)}") from None
        names = raw.columns
        s, t, w, _ = _columns(names, path, table=True)
        for j in (s, t):
            kind = raw.schema[names[j]].dataType.typeName()
            if kind not in ("string", "long", "integer", "short", "byte"):
                raise InputError(f"{path}: column {names[j]!r} holds {kind}; node ids are integers or strings")
        weighted = w is not None
        edges = raw.select(F.col(names[s]).alias("src"), F.col(names[t]).alias("dst"),
                           *([F.col(names[w]).cast("string").alias("w")] if weighted else []),
                           F.lit(None).cast("string").alias("_bad"))
    if weighted:
        num = F.col("w").try_cast("double")
        problem = F.coalesce(F.col("_bad"), F.when(
            num.isNull() | F.isnan(num) | (F.abs(num) == float("inf")),
            F.concat(F.lit("weight: expected a finite number, got "), F.coalesce(F.col("w"), F.lit("nothing")))))
        edges = edges.select("src", "dst", num.alias("w"), problem.alias("_bad"))
    empty = F.when(F.col("src").isNull() | (F.col("src").cast("string") == ""), F.lit("empty source id")) \
        .when(F.col("dst").isNull() | (F.col("dst").cast("string") == ""), F.lit("empty target id"))
    edges = edges.withColumn("_bad", F.coalesce(F.col("_bad"), empty))
    return edges, weighted


def read_nodes(spark, path: str) -> tuple[DataFrame, list[str]]:
    """``(nodes id, x0.. as double with _bad and _pos, feature names)`` of a node table."""
    F = _F()
    ext = os.path.splitext(path.rstrip("/"))[1].lower()
    if ext == ".csv":
        names = _csv_header(spark, path)
        raw = _csv(spark, path, len(names))
        cols = [F.col(f"c{k}") for k in range(1, len(names))]
        bad = F.when(F.col("_corrupt").isNotNull(),
                     F.concat(F.lit(f"expected {len(names)} fields ({','.join(names)}), got the row "),
                              F.col("_corrupt")))
        ids, feature_names = F.col("c0"), names[1:]
    elif ext in (".parquet", ".pq") or (ext == "" and os.path.isdir(path)):
        try:
            raw = spark.read.parquet(path)
        except Exception as e:
            raise InputError(f"{path}: cannot read as Parquet: {_first_line(e)}") from None
        if "id" not in raw.columns:
            raise InputError(f"{path}: a node table needs an id column, got {', '.join(raw.columns)}")
        others = [c for c in raw.columns if c != "id"]
        if "x" in others and raw.schema["x"].dataType.typeName() == "array":
            first = raw.select(F.size("x").alias("n")).first()
            width = first["n"] if first is not None else 0
            cols = [F.col("x")[k] for k in range(width)]
            bad = F.when(F.size("x") != width, F.lit(f"the x array does not have {width} values"))
            feature_names = [f"x[{k}]" for k in range(width)]
        else:
            cols = [F.col(c) for c in others]
            bad = F.lit(None).cast("string")
            feature_names = others
        ids = F.col("id")
    else:
        rows, width = _whitespace(spark, path)
        p = F.col("parts")
        raw = rows
        cols = [p[k] for k in range(1, width)]
        bad = F.when(F.size(p) != width, F.concat(F.lit(f"expected {width} fields as on the first data line, "
                                                        "got the line "), F.array_join(p, " ")))
        ids, feature_names = p[0], [f"column {k + 1}" for k in range(1, width)]
    values = []
    problems = [bad]
    for k, (c, name) in enumerate(zip(cols, feature_names)):
        v = c.cast("string").try_cast("double")
        values.append(v.alias(f"x{k}"))
        problems.append(F.when(v.isNull() | F.isnan(v) | (F.abs(v) == float("inf")),
                               F.concat(F.lit(f"{name}: expected a finite number, got "),
                                        F.coalesce(c.cast("string"), F.lit("nothing")))))
    problems.append(F.when(ids.isNull() | (ids.cast("string") == ""), F.lit("empty id")))
    nodes = raw.select(ids.alias("id"), *values, F.coalesce(*problems).alias("_bad"),
                       F.monotonically_increasing_id().alias("_pos"))
    return nodes, feature_names


def _is_int(c) -> Any:
    return c.cast("string").rlike(INT_PATTERN) & c.cast("string").try_cast("long").isNotNull()


def _raise_first(df: DataFrame, path: str, what: str) -> None:
    F = _F()
    row = df.where(F.col("_bad").isNotNull()).select("_bad", *[c for c in ("src", "dst", "id") if c in df.columns]) \
        .first()
    if row is None:
        return
    place = ", ".join(f"{k} {row[k]!r}" for k in ("src", "dst", "id") if k in row.asDict() and row[k] is not None)
    raise InputError(f"{path}: {what}{f' ({place})' if place else ''}: {row['_bad']}")


def _observed(df: DataFrame, checkpoint, name: str, *aggs) -> tuple[DataFrame, dict]:
    """``df`` checkpointed, and ``aggs`` over it computed in the same job (a Spark Observation)."""
    from pyspark.sql import Observation

    seen = Observation(name)
    df = checkpoint(df.observe(seen, *aggs))
    return df, seen.get


def _edge_table(spark, path: str, fmt: str, checkpoint) -> tuple[DataFrame, bool, dict]:
    """The edges as read, with ``_pos`` (their order), checkpointed and checked in one pass:
    ``(edges, weighted, {"n": rows, "strings": rows with a non-integer id})``."""
    F = _F()
    edges, weighted = read_edges(spark, path, fmt)
    both_int = _is_int(F.col("src")) & _is_int(F.col("dst"))
    edges, stats = _observed(edges.withColumn("_pos", F.monotonically_increasing_id()), checkpoint, "edges",
                             F.count(F.lit(1)).alias("n"), F.count("_bad").alias("bad"),
                             F.sum(F.when(both_int, 0).otherwise(1)).alias("strings"))
    if stats["bad"]:
        _raise_first(edges, path, "an edge row")
    return edges, weighted, stats


def _node_table(spark, path: str, checkpoint) -> tuple[DataFrame, list[str], dict]:
    """The node table, checkpointed and checked in one pass (and its ids' distinctness in another)."""
    F = _F()
    table, names = read_nodes(spark, path)
    table, stats = _observed(table, checkpoint, "nodes", F.count(F.lit(1)).alias("n"), F.count("_bad").alias("bad"),
                             F.sum(F.when(_is_int(F.col("id")), 0).otherwise(1)).alias("strings"))
    if not stats["n"]:
        raise InputError(f"{path}: has no nodes")
    if stats["bad"]:
        _raise_first(table, path, "a node row")
    dup = table.groupBy(F.col("id").cast("string").alias("id")).count().where(F.col("count") > 1) \
        .agg(F.first("id").alias("id")).collect()[0]["id"]
    if dup is not None:
        raise InputError(f"{path}: duplicate node id {dup!r}")
    return table, names, stats


def _nodes_of_table(table: DataFrame, names: list[str], id_type: str, edges: DataFrame, path: str,
                    node_features: str) -> DataFrame:
    """The node table's nodes in its order; every edge's ends must be among them."""
    F = _F()
    nodes = table.select(F.col("id").cast("string").cast(id_type).alias("id"), *[f"x{k}" for k in range(len(names))],
                         F.lit(0).alias("_o1"), F.lit(0).cast("long").alias("_o2"), F.col("_pos").alias("_o3"))
    ends = edges.select(F.col("src").alias("id")).union(edges.select(F.col("dst").alias("id")))
    unknown = ends.join(nodes.select("id"), "id", "left_anti").agg(F.first("id").alias("id")).collect()[0]["id"]
    if unknown is not None:
        raise InputError(f"{path}: node {unknown!r} is not in the node table {node_features}")
    return nodes


def _nodes_of_edges(edges: DataFrame, integer_ids: bool) -> DataFrame:
    """The nodes the edges name, in gnnprop's order: integer ids ascending; else integer-looking ids
    ascending, then the others by first appearance (``_o1, _o2, _o3``)."""
    F = _F()
    ends = edges.select(F.col("src").alias("id"), (F.col("_pos") * 2).alias("_p")) \
        .union(edges.select(F.col("dst").alias("id"), (F.col("_pos") * 2 + 1).alias("_p")))
    first = ends.groupBy("id").agg(F.min("_p").alias("_o3"))
    if integer_ids:
        return first.select("id", F.lit(0).alias("_o1"), F.col("id").alias("_o2"), "_o3")
    isint = _is_int(F.col("id"))
    return first.select("id", F.when(isint, 0).otherwise(1).alias("_o1"),
                        F.when(isint, F.col("id").try_cast("long")).otherwise(0).alias("_o2"), "_o3")


def _laid_out_edges(edges: DataFrame, weighted: bool, undirected: bool, partitions: int, checkpoint) -> DataFrame:
    """The edges (with their reverses where ``undirected`` and missing), hashed and sorted by source:
    the sort-merge join with a round's nodes (hashed and sorted by id too, as every round's output
    is) then needs no exchange and no sort of the edges."""
    F = _F()
    edges = edges.drop("_pos")
    if undirected:
        reverse = edges.select(F.col("dst").alias("src"), F.col("src").alias("dst"), *(["w"] if weighted else []))
        missing = reverse.join(edges.select("src", "dst").distinct(), ["src", "dst"], "left_anti")
        edges = edges.unionByName(missing)
    return checkpoint(edges.repartition(partitions, "src").sortWithinPartitions("src"))


def _with_features(nodes: DataFrame, edges: DataFrame, features: str, feature_dim: int | None) -> tuple[DataFrame, int]:
    """Nodes without a table get ``degree`` (in-degree, width 1) or ``ones`` features."""
    F = _F()
    if features == "degree":
        if feature_dim not in (None, 1):
            from ...errors import ConfigError
            raise ConfigError(f"the degree feature has width 1, got {feature_dim}", key="graph.feature_dim")
        deg = edges.groupBy(F.col("dst").alias("id")).agg(F.count(F.lit(1)).cast("double").alias("x0"))
        return nodes.join(deg, "id", "left").withColumn("x0", F.coalesce(F.col("x0"), F.lit(0.0))), 1
    width = feature_dim or 1
    return nodes.select("*", *[F.lit(1.0).alias(f"x{k}") for k in range(width)]), width


def read_graph(spark, path: str, *, input_format: str | None, node_features: str | None, undirected: bool,
               features: str, feature_dim: int | None, partitions: int, checkpoint) -> SparkGraph:
    """Read, check and lay out the graph: edges hashed by ``src``, nodes by ``id``, both into
    ``partitions`` and checkpointed (``checkpoint(df)``), so each round's first join moves no node.
    The text is parsed once: the checks and the layout read the first checkpoints."""
    F = _F()
    edges, weighted, stats = _edge_table(spark, path, detect_format(path, input_format), checkpoint)
    table, names, tstats = _node_table(spark, node_features, checkpoint) if node_features is not None \
        else (None, [], None)
    integer_ids = not stats["strings"] and not (tstats and tstats["strings"])
    id_type = "long" if integer_ids else "string"
    edges = edges.select(F.col("src").cast("string").cast(id_type).alias("src"),
                         F.col("dst").cast("string").cast(id_type).alias("dst"),
                         *([F.col("w")] if weighted else []), "_pos")
    if table is not None:
        nodes, width = _nodes_of_table(table, names, id_type, edges, path, node_features), len(names)
    else:
        nodes, width = _nodes_of_edges(edges, integer_ids), 0
    loops = None
    if weighted:  # only what PyG's gcn_norm reads (the weight it keeps for a self loop), computed if asked
        loops = edges.where(F.col("src") == F.col("dst")).groupBy(F.col("src").alias("id")) \
            .agg(F.max_by("w", "_pos").alias("w"))
    edges = _laid_out_edges(edges, weighted, undirected, partitions, checkpoint)
    num_edges = edges.count() if undirected else stats["n"]
    if width == 0:
        nodes, width = _with_features(nodes, edges, features, feature_dim)
    nodes, counted = _observed(nodes.repartition(partitions, "id").sortWithinPartitions("id"), checkpoint,
                               "node layout", F.count(F.lit(1)).alias("n"))
    num_nodes = tstats["n"] if tstats else counted["n"]
    if not num_nodes:
        raise InputError(f"{path}: has no edges and no nodes")
    return SparkGraph(nodes, edges, width, num_nodes, num_edges, weighted, path, integer_ids, loops)
