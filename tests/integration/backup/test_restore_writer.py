"""The Microsoft 365 restore writer's rules that need no server: target account mapping, target paths,
read-only properties, conflict modes and upload fragment sizes (Graph wants multiples of 320 KiB)."""

from __future__ import annotations

import pytest

from kustos.sources.graph.backup.restore_files import UNIT, FileRestorer, behaviour
from kustos.sources.graph.backup.restore_items import writable
from kustos.sources.graph.backup.restore_sharepoint import inferred_column, writable_fields
from kustos.sources.graph.backup.restore_teams import DownloadOnly, restored_body
from kustos.sources.graph.backup.restore_writer import GraphRestoreWriter, RestoreError, join, target_user
from kustos.sources.graph.backup.session import GraphSession


def session() -> GraphSession:
    return GraphSession("tenant", "client", "secret", endpoint="http://127.0.0.1:9/v1.0",
                        login_endpoint="http://127.0.0.1:9")


def test_target_user_keeps_the_service_and_refuses_a_different_one():
    assert target_user("onedrive:u-1", None) == ("onedrive", "u-1")
    assert target_user("mail:u-1", "max@example.org") == ("mail", "max@example.org")
    assert target_user("mail:u-1", "mail:u-2") == ("mail", "u-2")
    with pytest.raises(RestoreError, match="cannot restore mail data into a onedrive account"):
        target_user("mail:u-1", "onedrive:u-2")
    with pytest.raises(RestoreError, match="names no service"):
        target_user("u-1", None)


def test_paths_below_a_target_folder_and_no_escape():
    assert join("Restored/2026", "Docs/a.txt") == "Restored/2026/Docs/a.txt"
    assert join(None, "/Docs/a.txt") == "Docs/a.txt"
    with pytest.raises(RestoreError, match="invalid target path"):
        join("../elsewhere", "a.txt")


def test_read_only_properties_are_stripped():
    event = {"id": "e1", "changeKey": "ck", "iCalUId": "x", "subject": "Kickoff", "@odata.etag": "W/1",
             "@odata.type": "#microsoft.graph.event", "start": {"dateTime": "2026-06-01T09:00:00"},
             "attachments": [{"name": "a.txt"}], "recurrence": {"pattern": {"type": "daily"}}}
    assert writable("event", event) == {"subject": "Kickoff", "@odata.type": "#microsoft.graph.event",
                                        "start": {"dateTime": "2026-06-01T09:00:00"},
                                        "recurrence": {"pattern": {"type": "daily"}}}
    assert writable("task", {"id": "t", "title": "Milch", "createdDateTime": "x", "checklistItems": []}) == {
        "title": "Milch"}


def test_conflict_modes_and_fragment_sizes():
    assert [behaviour(m) for m in ("skip", "copy", "replace")] == ["fail", "rename", "replace"]
    with pytest.raises(ValueError, match="unknown conflict mode 'merge'"):
        behaviour("merge")
    s = session()
    try:
        assert FileRestorer(s, fragment=3 * UNIT).fragment == 983_040
        with pytest.raises(ValueError, match="not a positive multiple of 320 KiB"):
            FileRestorer(s, fragment=1_000_000)
    finally:
        s.close()


def test_unsupported_services_and_kinds_fail_by_name_before_any_request():
    writer = GraphRestoreWriter(session())
    try:
        with pytest.raises(RestoreError, match="restoring gmail items is not supported yet"):
            writer.write("gmail:u-1", "Inbox/1", "mail", 1, {}, None)
        with pytest.raises(DownloadOnly, match="^download only: Microsoft Graph does not let an application post "
                                               "into users' chats"):
            writer.write("teams:chats_u-1", "Lunch/1", "chatmessage", 1, {}, lambda: None)
        with pytest.raises(DownloadOnly, match="^download only: Microsoft Graph does not let an application write "
                                               "to a team's group calendar"):
            writer.write("teams:team-1", "Calendar/e1", "event", 1, {}, lambda: None)
        with pytest.raises(RestoreError, match="'General/1' has no backed-up content"):
            writer.write("teams:team-1", "General/1", "channelmessage", 1, {}, None)
        with pytest.raises(RestoreError, match="items of kind 'channelmessage' of mail cannot be restored yet"):
            writer.write("mail:u-1", "Inbox/x", "channelmessage", 1, {}, lambda: None)
        with pytest.raises(ValueError, match="unknown conflict mode"):
            writer.write("onedrive:u-1", "a.txt", "file", 1, {}, None, conflict="overwrite")
    finally:
        writer.close()


def test_list_item_fields_lose_what_sharepoint_sets_itself():
    fields = {"@odata.etag": '"a,1"', "id": "7", "Title": "Angebot", "Status": "offen", "Menge": 3,
              "Created": "2026-01-01T00:00:00Z", "Modified": "2026-01-02T00:00:00Z", "AuthorLookupId": "6",
              "EditorLookupId": "6", "ContentType": "Item", "Attachments": False, "LinkTitle": "Angebot",
              "LinkTitleNoMenu": "Angebot", "_UIVersionString": "1.0", "_ComplianceFlags": "", "Edit": ""}
    assert writable_fields(fields) == {"Title": "Angebot", "Status": "offen", "Menge": 3}
    assert [inferred_column(n, v) for n, v in (("A", "x"), ("B", 2.5), ("C", True))] == [
        {"name": "A", "displayName": "A", "text": {}}, {"name": "B", "displayName": "B", "number": {}},
        {"name": "C", "displayName": "C", "boolean": {}}]


def test_a_restored_message_names_its_author_and_time_and_escapes_plain_text():
    posted = restored_body({"from": {"user": {"displayName": "Lena <L>"}}, "createdDateTime": "2026-06-01T10:00Z",
                            "subject": "Plan", "body": {"contentType": "text", "content": "a < b\nc"}})
    assert posted == {"subject": "Plan", "body": {"contentType": "html", "content": (
        "<p><em>Restored message, originally posted by Lena &lt;L&gt; on 2026-06-01T10:00Z</em></p>"
        "<p>a &lt; b<br>c</p>")}}
    html_body = restored_body({"body": {"contentType": "html", "content": "<b>hi</b>"}})["body"]["content"]
    assert html_body == "<p><em>Restored message, originally posted by unknown on an unknown time</em></p><b>hi</b>"
