"""Registries are plain dicts; this resolves a user's name against one.

Names are normalised (lower case; ``-``, ``_`` and spaces dropped) before the
lookup, aliases map to canonical names, and a miss raises a :class:`ConfigError`
that lists the valid choices, closest first.
"""

from __future__ import annotations

import difflib
from typing import Callable, Iterable, Mapping, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def normalize(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch not in "-_ ")


def resolve(
    name: str,
    registry: Mapping[str, T],
    *,
    what: str,
    aliases: Mapping[str, str] | None = None,
    key: str | None = None,
    shown: int | None = None,
    hint: str | Callable[[list[str]], str] | None = None,
    hints: Mapping[str, str] | None = None,
) -> tuple[str, T]:
    """Return ``(canonical_name, registry[canonical_name])`` for ``name``.

    ``what`` names the kind of thing (``"layer"``, ``"aggregation"``) and ``key``
    the setting it came from, both for the error message. A long registry
    lists only the ``shown`` closest names (then ``hint``, in brackets; a callable ``hint`` is given
    the names shown, so that it need not repeat them).
    ``hints`` maps names people try that are not spelled like the right one
    (``avg`` -> ``mean``) to it: they are suggested, not accepted.
    """
    if not isinstance(name, str):
        raise ConfigError(f"expected a {what} name, got {name!r}", key=key or what)
    table = {normalize(k): k for k in registry}
    for alias, target in (aliases or {}).items():
        table.setdefault(normalize(alias), target)
    wanted = normalize(name)
    if wanted in table:
        canonical = table[wanted]
        return canonical, registry[canonical]
    valid = choices(name, registry, aliases)
    if shown is None:
        listed = f"valid: {', '.join(valid)}"
    else:
        near = closest(name, valid, shown, hints) or valid[:shown]
        listed = f"closest: {', '.join(near)}"
        if callable(hint):
            hint = hint(near)
    mean = did_you_mean(name, registry, hints) if shown is None else ""  # a short list is closest-first already
    raise ConfigError(f"unknown {what} {name!r}; {mean}{listed}{f' ({hint})' if hint else ''}", key=key)


def closest(name: str, names: Iterable[str], n: int = 3, hints: Mapping[str, str] | None = None) -> list[str]:
    """The names most like ``name``, best first: a hint for it, then by spelling (case, ``-``, ``_``
    and spaces ignored; a name that begins like it, ``tolerance`` -> ``tol``, counts as close)."""
    names = list(dict.fromkeys(names))
    wanted = normalize(name)
    by_norm = {}
    for candidate in names:
        by_norm.setdefault(normalize(candidate), candidate)
    found = []
    hint = {normalize(k): v for k, v in (hints or {}).items()}.get(wanted)
    if hint is not None:
        found.append(hint)
    scored = []
    for norm, candidate in by_norm.items():
        ratio = difflib.SequenceMatcher(None, wanted, norm).ratio()
        prefix = len(norm) >= 3 and len(wanted) >= 3 and (wanted.startswith(norm) or norm.startswith(wanted))
        if ratio >= 0.6 or prefix:
            scored.append((-ratio, names.index(candidate), candidate))
    found += [c for _, _, c in sorted(scored) if c not in found]
    return found[:n]


def did_you_mean(name: str, names: Iterable[str], hints: Mapping[str, str] | None = None) -> str:
    """``"did you mean 'fixed'? "`` (or ``"'max' or 'min'?"``) for the names closest to ``name``; ``""`` if none is."""
    close = closest(name, names, 2, hints)
    if not close:
        return ""
    return f"did you mean {' or '.join(repr(c) for c in close)}? "


def choices(name: str, registry: Iterable[str], aliases: Mapping[str, str] | None = None) -> list[str]:
    """Valid names, the closest to ``name`` first."""
    names = list(registry) + [a for a in (aliases or {}) if a not in registry]
    lowered = {n.lower(): n for n in reversed(names)}
    close = [lowered[c] for c in difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.5)]
    return close + [n for n in names if n not in close]
