"""The small mailbox world the search contract suite runs on (shared by both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

from kustos.search.document import Document

ACME = "acme"
OTHER = "other"
ALICE, BOB, CAROL = "alice@acme.de", "bob@acme.de", "carol@acme.de"


def when(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 30, tzinfo=UTC)


def documents() -> list[Document]:
    return [
        Document(
            id="d1", customer=ACME, date=when(2024, 3, 5), mailboxes=[ALICE], folders=[f"{ALICE}/INBOX"],
            from_="Hans Müller <hans@mueller.de>", from_addr=["hans@mueller.de"], to=[ALICE],
            subject="Rechnung März 2024",
            body="Sehr geehrte Frau Schmidt,\nanbei die Rechnung Nr. 4711 für Februar.\nMit freundlichen Grüßen",
            size=12_000, sender_domain="mueller.de", seq=1,
        ),
        Document(
            id="d2", customer=ACME, date=when(2024, 1, 15), mailboxes=[ALICE, BOB],
            folders=[f"{ALICE}/INBOX/Projekte", f"{BOB}/INBOX"],
            from_="Bob <bob@acme.de>", from_addr=[BOB], to=[ALICE], cc=[CAROL],
            subject="Quarterly invoice", body="Please find the invoices attached. The quarterly report follows.",
            attachment_names=["invoice_Q1.pdf"], attachment_text="Invoice total 1.234,00 EUR payable within 30 days",
            has_attachment=True, size=2_500_000, sender_domain="acme.de", seq=2,
        ),
        Document(
            id="d3", customer=ACME, date=when(2023, 6, 1), mailboxes=[BOB], folders=[f"{BOB}/Sent"],
            from_="Bob <bob@acme.de>", from_addr=[BOB], to=["Dave <dave@example.org>"], bcc=["secret@acme.de"],
            subject="Lunch tomorrow?", body="Shall we meet for lunch? müller said the canteen is closed.",
            size=800, sender_domain="acme.de", seq=3,
        ),
        Document(
            id="d4", customer=ACME, date=when(2024, 2, 1), mailboxes=[CAROL], folders=[f"{CAROL}/INBOX"],
            from_="HR <hr@acme.de>", from_addr=["hr@acme.de"], to=[CAROL],
            subject="Personal: medical leave", body="invoice confidential", size=3000,
            sender_domain="acme.de", seq=4, restricted=True,
        ),
        Document(
            id="d5", customer=ACME, date=when(2022, 12, 24), mailboxes=[ALICE], folders=[f"{ALICE}/Archive/2022"],
            from_="Newsletter <news@shop.example>", from_addr=["news@shop.example"], to=[ALICE],
            subject="Big sale", body="Sale sale sale. <b>Unsubscribe</b> here & now, 5 < 6 deals.",
            size=50_000, sender_domain="shop.example", seq=5,
        ),
        Document(
            id="o1", customer=OTHER, date=when(2024, 3, 1), mailboxes=[ALICE], folders=[f"{ALICE}/INBOX"],
            from_="Hans Müller <hans@mueller.de>", from_addr=["hans@mueller.de"],
            subject="Rechnung other customer", body="invoice Müller lunch sale", size=100,
            sender_domain="mueller.de", seq=1,
        ),
    ]
