"""Putting a restored Dropbox item's sharing and properties back (restores into the same team).

- A shared folder's folder (meta ``shared_folder_id`` and ``members``): ``sharing/share_folder`` on the
  restored folder (an ``already_shared`` folder is used as it is), then ``sharing/add_folder_member``
  for every user and invitee not yet a member; an owner is added as editor (ownership is not
  transferable by adding), the restoring member is the new folder's owner.
- A file's explicit members: ``sharing/add_file_member`` per access level, quietly.
- A file's property groups: ``file_properties/properties/overwrite``, with each template found by
  id, else by its name among the team's templates.
- A team template (kind ``template``): ``templates/add_for_team`` unless the team has it (by id or name).

What cannot be put back is reported, not raised: groups (team specific), shared links (a new link
would have a new URL), members Dropbox refuses, properties of a template the team no longer has.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from kustos.sources.base import ConnectorError
from kustos.sources.dropbox.session import DropboxError, DropboxSession

RESTORED, SKIPPED = "restored", "skipped"
MAX_ROWS = 500  # not-re-applied rows kept in the report (a restore of a huge tree stays readable)


class Reapplier:
    def __init__(self, session: DropboxSession) -> None:
        self.session = session
        self.counts = {"folder_members": 0, "file_members": 0, "property_groups": 0, "templates": 0}
        self.not_reapplied: list[dict[str, str]] = []
        self._templates: dict[str, str] | None = None  # template id -> name

    def report(self) -> dict[str, Any]:
        """The restore report's additions (nothing when there was nothing to put back)."""
        out: dict[str, Any] = {}
        if any(self.counts.values()):
            out["reapplied"] = {k: v for k, v in self.counts.items() if v}
        if self.not_reapplied:
            out["not_reapplied"] = list(self.not_reapplied)
        return out

    def _skip(self, path: str, what: str, reason: str) -> None:
        if len(self.not_reapplied) < MAX_ROWS:
            self.not_reapplied.append({"path": path, "what": what, "reason": reason[:300]})

    # --- shared folders ----------------------------------------------------------------------
    def folder(self, path: str, where: str, meta: Mapping[str, Any], member: str, namespace: str | None,
               me: str) -> None:
        members = meta.get("members") or {}
        if not meta.get("shared_folder_id") or not any(members.values()):
            return
        if namespace is not None:
            self._skip(path, "folder members", "a team folder's folders cannot be shared folders of their own")
            return
        folder_id = self._share(path, where, member)
        if folder_id is not None:
            self.add_missing(path, folder_id, members, member, me)

    def add_missing(self, path: str, folder_id: str, members: Mapping[str, Any], member: str, me: str) -> None:
        """Add the backed-up members the shared folder lacks (as ``member``, who is ``me``)."""
        if not any(members.values()):
            return
        present = self._present(folder_id, member)
        for user in members.get("users") or []:
            if user.get("account_id") == me or str(user.get("email", "")).lower() in present or \
                    user.get("account_id") in present:
                continue
            level = "editor" if user.get("access") == "owner" else str(user.get("access") or "viewer")
            self._add_folder_member(path, folder_id, member, str(user.get("email") or user.get("account_id")), level)
        for invitee in members.get("invitees") or []:
            if str(invitee.get("email", "")).lower() not in present:
                self._add_folder_member(path, folder_id, member, str(invitee["email"]),
                                        str(invitee.get("access") or "viewer"))
        for group in members.get("groups") or []:
            self._skip(path, f"group {group.get('group_name') or group.get('group_id')}",
                       "groups are not re-added to a restored folder")

    def _share(self, path: str, where: str, member: str) -> str | None:
        try:
            launched = self.session.call("sharing/share_folder", {"path": where, "force_async": False}, member=member)
        except DropboxError as exc:
            error = (exc.body or {}).get("error") if isinstance(exc.body, dict) else None
            bad = (error or {}).get("bad_path") if isinstance(error, dict) else None
            if isinstance(bad, dict) and bad.get(".tag") == "already_shared":
                return str(bad["already_shared"]["shared_folder_id"])
            self._skip(path, "folder members", f"Dropbox would not share the restored folder ({exc.summary or exc})")
            return None
        if launched.get(".tag") != "complete":
            self._skip(path, "folder members", "Dropbox shares the restored folder in the background; "
                                               "add its members once that is done")
            return None
        return str(launched["shared_folder_id"])

    def _present(self, folder_id: str, member: str) -> set[str]:
        page = self.session.call("sharing/list_folder_members", {"shared_folder_id": folder_id, "limit": 1000},
                                 member=member)
        present: set[str] = set()
        while True:
            for row in page.get("users") or []:
                present |= {str(row["user"].get("account_id", "")), str(row["user"].get("email", "")).lower()}
            present |= {str((row.get("invitee") or {}).get("email", "")).lower() for row in page.get("invitees") or []}
            if not page.get("cursor"):
                return present
            page = self.session.call("sharing/list_folder_members/continue", {"cursor": page["cursor"]},
                                     member=member)

    def _add_folder_member(self, path: str, folder_id: str, member: str, who: str, level: str) -> None:
        selector = {".tag": "email", "email": who} if "@" in who else {".tag": "dropbox_id", "dropbox_id": who}
        try:
            self.session.call("sharing/add_folder_member", {
                "shared_folder_id": folder_id, "quiet": True,
                "members": [{"member": selector, "access_level": {".tag": level}}]}, member=member)
        except (DropboxError, ConnectorError) as exc:
            self._skip(path, f"member {who}", f"Dropbox refused to add them ({getattr(exc, 'summary', '') or exc})")
            return
        self.counts["folder_members"] += 1

    # --- files -------------------------------------------------------------------------------
    def file(self, path: str, file_ref: str, meta: Mapping[str, Any], member: str, namespace: str | None,
             me: str) -> None:
        members = meta.get("members") or {}
        levels: dict[str, list[str]] = {}
        for user in members.get("users") or []:
            if user.get("account_id") != me:
                levels.setdefault(str(user.get("access") or "viewer"), []).append(str(user.get("email") or ""))
        for invitee in members.get("invitees") or []:
            levels.setdefault(str(invitee.get("access") or "viewer"), []).append(str(invitee.get("email") or ""))
        for level, emails in levels.items():
            self._add_file_members(path, file_ref, member, namespace, "editor" if level == "owner" else level,
                                   [e for e in emails if e])
        for group in members.get("groups") or []:
            self._skip(path, f"group {group.get('group_name') or group.get('group_id')}",
                       "groups are not re-added to a restored file")
        for link in meta.get("shared_links") or []:
            self._skip(path, f"shared link {link.get('url')}", "a shared link cannot be re-created with its URL")
        if meta.get("property_groups"):
            self._properties(path, file_ref, meta, member, namespace)

    def _add_file_members(self, path: str, file_ref: str, member: str, namespace: str | None, level: str,
                          emails: list[str]) -> None:
        if not emails:
            return
        try:
            results = self.session.call("sharing/add_file_member", {
                "file": file_ref, "members": [{".tag": "email", "email": e} for e in emails], "quiet": True,
                "access_level": {".tag": level}}, member=member, namespace=namespace)
        except (DropboxError, ConnectorError) as exc:
            for email in emails:
                self._skip(path, f"member {email}", f"Dropbox refused to add them ({getattr(exc, 'summary', '') or exc})")
            return
        for row in results or []:
            who = (row.get("member") or {}).get("email", "")
            if (row.get("result") or {}).get(".tag") == "success":
                self.counts["file_members"] += 1
            else:
                self._skip(path, f"member {who}", "Dropbox refused to add them "
                                                  f"({json.dumps((row.get('result') or {}).get('member_error'))})")

    def _team_templates(self) -> dict[str, str]:
        if self._templates is None:
            ids = self.session.call("file_properties/templates/list_for_team", None).get("template_ids") or []
            self._templates = {str(t): str(self.session.call("file_properties/templates/get_for_team",
                                                               {"template_id": t}).get("name") or "") for t in ids}
        return self._templates

    def _template_id(self, template_id: str, name: str) -> str | None:
        templates = self._team_templates()
        if template_id in templates:
            return template_id
        return next((t for t, n in templates.items() if name and n == name), None)

    def _properties(self, path: str, file_ref: str, meta: Mapping[str, Any], member: str,
                    namespace: str | None) -> None:
        names = meta.get("property_templates") or {}
        groups = []
        for group in meta.get("property_groups") or []:
            found = self._template_id(str(group.get("template_id")), str(names.get(group.get("template_id"), "")))
            if found is None:
                self._skip(path, f"properties of template {names.get(group.get('template_id')) or group.get('template_id')}",
                           "the team no longer has this template (restore the team's templates first)")
                continue
            groups.append({"template_id": found, "fields": list(group.get("fields") or [])})
        if not groups:
            return
        try:
            self.session.call("file_properties/properties/overwrite", {"path": file_ref, "property_groups": groups},
                              member=member, namespace=namespace)
        except (DropboxError, ConnectorError) as exc:
            self._skip(path, "properties", f"Dropbox refused them ({getattr(exc, 'summary', '') or exc})")
            return
        self.counts["property_groups"] += len(groups)

    # --- team templates ----------------------------------------------------------------------
    def template(self, path: str, open_content: Callable[[], BinaryIO] | None) -> str:
        if open_content is None:
            raise ValueError(f"{path!r} has no backed-up content")
        with open_content() as stream:
            document = json.loads(stream.read())
        if self._template_id(str(document.get("template_id")), str(document.get("name") or "")) is not None:
            return SKIPPED
        added = self.session.call("file_properties/templates/add_for_team", {
            "name": document["name"], "description": document.get("description") or "",
            "fields": document.get("fields") or []})
        self._team_templates()[str(added["template_id"])] = str(document["name"])
        self.counts["templates"] += 1
        return RESTORED
