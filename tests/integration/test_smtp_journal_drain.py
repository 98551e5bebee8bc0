"""The spool consumer's decisions: whose journal reports are unwrapped (trusted networks, SMTP
AUTH), plain BCC journaling filed under the customer's participants only, broken reports kept."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kustos.archive.models import Mailbox, Message, MessageRef, Quarantine
from kustos.archive.services import journal, journal_drain
from kustos.archive.services.journal_drain import (
    JOURNAL_FOLDER,
    REPORTS_FOLDER,
    UNREADABLE_FOLDER,
    UNTRUSTED_FOLDER,
)
from kustos.core import runtime
from kustos.sources.smtp import Envelope, Spool
from tests import factories
from tests.unit.sources_mail.journal_samples import ORIGINAL, build_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(tmp_path, settings):
    settings.KUSTOS = replace(settings.KUSTOS, home=tmp_path / "home")
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield factories.customer(factories.partner("Drain Partner"), "Drain Kunde")
    runtime.reset()


def spool_and_drain(tmp_path, customer, data: bytes, **envelope) -> Spool:
    spool = Spool(tmp_path / "spool")
    fields = {"mail_from": "journal@contoso.com", "rcpt_tos": [journal.address(customer)],
              "customer": customer.id, "received_at": datetime.now(UTC).isoformat(), "peer": "203.0.113.9:4711",
              "client_ip": "203.0.113.9", **envelope}
    spool.put(Envelope(**fields), data)
    assert journal_drain.drain(spool) == 1
    assert spool.pending() == []
    return spool


def folders_of(data: bytes) -> set[tuple[str, str]]:
    message = Message.objects.get(sha256=hashlib.sha256(data).hexdigest())
    return set(MessageRef.objects.filter(message=message).values_list("mailbox__address", "folder__path"))


@pytest.mark.parametrize(("trust_authenticated", "unwrapped"), [(True, True), (False, False)])
def test_reports_over_smtp_auth_are_unwrapped_only_when_trusted(tmp_path, customer, trust_authenticated, unwrapped):
    journal.configure(customer, trust_authenticated=trust_authenticated)
    report = build_report()
    spool_and_drain(tmp_path, customer, report, authenticated=True, auth_user="relay")
    box = journal.address(customer).lower()
    assert Message.objects.filter(sha256=hashlib.sha256(ORIGINAL).hexdigest()).exists() is unwrapped
    assert folders_of(report) == {(box, REPORTS_FOLDER if unwrapped else UNTRUSTED_FOLDER)}


def test_trusted_network_by_cidr_also_for_spool_items_without_client_ip(tmp_path, customer):
    journal.configure(customer, trusted_hosts=["203.0.113.0/24"], trust_authenticated=False)
    spool_and_drain(tmp_path, customer, build_report(), client_ip="")  # written before client_ip existed
    assert Message.objects.filter(sha256=hashlib.sha256(ORIGINAL).hexdigest()).exists()


def test_untrusted_network_is_not_unwrapped(tmp_path, customer):
    journal.configure(customer, trusted_hosts=["198.51.100.0/24"])
    report = build_report()
    spool_and_drain(tmp_path, customer, report)
    assert Message.objects.filter(customer=customer).count() == 1
    assert folders_of(report) == {(journal.address(customer).lower(), UNTRUSTED_FOLDER)}
    assert not Mailbox.objects.filter(customer=customer, address__endswith="contoso.com").exists()


def test_plain_bcc_journaling_filed_under_the_customers_participants_only(tmp_path, customer):
    journal.configure(customer, trusted_hosts=["203.0.113.0/24"])
    Mailbox.objects.create(customer=customer, address="info@kunde.example")  # makes kunde.example the customer's
    Mailbox.objects.create(customer=customer, address="chef@gmail.com")  # a public mail domain: address only
    factories.user("max@kunde.example", "end_user", customer=customer)
    plain = (b"From: Partner <p@partner.example>\r\nTo: max@kunde.example, someone@gmail.com\r\n"
             b"Cc: neu@kunde.example, x@fremd.example\r\nSubject: plain\r\n\r\nbody\r\n")
    spool_and_drain(tmp_path, customer, plain, mail_from="p@partner.example")
    box = journal.address(customer).lower()
    assert folders_of(plain) == {(box, JOURNAL_FOLDER), ("max@kunde.example", JOURNAL_FOLDER),
                                 ("neu@kunde.example", JOURNAL_FOLDER)}
    ref = MessageRef.objects.get(mailbox__address="max@kunde.example")
    assert ref.envelope_to == ["max@kunde.example"] and ref.envelope_from == "p@partner.example"


def test_plain_mail_from_an_untrusted_sender_stays_in_the_journaling_mailbox(tmp_path, customer):
    """Anyone on the internet can send to the journaling address: the mail is archived as it
    arrived, but its claimed recipients do not gain it in their mailboxes."""
    journal.configure(customer, trusted_hosts=["198.51.100.0/24"], trust_authenticated=True)
    Mailbox.objects.create(customer=customer, address="info@kunde.example")
    factories.user("max@kunde.example", "end_user", customer=customer)
    planted = (b"From: Bank <ceo@kunde.example>\r\nTo: max@kunde.example\r\nBcc: info@kunde.example\r\n"
               b"Subject: planted\r\n\r\nbody\r\n")
    spool_and_drain(tmp_path, customer, planted, mail_from="ceo@kunde.example")  # from 203.0.113.9, no AUTH
    assert folders_of(planted) == {(journal.address(customer).lower(), JOURNAL_FOLDER)}
    assert not MessageRef.objects.filter(mailbox__address__in=["max@kunde.example", "ceo@kunde.example",
                                                               "info@kunde.example"]).exists()


def test_broken_trusted_report_is_archived_as_received(tmp_path, customer):
    journal.configure(customer, trusted_hosts=["203.0.113.9"])
    broken = build_report().replace(b"Content-Type: message/rfc822", b"Content-Type: text/x-nothing")
    spool_and_drain(tmp_path, customer, broken)
    assert folders_of(broken) == {(journal.address(customer).lower(), UNREADABLE_FOLDER)}
    assert Message.objects.filter(customer=customer).count() == 1
    assert not Quarantine.objects.filter(customer=customer).exists()
