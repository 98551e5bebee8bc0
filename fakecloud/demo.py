"""A small seeded tenant and domain for ``python -m fakecloud --demo`` and ``kustos demo``."""

from __future__ import annotations

import json
import os
from email.message import EmailMessage
from pathlib import Path

from fakecloud.app import FakeCloud
from fakecloud.google.keys import DWD_SCOPES, make_service_account
from fakecloud.microsoft.seed import ALL_ROLES, MicrosoftSeeder

DEMO_TENANT = "contoso.onmicrosoft.com"
DEMO_CLIENT_ID = "00000000-0000-0000-0000-00000000d3m0"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_GOOGLE_ADMIN = "admin@example.com"
DEMO_EVENT = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:demo-weekly\r\nSUMMARY:Weekly sync\r\n"
              b"DTSTART:20260105T090000Z\r\nDTEND:20260105T093000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
              b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def demo_message(sender: str, to: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{subject.replace(' ', '.')}.{to}>"
    message["Date"] = "Mon, 04 Sep 2017 10:00:00 +0000"
    message.set_content(body)
    return message.as_bytes()


def seed_workloads(seeder: MicrosoftSeeder) -> None:
    """Files in two OneDrives, a site with a subsite, a list and a page, a team with channels and a chat."""
    adele, megan = "adele@contoso.onmicrosoft.com", "megan@contoso.onmicrosoft.com"
    for upn in (adele, megan):
        seeder.seed(DEMO_TENANT, upn, "file", "/Documents/welcome.txt", f"Hello {upn}\n".encode(), {})
        seeder.seed(DEMO_TENANT, upn, "file", "/Documents/Reports/q1.csv", b"month,revenue\njan,10\n", {})
        seeder.seed(DEMO_TENANT, upn, "event", "Calendar", DEMO_EVENT, {})
        seeder.seed(DEMO_TENANT, upn, "contact", "Contacts",
                    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alex Wilber\r\nEMAIL:alex@contoso.com\r\nEND:VCARD\r\n", {})
        seeder.seed(DEMO_TENANT, upn, "task", "Tasks", json.dumps({"title": "File expenses"}).encode(), {})
    seeder.seed(DEMO_TENANT, adele, "file", "/Brochures/spring.txt", b"Spring campaign\n", {"site": "marketing"})
    seeder.seed(DEMO_TENANT, adele, "file", "/plan.txt", b"EMEA plan\n", {"site": "marketing/emea"})
    for title in ("Print flyers", "Book venue"):
        seeder.seed(DEMO_TENANT, adele, "listitem", "marketing/Campaign tasks", json.dumps({"Title": title}).encode(),
                    {})
    seeder.seed(DEMO_TENANT, adele, "page", "marketing/Home", json.dumps({"title": "Marketing home"}).encode(), {})
    first = seeder.seed(DEMO_TENANT, adele, "channelmessage", "Mark 8 Project Team/General",
                        b"<p>Welcome to the team!</p>", {})
    seeder.seed(DEMO_TENANT, megan, "channelmessage", "Mark 8 Project Team/General", b"<p>Thanks!</p>",
                {"replyTo": first["id"]})
    seeder.seed(DEMO_TENANT, megan, "channelmessage", "Mark 8 Project Team/Design", b"<p>Mock-ups are up.</p>",
                {"membershipType": "private"})
    seeder.seed(DEMO_TENANT, adele, "chatmessage", "Lunch", b"Lunch at noon?", {"members": [megan]})


def seed_demo(cloud: FakeCloud, base_url: str, google_key_out: Path | None = None) -> None:
    """Microsoft 365 tenant ``contoso`` with two mailboxes and one room without a mailbox, their
    OneDrive files, calendars, contacts and tasks, a ``marketing`` site (subsite ``emea``, a list,
    a page), a team with a standard and a private channel, and a chat; the demo app has every role.

    With ``google_key_out``, also a Workspace domain (admin + one user with labelled
    mail) whose service-account JSON key is written there (mode 0600).
    """
    ms = cloud.microsoft
    ms.add_app(DEMO_TENANT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ALL_ROLES)
    for name in ("adele", "megan"):
        upn = f"{name}@contoso.onmicrosoft.com"
        ms.add_user(DEMO_TENANT, upn)
        for n in range(3):
            ms.add_message(DEMO_TENANT, upn, "inbox", demo_message("boss@contoso.com", upn, f"Demo {n}", "Hi."))
    ms.add_user(DEMO_TENANT, "room1@contoso.onmicrosoft.com", mailbox=False)
    seed_workloads(MicrosoftSeeder(ms))
    if google_key_out is None:
        return
    info, public_pem = make_service_account(base_url)
    cloud.google.add_service_account(info["client_email"], info["client_id"], public_pem.encode(), DWD_SCOPES)
    cloud.google.add_user(DEMO_GOOGLE_ADMIN, "Demo Admin", is_admin=True)
    cloud.google.add_user("kim@example.com", "Kim Lee")
    label = cloud.google.add_label("kim@example.com", "Projects")
    for n, labels in enumerate((["INBOX"], ["INBOX", label], ["SENT"])):
        cloud.google.add_message("kim@example.com", demo_message("a@example.org", "kim@example.com",
                                                                 f"Gmail demo {n}", "Hi."), labels)
    fd = os.open(google_key_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle, indent=2)
