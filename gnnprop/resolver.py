"""Registries are plain dicts; this resolves a user's name against one.

Names are normalised (lower case; ``-``, ``_`` and spaces dropped) before the
lookup, aliases map to canonical names, and a miss raises a :class:`ConfigError`
that lists the valid choices, closest first.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Mapping, TypeVar

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
    hint: str | None = None,
) -> tuple[str, T]:
    """Return ``(canonical_name, registry[canonical_name])`` for ``name``.

    ``what`` names the kind of thing (``"layer"``, ``"aggregation"``) and ``key``
    the setting it came from, both for the error message. A long registry
    lists only the ``shown`` closest names (then ``hint``, in brackets).
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
        listed = f"closest: {', '.join(valid[:shown])}"
    raise ConfigError(f"unknown {what} {name!r}; {listed}{f' ({hint})' if hint else ''}", key=key)


def choices(name: str, registry: Iterable[str], aliases: Mapping[str, str] | None = None) -> list[str]:
    """Valid names, the closest to ``name`` first."""
    names = list(registry) + [a for a in (aliases or {}) if a not in registry]
    lowered = {n.lower(): n for n in reversed(names)}
    close = [lowered[c] for c in difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.5)]
    return close + [n for n in names if n not in close]
