"""A small seeded tenant and domain for ``python -m fakecloud --demo`` and ``kustos demo``."""

from __future__ import annotations

from email.message import EmailMessage

from fakecloud.app import FakeCloud

DEMO_TENANT = "contoso.onmicrosoft.com"
DEMO_CLIENT_ID = "00000000-0000-0000-0000-00000000d3m0"
DEMO_CLIENT_SECRET = "demo-secret"


def demo_message(sender: str, to: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{abs(hash((sender, to, subject)))}@demo.invalid>"
    message["Date"] = "Mon, 04 Sep 2017 10:00:00 +0000"
    message.set_content(body)
    return message.as_bytes()


def seed_demo(cloud: FakeCloud) -> None:
    """Microsoft 365 tenant ``contoso`` with two mailboxes (Google needs a key; tests seed it)."""
    ms = cloud.microsoft
    ms.add_app(DEMO_TENANT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ["User.Read.All", "Mail.Read"])
    for name in ("adele", "megan"):
        upn = f"{name}@contoso.onmicrosoft.com"
        ms.add_user(DEMO_TENANT, upn)
        for n in range(3):
            ms.add_message(DEMO_TENANT, upn, "inbox", demo_message("boss@contoso.com", upn, f"Demo {n}", "Hi."))
    ms.add_user(DEMO_TENANT, "room1@contoso.onmicrosoft.com", mailbox=False)
