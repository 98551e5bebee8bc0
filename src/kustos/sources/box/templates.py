"""Box backup service ``enterprise``: what belongs to the enterprise rather than to one user — its metadata
templates (the schemas every file's metadata instances follow).

Scope: the enterprise (id = the enterprise id, kind ``enterprise``). Every run reads all templates
(``GET /metadata_templates/enterprise``, marker paged; the template API has no change feed) and stores each
as ``metadata_templates/<templateKey>.json`` (the template as Box answers it). The content tag is the
SHA-256 of that JSON, so an unchanged template is carried over; the cursor keeps the template ids seen, and
a template gone since the last run becomes a deletion.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, ClassVar

from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.box.session import BoxSession

FOLDER = "metadata_templates"
PAGE = 1000  # the largest page the template list accepts


def template_bytes(template: dict[str, Any]) -> bytes:
    return json.dumps(template, sort_keys=True, ensure_ascii=False, indent=1).encode()


class TemplatesService:
    """The ``enterprise`` backup service of a Box connection."""

    name: ClassVar[str] = "enterprise"
    scope_kind: ClassVar[str] = "enterprise"

    def __init__(self, session: BoxSession, page_size: int = PAGE) -> None:
        self.session = session
        self.page_size = page_size

    def scopes(self) -> Iterator[Scope]:
        enterprise = self.session.enterprise_id
        yield Scope(id=enterprise, kind=self.scope_kind, name=f"Enterprise {enterprise}",
                    meta={"displayName": "Metadata templates"})

    def check(self, scope: Scope) -> None:
        self.session.get("/metadata_templates/enterprise", None, {"limit": 1})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        before = {str(k): str(v) for k, v in ((cursor or {}).get("templates") or {}).items()}
        seen: dict[str, str] = {}
        items: list[Item] = []
        for template in self.session.marked("/metadata_templates/enterprise", None, limit=self.page_size):
            key = str(template.get("templateKey") or template.get("id"))
            data = template_bytes(template)
            name = f"{key}.json"
            seen[str(template.get("id") or key)] = name
            items.append(Item(source_id=str(template.get("id") or key), kind="metadata_template", folder=FOLDER,
                              data=data, meta={"name": name, "templateKey": key,
                                               "displayName": template.get("displayName"),
                                               "fields": len(template.get("fields") or []),
                                               "hash": hashlib.sha256(data).hexdigest()}))
        items += [Item(source_id=tid, kind="metadata_template", deleted=True, folder=FOLDER, meta={"name": name})
                  for tid, name in before.items() if tid not in seen]
        yield Batch(items, {"templates": seen})
