"""Dropbox sharing metadata, file properties, members' shared folders and refresh-token sign-in,
against fakecloud as a real process.

Shared folders a member mounted are one scope each however many members mounted them (their own
cursor; the members' own listings leave them out); files keep their explicit members, shared links
and property groups in meta, shared folders their members; the team scope holds the file property
templates; the refresh-token grant works, and a revoked refresh token fails ``check`` clearly; the
new routes' error bodies and throttling follow the Stone spec.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from fakecloud.testing import FakeCloudProcess, throttle_obeyed
from kustos.sources.base import AuthenticationFailed, Item, PermissionMissing, Scope
from kustos.sources.dropbox import DropboxBackupConnector, build_backup
from kustos.sources.dropbox.restore import DropboxRestoreWriter
from kustos.sources.kinds import registry
from tests.contract.connector_contract import drain
from tests.contract.dropbox_fixtures import EGRESS, DropboxApi, module_fakecloud, seed

TEAM = "sharing-dropbox.example"
NINA = "nina@sharing-dropbox.example"
MAX = "max@sharing-dropbox.example"
GUEST = "guest@partner.example"
fakecloud = module_fakecloud()


class Team:
    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.control = cloud.control
        self.control.call("reset")
        self.settings = self.control.credentials("dropbox", TEAM)
        for email in (NINA, MAX):  # creates the members
            self.control.seed("dropbox", TEAM, email, "file", "/.keep", b"")
            self.control.remove("dropbox", TEAM, email, "file", "/.keep")
        self.api = DropboxApi(self.settings)

    def connector(self) -> DropboxBackupConnector:
        return build_backup(self.settings, self.settings["app_secret"], EGRESS, ["files"])

    def scopes(self) -> dict[str, Scope]:
        return {s.id: s for s in self.connector().scopes()}


@pytest.fixture
def team(fakecloud: FakeCloudProcess) -> Team:
    return Team(fakecloud)


def read(item: Item) -> bytes:
    assert item.stream is not None
    return b"".join(item.stream())


def by_path(items: list[Item]) -> dict[str, Item]:
    return {i.meta["path"]: i for i in items}


def test_a_shared_folder_is_one_scope_with_its_own_cursor_and_its_members(team: Team):
    seed(team.control, TEAM, NINA, {"/Projekt/a.txt": b"a", "/Projekt/Sub/b.txt": b"b", "/own.txt": b"own"})
    folder_id = team.api.share(NINA, "/Projekt")
    team.api.add_folder_member(NINA, folder_id, MAX, "editor")
    team.api.add_folder_member(NINA, folder_id, GUEST, "viewer")
    assert team.api.mount(MAX, folder_id)["path_lower"] == "/projekt"
    scopes = team.scopes()
    shared = [s for s in scopes.values() if s.kind == "sharedfolder"]
    assert [(s.id, s.name) for s in shared] == [(f"files:shared:{folder_id}", "Projekt")]  # once, not per member
    # read as the first member (of the team's list) who mounted it; no "email" key, so a CSV line naming
    # that member picks their own scope only
    assert shared[0].meta["mounted_by"] == MAX and "email" not in shared[0].meta
    connector = team.connector()
    first = drain(connector, shared[0], None)
    items = by_path(first.items)
    assert set(items) == {"Projekt", "Projekt/a.txt", "Projekt/Sub", "Projekt/Sub/b.txt"}
    assert read(items["Projekt/Sub/b.txt"]) == b"b" and items["Projekt/a.txt"].source_id == "/projekt/a.txt"
    members = items["Projekt"].meta["members"]
    assert {(u["email"], u["access"]) for u in members["users"]} == {(NINA, "owner"), (MAX, "editor")}
    assert members["invitees"] == [{"email": GUEST, "access": "viewer"}] and members["groups"] == []
    assert items["Projekt"].meta["shared_folder_id"] == folder_id

    # the members' own listings hold the mount point, not the shared folder's contents
    nina = scopes[next(k for k, s in scopes.items() if s.name == NINA)]
    mine = by_path(drain(connector, nina, None).items)
    assert set(mine) == {"Projekt", "own.txt"}
    assert mine["Projekt"].meta["sharing_info"]["shared_folder_id"] == folder_id
    max_scope = scopes[next(k for k, s in scopes.items() if s.name == MAX)]
    max_first = drain(connector, max_scope, None)
    assert [i.meta["path"] for i in max_first.items] == ["Projekt"]

    # a file max adds through his mount arrives in the shared folder's delta only
    team.control.seed("dropbox", TEAM, MAX, "file", "/Projekt/from-max.txt", b"max was here")
    delta = drain(connector, shared[0], first.cursor)
    assert not delta.reset and [i.meta["path"] for i in delta.items] == ["Projekt", "Projekt/from-max.txt"]
    assert drain(connector, max_scope, max_first.cursor).items == []
    team.control.remove("dropbox", TEAM, NINA, "file", "/Projekt/a.txt")
    gone = drain(connector, shared[0], delta.cursor)
    assert [(i.source_id, i.meta["path"]) for i in gone.deletions] == [("/projekt/a.txt", "Projekt/a.txt")]


def test_file_members_links_and_property_groups_are_kept_in_meta(team: Team):
    seed(team.control, TEAM, NINA, {"/Verträge/v1.pdf": b"%PDF v1", "/plain.txt": b"plain"})
    template = team.api.template("Security", "Classification", "Owner")
    team.api.set_properties(NINA, "/Verträge/v1.pdf", template, Classification="confidential", Owner="Legal")
    team.api.add_file_member(NINA, "/Verträge/v1.pdf", MAX, "viewer")
    team.api.add_file_member(NINA, "/Verträge/v1.pdf", GUEST, "editor")
    url = team.api.link(NINA, "/Verträge/v1.pdf", "team_only", expires="2031-01-01T00:00:00Z")
    connector = team.connector()
    scopes = team.scopes()
    nina = next(s for s in scopes.values() if s.name == NINA)
    first = drain(connector, nina, None)
    items = by_path(first.items)
    meta = items["Verträge/v1.pdf"].meta
    assert meta["members"] == {"users": [{"account_id": meta["members"]["users"][0]["account_id"], "email": MAX,
                                          "display_name": "Max", "access": "viewer"}],
                               "groups": [], "invitees": [{"email": GUEST, "access": "editor"}]}
    assert meta["shared_links"] == [{"url": url, "visibility": "team_only", "audience": "team", "access": "viewer",
                                     "expires": "2031-01-01T00:00:00Z"}]
    assert meta["property_groups"] == [{"template_id": template, "fields": [
        {"name": "Classification", "value": "confidential"}, {"name": "Owner", "value": "Legal"}]}]
    assert meta["property_templates"] == {template: "Security"}
    assert not {"members", "shared_links", "property_groups"} & set(items["plain.txt"].meta)
    # the templates: once, in the team scope
    templates = drain(connector, scopes["files:team"], None)
    [doc] = templates.items
    assert doc.kind == "template" and doc.folder == "File property templates"
    assert json.loads(doc.data) == {"template_id": template, "name": "Security", "description": "Security of a file",
                                    "fields": [{"name": "Classification", "description": "Classification",
                                                "type": {".tag": "string"}},
                                               {"name": "Owner", "description": "Owner", "type": {".tag": "string"}}]}
    # a new template: the members' listings start over (reset) so every file's groups are read again
    team.api.template("Retention", "Years")
    again = drain(connector, nina, first.cursor)
    assert again.reset and {i.meta["path"] for i in again.items} == {"Verträge", "Verträge/v1.pdf", "plain.txt"}
    assert len(drain(connector, scopes["files:team"], templates.cursor).items) == 2


def test_throttled_sharing_calls_are_waited_out(team: Team):
    seed(team.control, TEAM, NINA, {"/t.txt": b"t"})
    team.api.add_file_member(NINA, "/t.txt", MAX)
    team.api.link(NINA, "/t.txt")
    team.control.throttle("/dropbox/2/sharing/list_file_members/batch", 1, 1)
    team.control.throttle("/dropbox/2/sharing/list_shared_links", 1, 1)
    nina = next(s for s in team.scopes().values() if s.name == NINA)
    [item] = drain(team.connector(), nina, None).items
    assert [u["email"] for u in item.meta["members"]["users"]] == [MAX] and len(item.meta["shared_links"]) == 1
    assert throttle_obeyed(team.control.stats())
    team.control.throttle("/dropbox/2/file_properties/", 1, 3)
    throttled = team.api.post("file_properties/templates/list_for_team")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json()["error"] == {"reason": {".tag": "too_many_requests"}, "retry_after": 3}


def test_refresh_token_sign_in_and_a_revoked_refresh_token(team: Team):
    kind = registry.get("dropbox")
    refresh = team.settings["refresh_token"]
    settings = {**team.settings, "sign_in": "refresh_token"}
    connector = kind.build(settings, refresh, EGRESS)
    kind.test(connector)
    assert {s.name for s in kind.discover(connector)} >= {NINA, MAX}
    # the emulator: the PKCE refresh needs no secret, a wrong secret is still refused
    grant = team.api.grant(grant_type="refresh_token", refresh_token=refresh, client_id=team.settings["app_key"])
    assert grant.status_code == 200 and grant.json()["token_type"] == "bearer"
    wrong = team.api.grant(grant_type="refresh_token", refresh_token=refresh, client_id=team.settings["app_key"],
                           client_secret="wrong")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    with pytest.raises(AuthenticationFailed, match="refused the refresh token .*do the app's OAuth sign-in again"):
        kind.test(kind.build(settings, "not-the-refresh-token", EGRESS))
    # revoking a token that came from the refresh token revokes the refresh token itself
    revoked = httpx.post(f"{team.settings['endpoint']}/2/auth/token/revoke", content=b"null",
                         headers={"Authorization": f"Bearer {grant.json()['access_token']}"})
    assert revoked.status_code == 200
    with pytest.raises(AuthenticationFailed, match=r"refused the refresh token \(refresh token is invalid or "
                                                   r"revoked\)"):
        kind.test(kind.build(settings, refresh, EGRESS))
    kind.test(kind.build(team.settings, team.settings["app_secret"], EGRESS))  # client credentials still work


def test_the_sharing_and_properties_routes_answer_as_the_spec_says(team: Team):
    seed(team.control, TEAM, NINA, {"/Docs/d.txt": b"d"})
    api = team.api

    def error(route: str, body: Any, **kw: Any) -> Any:
        response = api.post(route, body, **kw)
        assert response.status_code == 409, (route, response.status_code, response.text)
        return response.json()

    assert error("sharing/share_folder", {"path": "/Docs/d.txt"}, member=NINA)["error"] == {
        ".tag": "bad_path", "bad_path": {".tag": "is_file"}}
    folder_id = api.share(NINA, "/Docs")
    already = error("sharing/share_folder", {"path": "/Docs"}, member=NINA)
    assert already["error_summary"].startswith("bad_path/already_shared/")
    assert already["error"]["bad_path"]["already_shared"]["shared_folder_id"] == folder_id
    assert error("sharing/list_folder_members", {"shared_folder_id": folder_id}, member=MAX)["error"] == {
        ".tag": "not_a_member"}
    assert error("sharing/add_file_member", {"file": "/Docs", "members": [{".tag": "email", "email": MAX}]},
                 member=NINA)["error"] == {".tag": "access_error", "access_error": {".tag": "is_folder"}}
    too_many = api.post("sharing/list_file_members/batch", {"files": [f"/f{n}" for n in range(101)]}, member=NINA)
    assert too_many.status_code == 400 and "more than 100" in too_many.text
    batch = api.call("sharing/list_file_members/batch", {"files": ["/Docs/d.txt", "/nope.txt"]}, member=NINA)
    assert batch[0]["result"][".tag"] == "result" and batch[0]["result"]["member_count"] == 0
    assert batch[1]["result"] == {".tag": "access_error", "access_error": {".tag": "invalid_file"}}
    assert api.call("sharing/list_folders", {"limit": 10}, member=NINA)["entries"][0]["path_lower"] == "/docs"
    links = api.call("sharing/list_shared_links", {}, member=NINA)
    assert links == {"links": [], "has_more": False}
    api.link(NINA, "/Docs/d.txt")
    dup = error("sharing/create_shared_link_with_settings", {"path": "/Docs/d.txt"}, member=NINA)
    assert dup["error"][".tag"] == "shared_link_already_exists"
    missing = error("file_properties/templates/get_for_team", {"template_id": "ptid:nope"})
    assert missing["error"] == {".tag": "template_not_found", "template_not_found": "ptid:nope"}
    template = api.template("Security", "Classification")
    assert api.call("file_properties/templates/list_for_team") == {"template_ids": [template]}
    assert error("file_properties/properties/overwrite", {"path": "/Docs/d.txt", "property_groups": [
        {"template_id": template, "fields": [{"name": "Unknown", "value": "x"}]}]}, member=NINA)["error"] == {
        ".tag": "does_not_fit_template"}
    assert error("file_properties/properties/overwrite", {"path": "/Docs", "property_groups": [
        {"template_id": template, "fields": []}]}, member=NINA)["error"] == {".tag": "unsupported_folder"}
    # a member reads a shared folder through Dropbox-API-Path-Root only when they are its member
    denied = api.post("files/list_folder", {"path": ""}, member=MAX, namespace=folder_id)
    assert denied.status_code == 422 and denied.json()["error"] == {".tag": "no_permission"}


def test_restore_writer_reapplies_members_and_properties_and_reports_the_rest(team: Team):
    seed(team.control, TEAM, NINA, {"/r.txt": b"restore me"})
    template = team.api.template("Security", "Classification")
    team.api.set_properties(NINA, "/r.txt", template, Classification="secret")
    team.api.add_file_member(NINA, "/r.txt", GUEST, "editor")
    team.api.link(NINA, "/r.txt")
    nina = next(s for s in team.scopes().values() if s.name == NINA)
    [item] = drain(team.connector(), nina, None).items
    writer = DropboxRestoreWriter(team.connector().session)
    assert writer.write(nina.id, "r.txt", "file", 10, item.meta, lambda: io.BytesIO(b"restore me"),
                        to_account=MAX, to_path="Restored") == "restored"
    assert team.api.file_members(MAX, "/Restored/r.txt") == {GUEST: "editor"}
    assert team.api.properties(MAX, [template]) == {"/Restored/r.txt": {template: {"Classification": "secret"}}}
    report = writer.report()
    assert report["reapplied"] == {"file_members": 1, "property_groups": 1}
    [row] = report["not_reapplied"]
    assert row["path"] == "r.txt" and row["what"].startswith("shared link https://www.dropbox.com/scl/fi/")


def test_a_sweep_reads_sharing_and_properties_that_changed_without_a_new_revision(team: Team):
    seed(team.control, TEAM, NINA, {"/s.txt": b"same bytes"})
    template = team.api.template("Security", "Classification")
    connector = team.connector()
    nina = next(s for s in team.scopes().values() if s.name == NINA)
    first = drain(connector, nina, None)
    assert "members" not in first.items[0].meta
    team.api.add_file_member(NINA, "/s.txt", MAX, "editor")
    team.api.set_properties(NINA, "/s.txt", template, Classification="internal")
    assert drain(connector, nina, first.cursor).items == []  # no new revision: the delta is empty
    connector.services["files"].sweep = 0  # the last full listing is older than the sweep interval
    swept = drain(connector, nina, first.cursor)
    [item] = swept.items
    assert swept.reset and item.meta["members"]["users"][0]["email"] == MAX
    assert item.meta["property_groups"] == [{"template_id": template, "fields": [
        {"name": "Classification", "value": "internal"}]}]


def test_an_app_without_the_template_permission_says_so_and_still_backs_up_files(team: Team):
    seed(team.control, TEAM, NINA, {"/f.txt": b"f"})
    team.api.template("Security", "Classification")
    team.control.call("dropbox/app_scopes", tenant=TEAM, scopes=["files.metadata.read", "files.content.read",
                                                                 "sharing.read", "members.read"])
    connector = team.connector()
    scopes = team.scopes()
    raw = DropboxApi(team.settings).post("file_properties/templates/list_for_team")
    assert raw.status_code == 401 and raw.json()["error"] == {".tag": "missing_scope",
                                                              "required_scope": "files.team_metadata.write"}
    with pytest.raises(PermissionMissing, match="lacks the permission files.team_metadata.write .*the team's file "
                                                "property templates"):
        drain(connector, scopes["files:team"], None)
    nina = next(s for s in scopes.values() if s.name == NINA)
    [item] = drain(connector, nina, None).items  # the files without their property groups
    assert read(item) == b"f" and "property_groups" not in item.meta
    team.control.call("dropbox/app_scopes", tenant=TEAM, scopes=[])
