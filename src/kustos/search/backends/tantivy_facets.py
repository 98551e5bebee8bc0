"""Facet counts (folder, year, sender domain) with tantivy's terms aggregation."""

from __future__ import annotations

from typing import Any

import tantivy

from kustos.search.types import Facets, visible_folders

#: Bucket limits: folders are filtered by permission afterwards, so ask for plenty.
FOLDER_BUCKETS = 10_000
YEAR_BUCKETS = 500
DOMAIN_BUCKETS = 100


def facets(searcher: tantivy.Searcher, query: tantivy.Query, allowed: list[str] | None) -> Facets:
    """Counts over every document matching ``query`` (which already carries the permission
    filter). Folders of mailboxes the requester may not see are left out."""
    spec = {
        "folder": {"terms": {"field": "folder", "size": FOLDER_BUCKETS}},
        "year": {"terms": {"field": "year", "size": YEAR_BUCKETS}},
        "sender_domain": {"terms": {"field": "sender_domain", "size": DOMAIN_BUCKETS}},
    }
    result: dict[str, Any] = searcher.aggregate(query, spec)
    folders = _buckets(result, "folder")
    keep = set(visible_folders(list(folders), allowed))
    return Facets(
        folder={k: v for k, v in folders.items() if k in keep},
        year={int(k): v for k, v in _buckets(result, "year").items()},
        sender_domain={k: v for k, v in _buckets(result, "sender_domain").items() if k},
    )


def _buckets(result: dict[str, Any], name: str) -> dict[Any, int]:
    return {b["key"]: int(b["doc_count"]) for b in result.get(name, {}).get("buckets", [])}
