"""Box backup and restore beyond the content, against fakecloud as a real process: the enterprise's metadata
templates as items of the ``enterprise`` service (marker paged, unchanged carried over, deletions), each
file's own collaborations in its meta, comments / metadata instances / collaborations / templates written
back by the restore writer (with what could not be re-applied reported), the emulator's write routes as the
Box OpenAPI describes them, and ``202 Accepted`` + ``Retry-After`` waited out (bounded) for a download whose
content is not ready and for an upload session commit whose parts are still processed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import ConnectorError, PermissionMissing, Scope
from kustos.sources.box import TemplatesService, build_restore
from kustos.sources.box.reapply import comment_text
from kustos.sources.box.session import box_error
from tests.contract.box_fixtures import EGRESS, BoxApi, BoxEnterprise, everything, read, sha

ENTERPRISE = "box-meta-ent"
USER = "nina@box-meta.example"
OTHER = "omar@box-meta.example"
PEER = "paul@box-meta.example"
CONTRACT = {"displayName": "Contract", "fields": [{"key": "number", "type": "string"},
                                                  {"key": "amount", "type": "float"}]}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def box(fakecloud: FakeCloudProcess) -> BoxEnterprise:
    return BoxEnterprise(fakecloud, ENTERPRISE, [USER, OTHER, PEER])


def user_ids(box: BoxEnterprise) -> dict[str, str]:
    return {s.name: s.meta["account"] for s in box.build(["files"]).scopes()}


def requests_to(box: BoxEnterprise, path: str) -> int:
    return len([r for r in box.control.stats()["requests"] if r["path"] == path])


def test_templates_are_items_of_the_enterprise_scope_paged_carried_and_deleted(box: BoxEnterprise) -> None:
    box.control.seed("box", ENTERPRISE, USER, "metadata_template", "/contract", json.dumps(CONTRACT).encode())
    box.seed(USER, "/a.txt", b"a", metadata={"invoice": {"number": "R-1"}, "project": {"code": "P7"}})
    connector = box.build(["files", "enterprise"])
    scopes = {s.id: s for s in connector.scopes()}
    assert f"enterprise:{ENTERPRISE}" in scopes and scopes[f"enterprise:{ENTERPRISE}"].kind == "enterprise"
    connector.check()

    service = TemplatesService(connector.session, page_size=2)
    scope = Scope(id=ENTERPRISE, kind="enterprise")
    before = requests_to(box, "/2.0/metadata_templates/enterprise")
    [batch] = list(service.fetch(scope, None))
    assert requests_to(box, "/2.0/metadata_templates/enterprise") - before == 2  # 3 templates, pages of 2
    by_path = {f"{i.folder}/{i.meta['name']}": i for i in batch.items}
    assert sorted(by_path) == ["metadata_templates/contract.json", "metadata_templates/invoice.json",
                               "metadata_templates/project.json"]
    contract = json.loads(by_path["metadata_templates/contract.json"].data)
    served = BoxApi(connector).get("/metadata_templates/enterprise/contract/schema").json()
    assert contract == served and [f["key"] for f in contract["fields"]] == ["number", "amount"]
    assert {i.kind for i in batch.items} == {"metadata_template"} and all(i.meta["hash"] for i in batch.items)

    box.control.remove("box", ENTERPRISE, "", "metadata_template", "/invoice")
    items, _cursor, _reset = everything(connector, Scope(id=f"enterprise:{ENTERPRISE}", kind="enterprise"),
                                        batch.next_cursor)
    assert [(i.meta["name"], i.deleted) for i in items if i.deleted] == [("invoice.json", True)]
    assert {i.meta["hash"] for i in items if not i.deleted} == {by_path["metadata_templates/contract.json"].meta["hash"],
                                                                by_path["metadata_templates/project.json"].meta["hash"]}


def test_each_file_keeps_its_own_collaborations(box: BoxEnterprise) -> None:
    box.seed(USER, "/Shared/deal.txt", b"deal", file_collaborators=[OTHER], external_collaborators=["eve@partner.example"],
             collaborators=[PEER])
    box.seed(USER, "/Shared/plain.txt", b"plain")
    connector = box.build(["files"])
    items, _, _ = everything(connector, Scope(id=f"files:{user_ids(box)[USER]}", kind="user"))
    by_path = {i.meta["path"]: i for i in items}
    deal = by_path["Shared/deal.txt"].meta["collaborations"]
    assert sorted((c["accessible_by"]["login"], c["role"], c["status"]) for c in deal) == [
        ("eve@partner.example", "viewer", "pending"), (OTHER, "editor", "accepted")]
    assert by_path["Shared/plain.txt"].meta["collaborations"] == []
    assert [c["accessible_by"]["login"] for c in by_path["Shared"].meta["collaborations"]] == [PEER]


def test_emulator_write_routes_answer_as_the_openapi_says(box: BoxEnterprise) -> None:
    user = user_ids(box)[USER]
    file_id = box.seed(USER, "/x.txt", b"x")["id"]
    api = BoxApi(box.build(["files"]))
    assert api.post("/metadata_templates/schema", {"scope": "enterprise", "templateKey": "deal", "displayName": "Deal",
                                                   "fields": [{"type": "string", "key": "stage", "displayName": "Stage"}]
                                                   }).status_code == 201
    again = api.post("/metadata_templates/schema", {"scope": "enterprise", "templateKey": "deal", "displayName": "D"})
    assert again.status_code == 400 and again.json()["code"] == "bad_request"
    refused = api.post("/metadata_templates/schema", {"scope": "global", "displayName": "G"})
    assert refused.status_code == 403
    assert isinstance(box_error(refused), PermissionMissing)
    assert "'Manage enterprise properties' (metadata templates)" in str(box_error(refused))

    where = f"/files/{file_id}/metadata/enterprise/deal"
    created = api.post(where, {"stage": "open"}, user)
    assert created.status_code == 201 and created.json()["$template"] == "deal" and created.json()["stage"] == "open"
    twice = api.post(where, {"stage": "won"}, user)
    assert twice.status_code == 409 and twice.json()["code"] == "tuple_already_exists"
    wrong = api.post(where.replace("deal", "nope"), {"a": 1}, user)
    assert wrong.status_code == 404 and wrong.json()["code"] == "instance_tuple_not_found"
    other_file = box.seed(USER, "/y.txt", b"y")["id"]
    bad = api.post(f"/files/{other_file}/metadata/enterprise/deal", {"colour": "red"}, user)
    assert bad.status_code == 400 and bad.json()["code"] == "schema_validation_failed"
    patched = api.post(where, [{"op": "replace", "path": "/stage", "value": "won"}], user,
                       content_type="application/json-patch+json", method="PUT")
    assert patched.status_code == 200 and patched.json()["stage"] == "won"
    assert api.get(where, user).json()["stage"] == "won"

    outsider = api.post("/collaborations", {"item": {"type": "file", "id": file_id}, "role": "viewer",
                                            "accessible_by": {"type": "user", "login": "eve@partner.example"}}, user)
    assert outsider.status_code == 403 and outsider.json()["code"] == "forbidden_by_policy"
    share = {"item": {"type": "file", "id": file_id}, "role": "editor", "accessible_by": {"type": "user", "login": OTHER}}
    assert api.post("/collaborations", share, user).status_code == 201
    dupe = api.post("/collaborations", share, user)
    assert dupe.status_code == 409 and dupe.json()["code"] == "user_already_collaborator"
    listed = api.get(f"/files/{file_id}/collaborations", user, limit=1).json()
    assert [c["accessible_by"]["login"] for c in listed["entries"]] == [OTHER] and listed["next_marker"] is None
    comment = api.post("/comments", {"message": "hello", "item": {"type": "file", "id": file_id}}, user)
    assert comment.status_code == 201 and comment.json()["created_by"]["login"] == USER


def test_restore_writer_writes_comments_metadata_collaborations_and_reports_what_it_could_not(
        box: BoxEnterprise) -> None:
    box.control.seed("box", ENTERPRISE, USER, "metadata_template", "/contract", json.dumps(CONTRACT).encode())
    data = b"the contract\n"
    box.seed(USER, "/Deals/contract.txt", data, comments=["please sign", "signed"],
             metadata={"contract": {"number": "V-9", "amount": 12.5}}, file_collaborators=[PEER],
             external_collaborators=["eve@partner.example"], collaborators=[PEER])
    ids = user_ids(box)
    items, _, _ = everything(box.build(["files"]), Scope(id=f"files:{ids[USER]}", kind="user"))
    by_path = {i.meta["path"]: i for i in items}
    folder, item = by_path["Deals"], by_path["Deals/contract.txt"]
    assert len(item.meta["comments"]) == 2 and item.meta["comments"][0]["created_by"] == USER

    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    account = f"files:{ids[USER]}"
    assert writer.write(account, "Deals", "folder", 0, folder.meta, None, to_account=OTHER) == "restored"
    assert writer.write(account, "Deals/contract.txt", "file", len(data), item.meta, lambda: io.BytesIO(data),
                        to_account=OTHER) == "restored"
    got = box.files(OTHER)["/Deals/contract.txt"]
    assert got["sha256"] == sha(data)
    assert got["comments"] == [comment_text(c) for c in item.meta["comments"]]
    assert "please sign" in got["comments"][0] and USER in got["comments"][0]
    assert got["metadata"] == {"contract": {"number": "V-9", "amount": 12.5}}
    assert got["collaborations"] == [[PEER, "editor"]]
    assert box.folders(OTHER)["/Deals"]["collaborations"] == [[PEER, "editor"]]
    report = writer.report()
    assert report["reapplied"] == {"comments": 2, "metadata": 1, "collaborations": 2, "templates": 0}
    assert [(p["path"], p["what"]) for p in report["not_reapplied"]] == [
        ("Deals/contract.txt", "collaboration of user eve@partner.example (viewer)")]
    assert "forbidden_by_policy" in report["not_reapplied"][0]["reason"]

    # Replaced in place: a new version; comments and collaborations already there are not added twice, the
    # metadata instance that changed meanwhile is patched back.
    box.seed(OTHER, "/Deals/contract.txt", b"tampered", metadata={"contract": {"number": "X-1"}})
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    assert writer.write(account, "Deals/contract.txt", "file", len(data), item.meta, lambda: io.BytesIO(data),
                        to_account=OTHER, conflict="replace") == "restored"
    got = box.files(OTHER)["/Deals/contract.txt"]
    assert got["sha256"] == sha(data) and len(got["comments"]) == 2 and got["collaborations"] == [[PEER, "editor"]]
    assert got["metadata"] == {"contract": {"number": "V-9", "amount": 12.5}}
    assert writer.report()["reapplied"] == {"comments": 0, "metadata": 1, "collaborations": 0, "templates": 0}

    # Restored into its owner's own Box, a collaboration with the owner is not re-applied (and said so).
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    meta = {**item.meta, "collaborations": [{"role": "editor", "accessible_by": {"type": "user", "id": ids[OTHER],
                                                                                  "login": OTHER}}]}
    writer.write(account, "Deals/contract.txt", "file", len(data), meta, lambda: io.BytesIO(data), to_account=OTHER,
                 conflict="copy")
    assert [p["reason"] for p in writer.report()["not_reapplied"]] == ["the target user owns the restored item"]

    # Replaced in its own place: the original comments are still there and are not added again.
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    assert writer.write(account, "Deals/contract.txt", "file", len(data), item.meta, lambda: io.BytesIO(data),
                        conflict="replace") == "restored"
    assert box.files(USER)["/Deals/contract.txt"]["comments"] == ["please sign", "signed"]
    assert writer.report()["reapplied"]["comments"] == 0


def test_restore_writer_creates_a_missing_template_and_skips_an_existing_one(box: BoxEnterprise) -> None:
    box.control.seed("box", ENTERPRISE, USER, "metadata_template", "/contract", json.dumps(CONTRACT).encode())
    box.seed(USER, "/a.txt", b"a", metadata={"contract": {"number": "V-1"}})
    ids = user_ids(box)
    connector = box.build(["files", "enterprise"])
    [template] = [i for i in everything(connector, Scope(id=f"enterprise:{ENTERPRISE}", kind="enterprise"))[0]
                  if i.meta["name"] == "contract.json"]
    [file] = [i for i in everything(connector, Scope(id=f"files:{ids[USER]}", kind="user"))[0] if i.kind == "file"]
    assert file.meta["metadata_templates"]["contract"] == json.loads(template.data)  # the schema beside the file
    files, enterprise = f"files:{ids[USER]}", f"enterprise:{ENTERPRISE}"

    # The template is gone: the enterprise's template item re-creates it; restored again it is left alone.
    box.control.remove("box", ENTERPRISE, "", "metadata_template", "/contract")
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    assert writer.write(enterprise, "metadata_templates/contract.json", "metadata_template", len(template.data), {},
                        lambda: io.BytesIO(template.data)) == "restored"
    assert box.templates()["/contract"]["fields"] == ["number", "amount"]
    assert writer.write(enterprise, "metadata_templates/contract.json", "metadata_template", len(template.data), {},
                        lambda: io.BytesIO(template.data)) == "skipped"
    assert writer.report()["reapplied"]["templates"] == 1

    # Gone again and only the file restored: the schema kept beside the file re-creates it before the instance.
    box.control.remove("box", ENTERPRISE, "", "metadata_template", "/contract")
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    assert writer.write(files, "a.txt", "file", 1, file.meta, lambda: io.BytesIO(b"a"), to_account=OTHER) == "restored"
    assert box.files(OTHER)["/a.txt"]["metadata"] == {"contract": {"number": "V-1"}}
    assert box.templates()["/contract"]["fields"] == ["number", "amount"]
    report = writer.report()
    assert report["reapplied"] == {"comments": 0, "metadata": 1, "collaborations": 0, "templates": 1}
    assert report["not_reapplied"] == []

    # The template lost a field the instance has: the kept schema adds it back (nothing else of it changes).
    box.control.seed("box", ENTERPRISE, USER, "metadata_template", "/contract",
                     json.dumps({"displayName": "Contract (new)", "fields": [{"key": "number", "type": "string"},
                                                                             {"key": "owner", "type": "string"}]}
                                ).encode())
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    full = {**file.meta, "metadata": [{**file.meta["metadata"][0], "amount": 7.0}]}
    assert writer.write(files, "a.txt", "file", 1, full, lambda: io.BytesIO(b"a"), to_account=OTHER,
                        conflict="copy") == "restored"
    assert box.files(OTHER)["/a (1).txt"]["metadata"] == {"contract": {"number": "V-1", "amount": 7.0}}
    assert box.templates()["/contract"] == {"path": "/contract", "displayName": "Contract (new)",
                                            "fields": ["number", "owner", "amount"]}
    assert writer.report()["reapplied"] == {"comments": 0, "metadata": 1, "collaborations": 0, "templates": 1}
    assert writer.write(enterprise, "metadata_templates/contract.json", "metadata_template", len(template.data), {},
                        lambda: io.BytesIO(template.data)) == "skipped"  # it has every backed-up field now

    # Without the schema (and without the template) the instance cannot be written: the report says why.
    box.control.remove("box", ENTERPRISE, "", "metadata_template", "/contract")
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    bare = {k: v for k, v in file.meta.items() if k != "metadata_templates"}
    assert writer.write(files, "a.txt", "file", 1, bare, lambda: io.BytesIO(b"a"), to_account=PEER) == "restored"
    [problem] = writer.report()["not_reapplied"]
    assert problem["what"] == f"metadata enterprise_{ENTERPRISE}.contract" and "does not exist" in problem["reason"]
    assert box.files(PEER)["/a.txt"]["metadata"] == {}


def test_a_download_not_ready_yet_is_waited_out_and_gives_up_after_the_bound(box: BoxEnterprise) -> None:
    content = b"just uploaded " * 100
    box.seed(USER, "/fresh.bin", content, not_ready=2, retry_after=0.2)
    connector = box.build(["files"])
    [item] = [i for i in everything(connector, Scope(id=f"files:{user_ids(box)[USER]}", kind="user"))[0]]
    assert read(item) == content
    assert requests_to(box, f"/2.0/files/{item.source_id}/content") == 3  # 202, 202, then the 302
    waits: list[float] = []
    connector.session.sleep = waits.append
    assert waits == [] and read(item) == content  # ready now: no wait

    box.seed(USER, "/stuck.bin", b"stuck", not_ready=50, retry_after=120)
    connector.session.ready_attempts = 3
    [stuck] = [i for i in everything(connector, Scope(id=f"files:{user_ids(box)[USER]}", kind="user"))[0]
               if i.meta["name"] == "stuck.bin"]
    with pytest.raises(ConnectorError, match="still answered 202"):
        read(stuck)
    assert waits == [30.0, 30.0, 30.0]  # Retry-After 120 obeyed at most READY_WAIT seconds at a time


def test_an_upload_session_commit_answered_202_is_retried(box: BoxEnterprise) -> None:
    big = (bytes(range(256)) * 80_000)[:20_000_003]
    box.seed(USER, "/.marker", b"", commits_pending=2, retry_after=0.1)
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    assert writer.write(f"files:{user_ids(box)[USER]}", "Media/big.bin", "file", len(big), {},
                        lambda: io.BytesIO(big), to_account=OTHER) == "restored"
    assert box.files(OTHER)["/Media/big.bin"]["sha256"] == sha(big)
    commits = [r for r in box.control.stats()["requests"]
               if r["path"].startswith("/api/2.0/files/upload_sessions/") and r["path"].endswith("/commit")]
    assert len(commits) == 3  # 202, 202, 201


def test_comment_collaboration_and_metadata_changes_are_seen_by_the_next_incremental_run(box: BoxEnterprise) -> None:
    ids = user_ids(box)
    file_id = box.seed(USER, "/Team/memo.txt", b"memo", metadata={"memo": {"topic": "budget"}})["id"]
    connector = box.build(["files"])
    scope = Scope(id=f"files:{ids[USER]}", kind="user")
    _items, cursor, _ = everything(connector, scope)
    api = BoxApi(connector)
    folder_id = next(i.source_id for i in _items if i.meta["path"] == "Team")
    assert api.post("/comments", {"message": "looks fine", "item": {"type": "file", "id": file_id}},
                    ids[USER]).status_code == 201
    assert api.post("/collaborations", {"item": {"type": "folder", "id": folder_id}, "role": "viewer",
                                        "accessible_by": {"type": "user", "id": ids[PEER]}}, ids[USER]).status_code == 201
    assert api.post(f"/files/{file_id}/metadata/enterprise/memo", [{"op": "replace", "path": "/topic", "value": "tax"}],
                    ids[USER], content_type="application/json-patch+json", method="PUT").status_code == 200
    items, cursor, reset = everything(connector, scope, cursor)
    assert not reset
    by_path = {i.meta["path"]: i for i in items}
    assert sorted(by_path) == ["Team", "Team/memo.txt"]
    assert [c["message"] for c in by_path["Team/memo.txt"].meta["comments"]] == ["looks fine"]
    assert by_path["Team/memo.txt"].meta["metadata"][0]["topic"] == "tax"
    assert [(c["accessible_by"]["login"], c["role"]) for c in by_path["Team"].meta["collaborations"]] == [
        (PEER, "viewer")]
    assert everything(connector, scope, cursor)[0] == []

    # An event whose source is an EventSource (item_type / item_id) names its item the same way.
    service = connector.services["files"]
    [item] = service._changes(Scope(id=ids[USER], kind="user"), [
        {"type": "event", "event_type": "COMMENT_CREATE",
         "source": {"item_type": "file", "item_id": file_id, "item_name": "memo.txt"}}], {"0": ""})
    assert item.source_id == file_id and item.meta["path"] == "Team/memo.txt"


def test_a_write_back_box_refuses_is_reported_and_the_file_stays_restored(box: BoxEnterprise) -> None:
    data = b"memo\n"
    box.seed(USER, "/memo.txt", data, comments=["first"], file_collaborators=[PEER])
    ids = user_ids(box)
    [item] = [i for i in everything(box.build(["files"]), Scope(id=f"files:{ids[USER]}", kind="user"))[0]]
    box.control.throttle("/2.0/comments", 1, 100_000)  # throttled far past the retry budget
    writer = build_restore(box.settings, box.settings["client_secret"], EGRESS)
    assert writer.write(f"files:{ids[USER]}", "memo.txt", "file", len(data), item.meta, lambda: io.BytesIO(data),
                        to_account=OTHER) == "restored"
    got = box.files(OTHER)["/memo.txt"]
    assert got["sha256"] == sha(data) and got["comments"] == [] and got["collaborations"] == [[PEER, "editor"]]
    report = writer.report()
    assert report["reapplied"]["collaborations"] == 1
    [problem] = report["not_reapplied"]
    assert problem["path"] == "memo.txt" and problem["what"] == "comments" and "throttling" in problem["reason"]


def test_a_template_box_will_not_show_leaves_the_file_backed_up_without_its_schema(box: BoxEnterprise) -> None:
    box.seed(USER, "/a.txt", b"a", metadata={"contract": {"number": "V-1"}})
    box.control.throttle("/2.0/metadata_templates/enterprise/contract/schema", 1, 0, status=403)
    [file] = [i for i in everything(box.build(["files"]), Scope(id=f"files:{user_ids(box)[USER]}", kind="user"))[0]]
    assert file.meta["metadata"][0]["number"] == "V-1" and "metadata_templates" not in file.meta
    assert read(file) == b"a"
