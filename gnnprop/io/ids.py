"""Node ids: how text and JSON values become ids, and the order nodes get.

* JSON ids keep their JSON type: an integer stays ``int``, a string stays ``str``;
  anything else (``true``, ``1.5``, ``null``, lists, objects) is refused.
* A text token (CSV cell, edge-list field) is an ``int`` when it is a canonical
  decimal integer (``-?(0|[1-9][0-9]*)``), else it stays a ``str``: ``"007"``
  and ``7`` are different nodes.
* Integer ids must fit in int64.
* Without a node table, nodes are ordered integer ids ascending, then string
  ids in order of first appearance (:func:`index_tokens`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import InputError
from ..graph import NodeId

INT_TOKEN = re.compile(r"-?(?:0|[1-9][0-9]*)")
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: ``where(k)`` is the message prefix (``"file: line 5"``) for token ``k``.
Where = Callable[[int], str]


def fits_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


def parse_token(token: str) -> NodeId:
    """The id a text token stands for: canonical decimal integers become ``int``."""
    return int(token) if INT_TOKEN.fullmatch(token) else token


def show(value: Any) -> str:
    """A JSON value as a message shows it: ``"abc"``, ``true``, ``null``, ``1.5``, ``a list``."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def show_id(value: NodeId) -> str:
    """An id as a message shows it: ``7`` for an int, ``'007'`` for a string."""
    return repr(value)


def check_json_id(value: Any, where: str) -> NodeId:
    """``value`` if it is a valid JSON node id, else an :class:`InputError` prefixed with ``where``."""
    if type(value) is str:
        return value
    if type(value) is int:
        if not fits_int64(value):
            raise InputError(f"{where}: node id {value} does not fit in a 64-bit integer")
        return value
    raise InputError(f"{where}: a node id must be an integer or a string, got {show(value)}")


def check_token_id(token: str, where: str) -> NodeId:
    """The id of a text token, checked (not empty, integers within int64)."""
    if not token:
        raise InputError(f"{where}: empty node id")
    value = parse_token(token)
    if type(value) is int and not fits_int64(value):
        raise InputError(f"{where}: node id {token} does not fit in a 64-bit integer")
    return value


_POWERS_OF_TEN = np.array([10**k for k in range(1, 20)], dtype=np.uint64)


def _canonical_ints(tokens: Sequence[str]) -> np.ndarray | None:
    """int64 values of ``tokens`` when every one is a canonical int64 token, else ``None``.

    The vectorised fast path: ``int()`` also takes ``+5``, ``05``, ``1_0`` and
    non-ASCII digits, so the tokens must be ASCII and exactly as long as the
    canonical spelling of their value.
    """
    if not "".join(tokens).isascii():
        return None
    try:
        values = np.fromiter(map(int, tokens), dtype=np.int64, count=len(tokens))
    except (ValueError, OverflowError):
        return None
    negative = values < 0
    magnitude = np.where(negative, -(values + 1), values).astype(np.uint64) + negative
    digits = 1 + np.searchsorted(_POWERS_OF_TEN, magnitude, side="right")
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    return values if np.array_equal(lengths, digits + negative) else None


#: A lookup table may have this many slots per value looked up (plus :data:`_TABLE_SLACK`).
_TABLE_RATIO = 2
_TABLE_SLACK = 1 << 22


def _table_span(lo: int, hi: int, n: int) -> int | None:
    """Slots of a lookup table indexed by ``value - offset`` for values in ``lo..hi``, if small enough."""
    span = hi - lo + 1
    return span if span <= _TABLE_RATIO * n + _TABLE_SLACK else None


def rank_ints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(positions, distinct)``: ``distinct`` is the sorted distinct int64 values, and
    ``distinct[positions] == values`` (same shape as ``values``, int64, C order).

    What ``np.unique(values, return_inverse=True)`` gives, without its argsort:
    values in a span not much wider than their count go through a lookup table
    (linear time); others are packed with their index into one uint64 and sorted.
    """
    if not values.size:
        return np.zeros(values.shape, np.int64), np.zeros(0, np.int64)
    lo, hi = int(values.min()), int(values.max())
    n = values.size
    offset, span = 0, _table_span(0, hi, n) if lo >= 0 else None  # no need to subtract
    if span is None:
        offset, span = lo, _table_span(lo, hi, n)
    if span is not None:
        index = values - offset if offset else values
        present = np.zeros(span, bool)
        present[index] = True
        rank = np.cumsum(present, dtype=np.int64)
        rank -= 1
        return np.ascontiguousarray(rank[index]), np.flatnonzero(present) + offset
    bits = max(n - 1, 1).bit_length()
    if (hi - lo) >> (64 - bits) == 0:  # value - lo and the index fit side by side in 64 bits
        keys = (values.ravel() - lo).view(np.uint64) << np.uint64(bits)
        keys |= np.arange(n, dtype=np.uint64)
        keys.sort()
        order = (keys & np.uint64((1 << bits) - 1)).view(np.int64)
        keys >>= np.uint64(bits)
        new = np.empty(n, bool)
        new[0] = True
        np.not_equal(keys[1:], keys[:-1], out=new[1:])
        positions = np.empty(n, np.int64)
        positions[order] = np.cumsum(new) - 1
        distinct = keys[new].view(np.int64) + lo
        return positions.reshape(values.shape), distinct
    distinct, positions = np.unique(values, return_inverse=True)
    return positions.reshape(values.shape).astype(np.int64, copy=False), distinct


def lookup_ints(values: np.ndarray, keys: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(positions, hit)``: ``found[i]`` for each value equal to ``keys[i]`` (same shape as ``values``).

    ``keys`` are distinct int64; ``hit`` is False where a value is not among them
    (its position is then meaningless).
    """
    if not len(keys):
        return np.zeros(values.shape, np.int64), np.zeros(values.shape, bool)
    lo, hi = int(keys.min()), int(keys.max())
    span = _table_span(lo, hi, values.size)
    inside = (values >= lo) & (values <= hi)
    if span is not None:
        table = np.full(span, -1, np.int64)
        table[keys - lo] = found
        positions = table[np.where(inside, values - lo, 0)]
        return positions, inside & (positions >= 0)
    order = np.argsort(keys)
    keys, found = keys[order], found[order]
    slot = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return found[slot], inside & (keys[slot] == values)


def _intern(tokens: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Codes into the distinct tokens, which are listed in order of first appearance."""
    table: dict[str, int] = {}
    codes = np.fromiter((table.setdefault(t, len(table)) for t in tokens), dtype=np.int64, count=len(tokens))
    return codes, list(table)


def _first(codes: np.ndarray, code: int) -> int:
    return int(np.argmax(codes == code))


def _parse_distinct(codes: np.ndarray, distinct: list[str], where: Where) -> list[NodeId]:
    """:func:`check_token_id` of each distinct token; ``where`` is only computed for an error."""
    ids: list[NodeId] = []
    for c, token in enumerate(distinct):
        value = parse_token(token)
        if not token or (type(value) is int and not fits_int64(value)):
            check_token_id(token, where(_first(codes, c)))
        ids.append(value)
    return ids


def index_tokens(tokens: Sequence[str], where: Where) -> tuple[np.ndarray, list[NodeId]]:
    """Number the nodes named by ``tokens`` when no node table fixes the order.

    Returns ``(positions, node_ids)``: ``positions[k]`` is the node of ``tokens[k]``
    and ``node_ids`` lists integer ids ascending, then string ids in order of
    first appearance. ``where(k)`` is only called to report a bad token.
    """
    values = _canonical_ints(tokens)
    if values is not None:
        rank, sorted_ints = rank_ints(values)
        return rank, sorted_ints.tolist()
    codes, distinct = _intern(tokens)
    ids = _parse_distinct(codes, distinct, where)
    is_int = np.fromiter((type(v) is int for v in ids), dtype=bool, count=len(ids))
    int_codes = np.flatnonzero(is_int)
    str_codes = np.flatnonzero(~is_int)
    int_values = np.array([ids[c] for c in int_codes], dtype=np.int64)
    rank, sorted_ints = rank_ints(int_values)
    position = np.empty(len(ids), dtype=np.int64)
    position[int_codes] = rank
    position[str_codes] = len(sorted_ints) + np.arange(len(str_codes), dtype=np.int64)
    node_ids: list[NodeId] = sorted_ints.tolist() + [ids[c] for c in str_codes]
    return position[codes], node_ids


def int_keys(index: Mapping[NodeId, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, positions)`` int64 of the integer ids of a node table given as ``id -> position``."""
    keys = np.array([k for k in index if type(k) is int], dtype=np.int64)
    found = np.array([index[k] for k in keys.tolist()], dtype=np.int64)
    return keys, found


def index_tokens_in(tokens: Sequence[str], index: Mapping[NodeId, int], where: Where,
                    table_name: str) -> np.ndarray:
    """Positions of ``tokens`` in a node table given as ``id -> position``.

    A token naming no node of the table is an :class:`InputError` at its ``where``.
    """
    values = _canonical_ints(tokens)
    if values is not None:
        keys, found = int_keys(index)
        position, hit = lookup_ints(values, keys, found)
        if hit.all():
            return position
        k = int(np.argmin(hit))
        raise InputError(f"{where(k)}: node {values[k]} is not in the node file {table_name}")
    codes, distinct = _intern(tokens)
    position = np.empty(len(distinct), dtype=np.int64)
    for c, value in enumerate(_parse_distinct(codes, distinct, where)):
        found = index.get(value)
        if found is None:
            raise InputError(f"{where(_first(codes, c))}: node {show_id(value)} is not in the node file {table_name}")
        position[c] = found
    return position[codes]
