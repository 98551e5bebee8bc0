"""The order in which records are created so that every parent exists before its children.

A record depends on another record of the same batch when one of its lookups names it. Records
are created in topological order of these dependencies (ties keep the order they came in). A cycle
(A looks up B, B looks up A) is broken at a lookup that may be empty (``nillable``): that record is
created without it and the lookup is patched once its parent exists. A cycle of required lookups
only cannot be created by any org; its records come last and fail with the org's own error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Key = str  # the old id of a record
# (field, old parent id, required) for each lookup of a record that names a record of the batch
Edges = Mapping[Key, Sequence[tuple[str, Key, bool]]]


def lookups(record: Mapping[str, Any], spec_of: Callable[[str], Mapping[str, Any] | None],
            batch: Mapping[Key, Any]) -> list[tuple[str, Key, bool]]:
    """The lookups of ``record`` that name another record of ``batch``: (field, parent, required)."""
    out = []
    for field, value in record.items():
        spec = spec_of(field)
        if spec is None or spec.get("type") != "reference" or not isinstance(value, str) or value not in batch:
            continue
        if value == record.get("Id"):
            continue
        out.append((field, value, required(spec)))
    return out


def required(spec: Mapping[str, Any]) -> bool:
    """A field a create must fill: not nillable, createable, no default on create."""
    return spec.get("nillable") is False and bool(spec.get("createable")) and not spec.get("defaultedOnCreate")


def creation_order(keys: Sequence[Key], edges: Edges) -> tuple[list[Key], dict[Key, set[str]]]:
    """``keys`` parents first, and per record the lookups to leave empty at create (patched later)."""
    position = {key: i for i, key in enumerate(keys)}
    waits: dict[Key, dict[str, Key]] = {k: {f: p for f, p, _r in edges.get(k, ()) if p in position and p != k}
                                        for k in keys}
    deferred: dict[Key, set[str]] = {}
    done: set[Key] = set()
    order: list[Key] = []
    remaining = list(keys)
    while remaining:
        ready = [k for k in remaining if all(p in done for p in waits[k].values())]
        if not ready:
            ready = [_break_cycle(remaining, waits, edges, done, deferred)]
        for key in ready:
            order.append(key)
            done.add(key)
        taken = set(ready)
        remaining = [k for k in remaining if k not in taken]
    return order, deferred


def _break_cycle(remaining: list[Key], waits: dict[Key, dict[str, Key]], edges: Edges, done: set[Key],
                 deferred: dict[Key, set[str]]) -> Key:
    """The first record whose unmet lookups may all be empty, with them deferred; else the first one."""
    for key in remaining:
        hard = {f for f, _p, req in edges.get(key, ()) if req}
        unmet = {f for f, p in waits[key].items() if p not in done}
        if not unmet & hard:
            deferred[key] = unmet
            return key
    return remaining[0]
