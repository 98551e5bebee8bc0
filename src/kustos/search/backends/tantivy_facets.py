"""Facet counts (folder, mailbox, year, sender domain, has attachment) with tantivy's terms
aggregation: one pass over the fast fields of the matching documents, no document is loaded."""

from __future__ import annotations

from typing import Any

import tantivy

from kustos.search.types import FACET_LIMITS, Facets, visible_folders, visible_mailboxes

#: Kept for callers of the former names.
FOLDER_BUCKETS = FACET_LIMITS["folder"]
YEAR_BUCKETS = FACET_LIMITS["year"]
DOMAIN_BUCKETS = FACET_LIMITS["sender_domain"]


def facets(searcher: tantivy.Searcher, query: tantivy.Query, allowed: list[str] | None) -> Facets:
    """Counts over every document matching ``query`` (which already carries the permission
    filter). Folders and mailboxes the requester may not see are left out."""
    spec: dict[str, Any] = {
        name: {"terms": {"field": name, "size": size}} for name, size in FACET_LIMITS.items()
    }
    spec["has_attachment"] = {"terms": {"field": "has_attachment", "size": 2}}
    result: dict[str, Any] = searcher.aggregate(query, spec)
    folders = _buckets(result, "folder")
    keep = set(visible_folders(list(folders), allowed))
    mailboxes = _buckets(result, "mailbox")
    seen = set(visible_mailboxes(list(mailboxes), allowed))
    attachment = {bool(k): v for k, v in _buckets(result, "has_attachment").items()}
    return Facets(
        folder={k: v for k, v in folders.items() if k in keep},
        year={int(k): v for k, v in _buckets(result, "year").items()},
        sender_domain={k: v for k, v in _buckets(result, "sender_domain").items() if k},
        mailbox={k: v for k, v in mailboxes.items() if k in seen},
        has_attachment=attachment.get(True, 0),
    )


def _buckets(result: dict[str, Any], name: str) -> dict[Any, int]:
    return {b["key"]: int(b["doc_count"]) for b in result.get(name, {}).get("buckets", [])}
