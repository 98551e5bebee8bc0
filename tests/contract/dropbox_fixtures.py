"""Set-up shared by the Dropbox contract and integration tests: the fakecloud process fixture, the
emulator's view of a team's files, and raw Dropbox API calls (as the team or as a member) for
arranging sharing, properties and tokens the way an admin or user would."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.egress import EgressPolicy

EGRESS = EgressPolicy.from_values(False, ["127.0.0.1/32"])


def module_fakecloud() -> Callable[[], Iterator[FakeCloudProcess]]:
    """``fakecloud = module_fakecloud()`` in a test module: one fakecloud process per module."""

    @pytest.fixture(scope="module")
    def fakecloud() -> Iterator[FakeCloudProcess]:
        with running_fakecloud() as process:
            yield process

    return fakecloud


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_of(control: Any, team: str, account: str) -> dict[str, str]:
    """The emulator's files of a member (e-mail), ``teamfolder:<name>`` or ``sharedfolder:<name>``: path → sha256."""
    return {row["path"]: row["sha256"] for row in control.items("dropbox", team, "file", account)}


def seed(control: Any, team: str, account: str, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        control.seed("dropbox", team, account, "file", path, data)


class DropboxApi:
    """Raw calls on the emulated Dropbox with a team token (client credentials)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.endpoint = settings["endpoint"]
        self.settings = settings
        self.token = self.grant(grant_type="client_credentials", client_id=settings["app_key"],
                                client_secret=settings["app_secret"]).json()["access_token"]
        self._members: dict[str, str] = {}

    def grant(self, **form: str) -> httpx.Response:
        return httpx.post(f"{self.endpoint}/oauth2/token", data=form)

    def post(self, route: str, body: Any = None, *, member: str | None = None, namespace: str | None = None,
             token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"}
        if member:
            headers["Dropbox-API-Select-User"] = self.member_id(member)
        if namespace:
            headers["Dropbox-API-Path-Root"] = json.dumps({".tag": "namespace_id", "namespace_id": namespace})
        return httpx.post(f"{self.endpoint}/2/{route}", content=json.dumps(body).encode(), headers=headers)

    def call(self, route: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.post(route, body, **kwargs)
        assert response.status_code == 200, (route, response.status_code, response.text)
        return response.json()

    def member_id(self, key: str) -> str:
        """A member's team member id from their e-mail address (ids pass through)."""
        if key.startswith("dbmid:"):
            return key
        if not self._members:
            rows = self.call("team/members/list", {"limit": 1000})["members"]
            self._members = {r["profile"]["email"]: r["profile"]["team_member_id"] for r in rows}
        if key not in self._members:
            self._members = {}
            rows = self.call("team/members/list", {"limit": 1000})["members"]
            self._members = {r["profile"]["email"]: r["profile"]["team_member_id"] for r in rows}
        return self._members[key]

    # --- what an admin or a user does ---------------------------------------------------------
    def share(self, member: str, path: str) -> str:
        """Share a folder of the member's; returns the shared folder id."""
        return str(self.call("sharing/share_folder", {"path": path}, member=member)["shared_folder_id"])

    def add_folder_member(self, member: str, folder_id: str, email: str, level: str = "editor") -> None:
        self.call("sharing/add_folder_member", {"shared_folder_id": folder_id, "members": [
            {"member": {".tag": "email", "email": email}, "access_level": {".tag": level}}]}, member=member)

    def mount(self, member: str, folder_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("sharing/mount_folder", {"shared_folder_id": folder_id}, member=member)
        return result

    def add_file_member(self, member: str, path: str, email: str, level: str = "viewer") -> None:
        rows = self.call("sharing/add_file_member", {"file": path, "members": [{".tag": "email", "email": email}],
                                                     "access_level": {".tag": level}}, member=member)
        assert rows[0]["result"][".tag"] == "success"

    def link(self, member: str, path: str, visibility: str = "public", expires: str | None = None) -> str:
        settings: dict[str, Any] = {"requested_visibility": {".tag": visibility}}
        if expires:
            settings["expires"] = expires
        return str(self.call("sharing/create_shared_link_with_settings", {"path": path, "settings": settings},
                             member=member)["url"])

    def template(self, name: str, *fields: str) -> str:
        return str(self.call("file_properties/templates/add_for_team", {
            "name": name, "description": f"{name} of a file",
            "fields": [{"name": f, "description": f, "type": {".tag": "string"}} for f in fields]})["template_id"])

    def set_properties(self, member: str, path: str, template_id: str, **values: str) -> None:
        self.call("file_properties/properties/overwrite", {"path": path, "property_groups": [
            {"template_id": template_id, "fields": [{"name": k, "value": v} for k, v in values.items()]}]},
            member=member)

    def file_members(self, member: str, path: str, namespace: str | None = None) -> dict[str, str]:
        """A file's explicit members: e-mail → access level (users and invitees)."""
        raw = self.call("sharing/list_file_members", {"file": path}, member=member, namespace=namespace)
        return members_by_email(raw)

    def folder_members(self, member: str, folder_id: str) -> dict[str, str]:
        return members_by_email(self.call("sharing/list_folder_members", {"shared_folder_id": folder_id},
                                          member=member))

    def properties(self, member: str, template_ids: list[str], namespace: str | None = None) -> dict[str, Any]:
        """path → {template id: {field: value}} of every file of the member's listing with properties."""
        page = self.call("files/list_folder", {"path": "", "recursive": True, "include_property_groups": {
            ".tag": "filter_some", "filter_some": template_ids}}, member=member, namespace=namespace)
        return {row["path_display"]: {g["template_id"]: {f["name"]: f["value"] for f in g["fields"]}
                                      for g in row["property_groups"]}
                for row in page["entries"] if row.get("property_groups")}


def members_by_email(raw: dict[str, Any]) -> dict[str, str]:
    out = {row["user"]["email"]: row["access_type"][".tag"] for row in raw["users"]}
    out.update({row["invitee"]["email"]: row["access_type"][".tag"] for row in raw["invitees"]})
    return out
