"""Receive time and read/flag state survive archive → delete → restore on the fakecloud emulators:
Microsoft 365 (receivedDateTime, isRead, flag: set on the restored item through a PATCH of
PR_MESSAGE_DELIVERY_TIME, isRead and flag) and Gmail (internalDate, UNREAD, STARRED). A message
without a Message-ID is matched by its receive time and the SHA-256 of its bytes: not restored twice."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.models import MessageRef
from kustos.archive.services import mailbox_restore_targets as targets
from kustos.archive.services import sources as source_service
from kustos.sources.graph.backup.restore_http import send_json
from tests.integration.archive_restore.helpers import restore, sha

pytestmark = pytest.mark.django_db
TENANT, DOMAIN = "tenant-facts", "facts.example"
LENA, ANNA = "lena@facts.example", "anna@facts.example"


def message(subject: str, date: str, message_id: str | None) -> bytes:
    head = f"From: Partner <p@partner.example>\r\nTo: kunde@facts.example\r\nSubject: {subject}\r\nDate: {date}\r\n"
    if message_id:
        head += f"Message-ID: <{message_id}>\r\n"
    return (head + f"\r\n{subject} body.\r\n").encode()


STARRED = message("Vertrag 2019", "Mon, 04 Feb 2019 07:08:09 +0000", "vertrag-2019@partner.example")
PLAIN = message("Notiz ohne Kennung", "Tue, 05 Feb 2019 10:11:12 +0000", None)


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def facts(customer: Any) -> dict[str, tuple[str, list[str]]]:
    return {r.message.sha256: (r.received_at.strftime("%Y-%m-%dT%H:%M:%SZ") if r.received_at else "",
                               sorted(r.flags))
            for r in MessageRef.objects.filter(message__customer=customer).select_related("message")}


def graph_state(writer: Any) -> dict[str, tuple[str, bool, str]]:
    """sha256 -> (receivedDateTime, isRead, flagStatus) of Lena's Inbox, read through Graph."""
    url = writer.session.user_url(LENA, "/mailFolders/inbox/messages")
    rows = writer.http.get_json(url, key=LENA, params={"$select": "id,receivedDateTime,isRead,flag"})["value"]
    out = {}
    for row in rows:
        mime = writer.http.request("GET", writer.session.user_url(LENA, f"/messages/{row['id']}/$value"), key=LENA)
        out[sha(mime.content)] = (row["receivedDateTime"], row["isRead"], row["flag"]["flagStatus"])
    return out


def test_graph_receive_time_read_and_flag_round_trip(fakecloud, archive_customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    seeded = [control.seed("ms", TENANT, LENA, "mail", "Inbox", raw) for raw in (STARRED, PLAIN)]
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = source_service.add(archive_customer, "graph", config, settings["client_secret"])
    writer = targets.writer(source)
    # The mailbox's own state: the first read and flagged, received 2019; the second unread.
    for item, (when, read, flag) in zip(seeded, [("2019-02-04T07:09:10Z", True, "flagged"),
                                                 ("2019-02-05T10:12:13Z", False, "notFlagged")], strict=True):
        send_json(writer.http, "PATCH", writer.session.user_url(LENA, f"/messages/{item['id']}"), LENA,
                  {"isRead": read, "flag": {"flagStatus": flag},
                   "singleValueExtendedProperties": [{"id": "SystemTime 0x0E06", "value": when}]}, (200,))
    original = graph_state(writer)
    assert original == {sha(STARRED): ("2019-02-04T07:09:10Z", True, "flagged"),
                        sha(PLAIN): ("2019-02-05T10:12:13Z", False, "notFlagged")}

    assert source_service.run(source)["imported"] == 2
    assert facts(archive_customer) == {sha(STARRED): ("2019-02-04T07:09:10Z", ["\\Flagged", "\\Seen"]),
                                       sha(PLAIN): ("2019-02-05T10:12:13Z", [])}
    for item in seeded:
        control.remove("ms", TENANT, LENA, "mail", item["path"])
    assert graph_state(writer) == {}

    report = restore(archive_customer, mailbox=LENA)
    assert report == {"restored": 2, "skipped": 0, "failed": [], "skipped_reasons": []}
    assert graph_state(writer) == original  # same bytes, receive time, read state and flag

    again = restore(archive_customer, mailbox=LENA)
    assert again == {"restored": 0, "skipped": 2, "failed": [], "skipped_reasons": []}
    assert len(control.items("ms", TENANT, "mail", LENA)) == 2
    writer.close()


def gmail_state(restorer: Any) -> dict[str, tuple[str, list[str]]]:
    """sha256 -> (internalDate, sorted labelIds) of Anna's mail, read through the Gmail API."""
    listed = restorer.http.expect(restorer._send("GET", ANNA, "/messages")).json()
    out = {}
    for row in listed.get("messages") or []:
        full = restorer.http.expect(restorer._send("GET", ANNA, f"/messages/{row['id']}",
                                                   params={"format": "raw"})).json()
        raw = base64.urlsafe_b64decode(full["raw"] + "=" * (-len(full["raw"]) % 4))
        out[sha(raw)] = (full["internalDate"], sorted(full["labelIds"]))
    return out


def test_gmail_internal_date_unread_and_starred_round_trip(fakecloud, archive_customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    warmup = control.seed("google", DOMAIN, ANNA, "mail", "INBOX", message("Hallo", "Wed, 06 Feb 2019 08:00:00 +0000",
                                                                           "warmup@facts.example"))
    control.remove("google", DOMAIN, ANNA, "mail", warmup["path"])
    source = source_service.add(archive_customer, "gmail", {"admin_email": settings["admin"],
                                                           "endpoint": settings["endpoint"]},
                                json.dumps(settings["service_account"]))
    restorer = targets.writer(source).restorer
    # Migrated in as Gmail does for API imports: internalDate from the Date header; starred and read,
    # and one unread.
    for raw, labels in ((STARRED, ["INBOX", "STARRED"]), (PLAIN, ["INBOX", "UNREAD"])):
        restorer.http.expect(restorer._send("POST", ANNA, "/messages/import",
                                            {"raw": base64.urlsafe_b64encode(raw).decode(), "labelIds": labels}))
    original = gmail_state(restorer)
    assert original == {sha(STARRED): ("1549264089000", ["INBOX", "STARRED"]),
                        sha(PLAIN): ("1549361472000", ["INBOX", "UNREAD"])}  # the documented default: dateHeader

    assert source_service.run(source)["imported"] == 2
    assert facts(archive_customer) == {sha(STARRED): ("2019-02-04T07:08:09Z", ["\\Flagged", "\\Seen"]),
                                       sha(PLAIN): ("2019-02-05T10:11:12Z", [])}
    for row in control.items("google", DOMAIN, "mail", ANNA):
        control.remove("google", DOMAIN, ANNA, "mail", row["path"])
    assert gmail_state(restorer) == {}

    report = restore(archive_customer, mailbox=ANNA)
    assert report == {"restored": 2, "skipped": 0, "failed": [], "skipped_reasons": []}
    assert gmail_state(restorer) == original

    again = restore(archive_customer, mailbox=ANNA)
    assert again == {"restored": 0, "skipped": 2, "failed": [], "skipped_reasons": []}
    assert len(control.items("google", DOMAIN, "mail", ANNA)) == 2

    # The emulator answers internalDateSource as documented: receivedTime is the time of the import,
    # anything else is refused.
    refused = restorer._send("POST", ANNA, "/messages/import", {"raw": base64.urlsafe_b64encode(PLAIN).decode()},
                             params={"internalDateSource": "sometime"})
    assert refused.status_code == 400 and "internalDateSource" in refused.text
