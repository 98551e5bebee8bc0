"""Kind name → Kind. Adding a source kind = one module in this package + one line here + one
contract test (``tests/contract/connector_contract.py``)."""

from __future__ import annotations

from kustos.sources.kinds import box, dropbox, gmail, graph, imap, pop3, salesforce
from kustos.sources.kinds.fields import Kind

KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind (the built-in ones below; tests register toy kinds the same way)."""
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    KINDS.pop(name, None)


def get(name: str) -> Kind:
    """The kind called ``name``; KeyError with the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown source kind {name!r}; kinds: {', '.join(KINDS)}") from None


def all_kinds() -> list[Kind]:
    return list(KINDS.values())


for _kind in (imap.KIND, pop3.KIND, graph.KIND, gmail.KIND):
    register(_kind)
register(salesforce.KIND)
register(box.KIND)
register(dropbox.KIND)
