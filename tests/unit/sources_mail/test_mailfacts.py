"""One spelling of a mailbox's receive time and flags for IMAP, Graph and Gmail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kustos.sources import mailfacts


def test_graph_read_flagged_and_draft_become_imap_flags():
    row = {"receivedDateTime": "2019-02-04T07:09:10Z", "isRead": True, "isDraft": False,
           "flag": {"flagStatus": "flagged"}}
    assert mailfacts.graph_facts(row) == {"received_at": "2019-02-04T07:09:10+00:00",
                                          "flags": ["\\Seen", "\\Flagged"]}
    assert mailfacts.graph_facts({"isRead": False, "isDraft": True, "flag": {"flagStatus": "complete"}}) == {
        "received_at": None, "flags": ["\\Draft"]}


def test_gmail_labels_and_internal_date():
    assert mailfacts.gmail_facts("1549264089000", ["INBOX", "STARRED"]) == {
        "received_at": "2019-02-04T07:08:09+00:00", "flags": ["\\Seen", "\\Flagged"]}
    assert mailfacts.gmail_facts("not a number", ["UNREAD", "DRAFT"]) == {"received_at": None, "flags": ["\\Draft"]}
    assert mailfacts.gmail_internal_date(datetime(2019, 2, 4, 7, 8, 9, tzinfo=UTC)) == "1549264089000"


def test_imap_flags_are_cleaned_and_times_parsed_with_their_offset():
    assert mailfacts.clean_flags([b"\\Seen", "\\Recent", b"$Forwarded", "\\seen", "", "bad flag"]) == [
        "\\Seen", "$Forwarded"]
    assert mailfacts.clean_flags("\\Seen") == [] and mailfacts.clean_flags(5) == []
    plus_one = timezone(timedelta(hours=1))
    assert mailfacts.parse("2019-03-14T10:20:30+01:00") == datetime(2019, 3, 14, 10, 20, 30, tzinfo=plus_one)
    assert mailfacts.parse("2019-03-14T09:20:30Z") == datetime(2019, 3, 14, 9, 20, 30, tzinfo=UTC)
    assert mailfacts.parse("yesterday") is None and mailfacts.parse(None) is None
    assert mailfacts.iso(datetime(2019, 3, 14, 10, 20, 30, tzinfo=plus_one)) == "2019-03-14T10:20:30+01:00"
