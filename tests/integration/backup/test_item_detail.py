"""One item of a snapshot in detail (dashboard, API, CLI): its metadata as backed up and its versions across
the plan's snapshots; restore and download of exactly this item start from it; another customer's item
is not found."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from kustos.backup.services import plans
from kustos.cli import registry as cli
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.backup.test_api import bearer
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.content.decode()))


def _three_snapshots(source, cloud) -> list[str]:
    plan = plans.enable(source)
    execute(plans.run_now(plan, actor="test").id)                      # notes.txt version 1
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", b"second version\n")
    execute(plans.run_now(plan, actor="test").id)                      # version 2
    cloud.put("anna", "m9", "mail", "Mail/Inbox", "m9", b"Subject: other\r\n\r\nx\r\n")
    execute(plans.run_now(plan, actor="test").id)                      # notes.txt unchanged
    return [s.id for s in plan.snapshots.order_by("time")]


def test_item_page_shows_metadata_and_versions_and_restores_this_item(source, cloud):
    first, second, third = _three_snapshots(source, cloud)
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=source.customer))
    base = f"/customers/{source.customer_id}/sources/{source.id}/backup"

    browse = admin.get(f"{base}/browse/", {"snapshot": first, "account": "anna", "path": "Documents"})
    link = re.search(r'data-testid="backup-item-link" href="([^"]*notes\.txt[^"]*)"', browse.content.decode())
    assert link, "the browse page links each item to its detail"
    page = admin.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    body = text(page)
    assert "Documents/notes.txt" in body and "Details as backed up" in body
    assert "eTag d2.1" in body and "owner anna" in body  # the platform's metadata of version 1
    versions = re.search(r'data-testid="backup-item-versions".*?</table>', page.content.decode(), re.S).group(0)
    states = re.findall(r'<td class="small">\s*([^<]+?)\s*</td>', versions)
    assert states == ["unchanged", "this version", "this version"]  # newest first: 3rd same as 2nd, 2nd new, 1st
    assert 'name="item" value="Documents/notes.txt"' in page.content.decode()
    assert f'name="snapshot" value="{first}"' in page.content.decode()

    assert f'action="{base}/restore/"' in page.content.decode()  # the restore wizard's review step

    admin.post("/account/language/", {"language": "de"})
    german = text(admin.get(link.group(1).replace("&amp;", "&"), HTTP_ACCEPT_LANGUAGE="de"))
    assert "Details wie gesichert" in german and "Versionen" in german and "unverändert" in german


def test_item_api_and_cli_agree_and_a_foreign_item_is_not_found(source, cloud, capsys):
    first, second, _third = _three_snapshots(source, cloud)
    admin = factories.user("admin@kunde.example", "customer_admin", customer=source.customer)
    resp = Client().get(f"/api/v1/sources/{source.id}/backup/item",
                        {"snapshot": second, "account": "anna", "path": "Documents/notes.txt"}, **bearer(admin))
    assert resp.status_code == 200, resp.content
    found = resp.json()
    assert found["kind"] == "file" and found["size"] == len(b"second version\n")
    assert found["meta"]["eTag"] == "d2.2" and "volatile" not in found["meta"]
    assert [v["changed"] for v in found["versions"]] == [False, True, True]
    assert [v["current"] for v in found["versions"]] == [False, True, False]

    missing = Client().get(f"/api/v1/sources/{source.id}/backup/item",
                           {"snapshot": second, "account": "anna", "path": "Documents/nothing.txt"}, **bearer(admin))
    assert missing.status_code == 404
    incomplete = Client().get(f"/api/v1/sources/{source.id}/backup/item", {"account": "anna"}, **bearer(admin))
    assert incomplete.status_code == 422 and "account and a path" in incomplete.content.decode()

    stranger = factories.user("admin@fremd.example", "customer_admin",
                              customer=factories.customer(source.customer.partner, "Fremd"))
    foreign = Client().get(f"/api/v1/sources/{source.id}/backup/item",
                           {"snapshot": second, "account": "anna", "path": "Documents/notes.txt"}, **bearer(stranger))
    assert foreign.status_code == 404

    capsys.readouterr()
    assert cli.run(["backup", "show", second, "--account", "anna", "--path", "Documents/notes.txt", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["meta"] == found["meta"] and shown["sha256"] == found["sha256"]
    assert cli.run(["backup", "show", second, "--account", "anna", "--path", "Documents/notes.txt"]) == 0
    out = capsys.readouterr().out
    assert "eTag: d2.2" in out and "versions (newest first):" in out and out.count("changed") == 2
