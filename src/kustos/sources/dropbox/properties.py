"""A Dropbox team's file property templates (``file_properties/templates/*_for_team``).

The templates are kept once per team, as the items of the ``files:team`` scope: one JSON document
per template (``{"template_id", "name", "description", "fields"}``), named after its id, with its
sha256 as the content tag. A template gone since the last round is a deletion. The files' own
property groups come with ``files/list_folder`` (``include_property_groups``) and stay in each file's
meta (``files.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from kustos.sources.base import Batch, Cursor, Item, PermissionMissing
from kustos.sources.dropbox.session import DropboxSession

FOLDER = "File property templates"


def file_name(template_id: str) -> str:
    return template_id.replace(":", "_") + ".json"


class TemplateReader:
    def __init__(self, session: DropboxSession) -> None:
        self.session = session

    def ids(self) -> list[str]:
        return [str(t) for t in self.session.call("file_properties/templates/list_for_team", None)
                .get("template_ids") or []]

    def ids_or_none(self) -> list[str]:
        """The team's template ids; none when the app may not read them (``files.team_metadata.write``
        missing): files are then backed up without their property groups, the team scope says why."""
        try:
            return self.ids()
        except PermissionMissing:
            return []

    def get(self, template_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.session.call("file_properties/templates/get_for_team",
                                                 {"template_id": template_id})
        return body

    def fetch(self, cursor: Cursor | None) -> Iterator[Batch]:
        try:
            ids = self.ids()
        except PermissionMissing as exc:
            raise PermissionMissing(f"{exc}; the team's file property templates and the files' properties need "
                                    "it") from None
        items = []
        for template_id in ids:
            template = self.get(template_id)
            document = {"template_id": template_id, "name": template.get("name", ""),
                        "description": template.get("description", ""), "fields": template.get("fields") or []}
            data = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode()
            items.append(Item(source_id=template_id, kind="template", folder=FOLDER, data=data,
                              meta={"name": file_name(template_id), "template_id": template_id,
                                    "template_name": document["name"], "hash": hashlib.sha256(data).hexdigest()}))
        gone = [t for t in (cursor or {}).get("templates") or [] if t not in ids]
        items += [Item(source_id=t, kind="template", folder=FOLDER, deleted=True, meta={"name": file_name(t)})
                  for t in gone]
        yield Batch(items, {"templates": ids})
