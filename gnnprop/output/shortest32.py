"""Shortest round-trip decimal digits of many float32 values at once.

For each finite float32 ``v`` this finds the decimal ``digits * 10**exponent``
with the fewest digits that reads back as ``v`` (round half to even, so a
decimal exactly halfway to a neighbour counts when ``v``'s significand is
even), and of those the closest to ``v``, ties to an even last digit. That is
what numpy prints for a float32 and what :func:`numpy.float32` reads back.

The method is Ryu's (Ulf Adams, "Ryū: fast float-to-string conversion",
PLDI 2018) for 32-bit floats: scale the bounds of ``v``'s rounding interval
by a power of ten with 64-bit fixed-point factors, then drop digits while the
bounds still differ. Here every step is a whole-array numpy operation, and the
digit-dropping loop runs until the last value has stopped.
"""

from __future__ import annotations

import numpy as np

_U = np.uint64
_INV_BITS = 59  # bits of the 1/5**q factors
_POW_BITS = 61  # bits of the 5**i factors


def _pow5bits(e: int) -> int:
    """Bits of ``5**e`` (1 for ``e == 0``), as Ryu computes it."""
    return ((e * 1217359) >> 19) + 1


#: ``floor(2**(pow5bits(q) - 1 + 59) / 5**q) + 1``: 1/5**q as a 59/60-bit fixed-point factor.
_INV = np.array([(1 << (_pow5bits(q) - 1 + _INV_BITS)) // 5**q + 1 for q in range(32)], dtype=np.uint64)
#: ``5**i`` scaled to 61 bits.
_POW = np.array([5**i >> (_pow5bits(i) - _POW_BITS) if _pow5bits(i) > _POW_BITS
                 else 5**i << (_POW_BITS - _pow5bits(i)) for i in range(50)], dtype=np.uint64)
_POW5_INT = np.array([5**p for p in range(11)], dtype=np.uint64)


def _mul_shift(m: np.ndarray, low: np.ndarray, high: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``(m * f) >> (32 + shift)`` for ``m < 2**32`` and a 64-bit ``f = high << 32 | low``."""
    return (((m * low) >> _U(32)) + m * high) >> shift


def _log10_pow2(e: int) -> int:
    return (e * 78913) >> 18


def _log10_pow5(e: int) -> int:
    return (e * 732923) >> 20


def _exponent_table() -> dict[str, np.ndarray]:
    """What depends only on a float32's biased exponent ``b`` (0..255), one array entry per ``b``.

    ``v = mv * 2**e2 / 4``; ``e2 >= 0`` ("up") divides by ``5**q``, else it
    multiplies by ``5**i``; both then shift. ``scale`` gives ``10**e10``-scaled
    bounds, ``scale_less`` one digit more (to know the last one dropped).
    """
    rows = []
    for b in range(256):
        e2 = (1 if b == 0 else b) - 127 - 23 - 2
        if e2 >= 0:
            q = _log10_pow2(e2)
            e10 = q
            factor, shift = _INV[q], -e2 + q + _INV_BITS + _pow5bits(q) - 1
            qm = max(q - 1, 0)
            factor_less, shift_less = _INV[qm], -e2 + qm + _INV_BITS + _pow5bits(qm) - 1
        else:
            q = _log10_pow5(-e2)
            e10 = q + e2
            i = -e2 - q
            factor, shift = _POW[i], q - _pow5bits(i) + _POW_BITS
            factor_less, shift_less = _POW[i + 1], q - 1 - _pow5bits(i + 1) + _POW_BITS
        rows.append((int(factor) & 0xFFFFFFFF, int(factor) >> 32, max(shift - 32, 0),
                     int(factor_less) & 0xFFFFFFFF, int(factor_less) >> 32, max(shift_less - 32, 0),
                     q, e10, e2 >= 0, (1 << min(max(q - 1, 0), 63)) - 1))
    columns = list(zip(*rows))
    names = ["low", "high", "shift", "low_less", "high_less", "shift_less", "q", "e10", "up", "low_bits"]
    kinds = [np.uint64] * 6 + [np.int64, np.int64, bool, np.uint64]
    return {name: np.array(col, dtype=kind) for name, col, kind in zip(names, columns, kinds)}


_BY_EXPONENT = _exponent_table()


def digits(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(digits, exponent)`` of the finite, non-zero float32 values ``x`` (1-D).

    ``digits`` (uint64, no trailing zeros) times ``10**exponent`` (int64) is the
    shortest decimal that reads back as ``abs(x)``. Ryu's three steps, each on
    whole arrays: the interval of decimals that read back (:func:`_interval`),
    dropping digits while the interval allows (:func:`_shorten`), rounding the
    last one (:func:`_round`).
    """
    state, accept, e10 = _interval(x)
    state = _shorten(state)
    return _round(state, accept, e10)


def _interval(x: np.ndarray):
    """The scaled value ``vr`` and the bounds ``vp``/``vm`` of what reads back as it, the digit one
    more power of ten would drop, and whether the digits dropped so far were all zero."""
    bits = x.view(np.uint32)
    fraction = (bits & np.uint32(0x7FFFFF)).astype(np.uint64)
    biased = ((bits >> np.uint32(23)) & np.uint32(0xFF)).astype(np.intp)
    table = {name: np.take(column, biased) for name, column in _BY_EXPONENT.items()}
    q, up = table["q"], table["up"]
    normal = biased != 0
    mv = (fraction | (normal.astype(np.uint64) << _U(23))) << _U(2)
    accept = (mv & _U(4)) == 0  # an even significand wins ties, so its bounds read back as it
    mm_shift = (fraction != 0) | (biased <= 1)  # False: a power of two, whose lower neighbour is closer
    mp = mv + _U(2)
    mm = mv - _U(1) - mm_shift.astype(np.uint64)
    scale = table["low"], table["high"], table["shift"]
    vr = _mul_shift(mv, *scale)
    vp = _mul_shift(mp, *scale)
    vm = _mul_shift(mm, *scale)
    # the digit that one more power of ten would have dropped, where it matters
    ten = _U(10)
    need = (q != 0) & ((vp - _U(1)) // ten <= vm // ten)
    last = _mod10(_mul_shift(mv, table["low_less"], table["high_less"], table["shift_less"]))
    last[~need] = 0
    # whether the digits dropped so far from vm / vr were all zero (exact cases)
    tiny = ~up & (q <= 1)
    vr_zeros = tiny | (~up & (q > 1) & (q < 31) & ((mv & table["low_bits"]) == 0))
    vm_zeros = tiny & accept & mm_shift
    vp -= (tiny & ~accept).astype(np.uint64)
    small_up = np.flatnonzero(up & (q <= 9))  # big values: divisible by 5**q?
    if len(small_up):
        p5 = _POW5_INT[q[small_up]]
        a, v, m, p = accept[small_up], mv[small_up], mm[small_up], mp[small_up]
        five = v % _U(5) == 0
        vr_zeros[small_up] |= five & (v % p5 == 0)
        vm_zeros[small_up] |= ~five & a & (m % p5 == 0)
        vp[small_up] -= (~five & ~a & (p % p5 == 0)).astype(np.uint64)
    return [vr, vp, vm, last, vm_zeros, vr_zeros], accept, table["e10"]


def _shorten(state: list) -> list:
    """Drop digits while the bounds differ in more than the last digit: one for most values,
    more for few, so the later rounds work on those few only. Adds ``removed``, the count."""
    ten = _U(10)
    vr, vp, vm, last, vm_zeros, vr_zeros = state
    vp10, vm10 = vp // ten, vm // ten
    go = vp10 > vm10
    vm_zeros &= ~go | (vm == vm10 * ten)
    vr_zeros &= ~go | (last == 0)
    vr10 = vr // ten
    last = np.where(go, vr - vr10 * ten, last)
    vr, vp, vm = np.where(go, vr10, vr), np.where(go, vp10, vp), np.where(go, vm10, vm)
    removed = go.astype(np.int64)
    going = np.flatnonzero(go & (vp // ten > vm // ten))
    state = [vr, vp, vm, last, vm_zeros, vr_zeros, removed]
    now = [a[going] for a in state]
    while len(going):
        a_vr, a_vp, a_vm, a_last, a_vm_zeros, a_vr_zeros, a_removed = now
        vp10, vm10 = a_vp // ten, a_vm // ten
        go = vp10 > vm10
        a_vm_zeros &= ~go | (a_vm == vm10 * ten)
        a_vr_zeros &= ~go | (a_last == 0)
        vr10 = a_vr // ten
        now = [np.where(go, vr10, a_vr), np.where(go, vp10, a_vp), np.where(go, vm10, a_vm),
               np.where(go, a_vr - vr10 * ten, a_last), a_vm_zeros, a_vr_zeros, a_removed + go]
        if not go.all():
            done = ~go
            for full, part in zip(state, now):
                full[going[done]] = part[done]
            going = going[go]
            now = [part[go] for part in now]
    return state


def _round(state: list, accept: np.ndarray, e10: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The last digit rounded (half to even where exact), trailing zeros removed."""
    ten = _U(10)
    vr, vp, vm, last, vm_zeros, vr_zeros, removed = state
    # an exact lower bound may still end in zeros that can go
    go = np.flatnonzero(vm_zeros)
    while True:
        go = go[(_mod10(vm[go]) == 0) & (vm[go] > 0)]
        if not len(go):
            break
        vr_zeros[go] &= last[go] == 0
        last[go] = _mod10(vr[go])
        vr[go] //= ten
        vp[go] //= ten
        vm[go] //= ten
        removed[go] += 1
    last[vr_zeros & (last == 5) & ((vr & _U(1)) == 0)] = 4  # exactly half: round to even
    round_up = ((vr == vm) & (~accept | ~vm_zeros)) | (last >= 5)
    out = vr + round_up.astype(np.uint64)
    exponent = e10 + removed
    while True:  # no trailing zeros
        go = np.flatnonzero(_mod10(out) == 0)
        if not len(go):
            break
        out[go] //= ten
        exponent[go] += 1
    return out, exponent


def _mod10(v: np.ndarray) -> np.ndarray:
    """``v % 10``, faster: numpy divides by a constant quickly but takes remainders slowly."""
    return v - (v // _U(10)) * _U(10)
