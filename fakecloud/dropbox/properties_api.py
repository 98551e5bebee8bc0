"""The Dropbox ``file_properties/*`` routes of the emulator (faithful to ``file_properties.stone``).

Team templates (``templates/add_for_team``, ``templates/list_for_team``, ``templates/get_for_team``:
team token, no member selected) and a file's property groups (``properties/overwrite``, as a member).
``files/list_folder`` returns the groups with ``include_property_groups`` (see ``api.metadata``).
Team templates attach to files only (``unsupported_folder`` for a folder).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakecloud.dropbox.errors import bad_request, missing_scope, route_error
from fakecloud.dropbox.store import Team
from fakecloud.web import Request, Response, Router, json_response

if TYPE_CHECKING:
    from fakecloud.dropbox.api import Context, DropboxService

PREFIX = "/dropbox/2/file_properties/"
MAX_FIELDS = 32
TEAM_SCOPE = "files.team_metadata.write"  # what the team template routes need (file_properties.stone)


def _not_found(template_id: str) -> Response:
    return route_error({".tag": "template_not_found", "template_not_found": template_id})


class PropertyRoutes:
    def __init__(self, service: DropboxService) -> None:
        self.service = service

    def register(self, router: Router) -> None:
        member = self.service.member_route
        router.add("POST", PREFIX + "templates/add_for_team", self.team(self.add_template))
        router.add("POST", PREFIX + "templates/list_for_team", self.team(self.list_templates))
        router.add("POST", PREFIX + "templates/get_for_team", self.team(self.get_template))
        router.add("POST", PREFIX + "properties/overwrite", member(self.overwrite))

    def team(self, handler: Callable[[Request, Team, dict[str, Any]], Response]) -> Callable[[Request], Response]:
        """A team route that needs ``files.team_metadata.write`` (``missing_scope`` without it)."""
        inner = self.service.team_route(handler)

        def wrapped(request: Request) -> Response:
            if self.service.store.team_for(request.bearer()) is not None and \
                    not self.service.store.allows(request.bearer(), TEAM_SCOPE):
                return missing_scope(TEAM_SCOPE)
            return inner(request)
        return wrapped

    def add_template(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        name, fields = args.get("name"), args.get("fields")
        if not isinstance(name, str) or not name or not isinstance(fields, list):
            return bad_request("AddTemplateArg: name and fields are required")
        if len(fields) > MAX_FIELDS:
            return route_error({".tag": "too_many_properties"})
        rows = []
        for field in fields:
            if not isinstance(field, dict) or not field.get("name") or (field.get("type") or {}).get(".tag") != "string":
                return bad_request(f"fields: invalid PropertyFieldTemplate {field!r}")
            rows.append({"name": str(field["name"]), "description": str(field.get("description") or ""),
                         "type": {".tag": "string"}})
        if any(t["name"] == name for t in team.templates.values()):
            return route_error({".tag": "conflicting_property_names"})
        template_id = "ptid:" + secrets.token_urlsafe(12)
        team.templates[template_id] = {"name": name, "description": str(args.get("description") or ""),
                                       "fields": rows}
        return json_response(200, {"template_id": template_id})

    def list_templates(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        return json_response(200, {"template_ids": list(team.templates)})

    def get_template(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        template_id = str(args.get("template_id", ""))
        template = team.templates.get(template_id)
        return json_response(200, template) if template is not None else _not_found(template_id)

    def overwrite(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        groups = args.get("property_groups")
        if not isinstance(groups, list) or not groups:
            return bad_request("property_groups: expected at least one PropertyGroup")
        entry = self.service._entry(ctx, str(args.get("path", "")))
        if entry is None:
            return route_error({".tag": "path", "path": {".tag": "not_found"}})
        if entry.folder:
            return route_error({".tag": "unsupported_folder"})
        values: dict[str, dict[str, str]] = {}
        for group in groups:
            template_id = str((group or {}).get("template_id", "")) if isinstance(group, dict) else ""
            template = ctx.team.templates.get(template_id)
            if template is None:
                return _not_found(template_id)
            if template_id in values:
                return route_error({".tag": "duplicate_property_groups"})
            known = {f["name"] for f in template["fields"]}
            fields = {str(f.get("name")): str(f.get("value", "")) for f in group.get("fields") or []}
            if not set(fields) <= known:
                return route_error({".tag": "does_not_fit_template"})
            if any(len(v.encode()) > 1024 for v in fields.values()):
                return route_error({".tag": "property_field_too_large"})
            values[template_id] = fields
        entry.properties.update(values)
        return json_response(200, None)
