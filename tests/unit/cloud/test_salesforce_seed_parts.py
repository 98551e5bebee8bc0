"""The pure parts of Salesforce restore and seeding: the filter language (parsed, never evaluated),
masking (deterministic, format-keeping, never the real value) and the parents-first creation order."""

from __future__ import annotations

import re

import pytest

from kustos.sources.salesforce.filter import FilterError, fields, parse
from kustos.sources.salesforce.mask import Masker
from kustos.sources.salesforce.order import creation_order

RECORD = {"Name": "Acme Corp", "Amount__c": 120.5, "Industry": "Retail", "CloseDate": "2024-03-01",
          "Stamp": "2024-03-01T10:00:00.000+0000", "IsWon": True, "Notes": None, "Quote": "it's"}


@pytest.mark.parametrize(("expr", "expected"), [
    ("Name = 'acme corp'", True),  # text compares case-insensitively, as SOQL does
    ("Name != 'Acme Corp'", False),
    ("Name <> 'Other'", True),
    ("Name LIKE 'Acme%'", True),
    ("Name LIKE 'A_me Corp'", True),
    ("Name LIKE 'Corp%'", False),
    ("Name NOT LIKE 'B%'", True),
    ("Industry IN ('Energy', 'Retail')", True),
    ("Industry NOT IN ('Energy', 'Retail')", False),
    ("Amount__c > 100 AND Amount__c <= 120.5", True),
    ("Amount__c < 100 OR (Industry = 'Retail' AND CloseDate < 2024-04-01)", True),
    ("NOT (Amount__c >= 100)", False),
    ("CloseDate >= 2024-03-01 AND CloseDate < 2024-03-02", True),
    ("Stamp > 2024-03-01T09:59:59Z", True),
    ("IsWon = TRUE AND Notes = NULL", True),
    ("Missing = NULL", True),
    ("Name > 5", False),  # a text value is no number: no match, no error
    ("Quote = 'it\\'s'", True),
    ("name = 'Acme Corp'", False),  # field names are exact
])
def test_filter_matches(expr, expected):
    assert parse(expr)(RECORD) is expected


@pytest.mark.parametrize(("expr", "message"), [
    ("", "the filter is empty"),
    ("Name =", "the filter ends too early"),
    ("Name == 'x'", "expected a value"),
    ("Amount__c > 'x'", "compares numbers or dates"),
    ("(Name = 'x'", "expected )"),
    ("Name = 'x')", "unexpected ')'"),
    ("__import__('os').system('x')", "unexpected character '.'"),
    ("__import__('os')", "expected an operator"),
    ("Name = 'x'; DROP", "unexpected character ';'"),
    ("Name LIKE 5", "LIKE needs a 'quoted' pattern"),
    ("Name IN 'x'", "expected ("),
    ("AND = 'x'", "expected a field name"),
    ("CloseDate > 2024-13-45", "not a valid date"),
    ("(" * 40 + "Name = 'x'" + ")" * 40, "nests parentheses deeper than"),
    ("Name = '" + "x" * 5000 + "'", "longer than"),
])
def test_filter_errors_name_the_problem(expr, message):
    with pytest.raises(FilterError) as error:
        parse(expr)
    assert message in str(error.value)


def test_filter_fields():
    assert fields("A = 1 AND (B LIKE 'x%' OR C IN (1, 2))") == {"A", "B", "C"}


EMAIL = re.compile(r"^[a-z][a-z0-9]*@[a-z]+\.example$")


def test_mask_keeps_the_format_and_never_the_value():
    masker = Masker("key-1", {"Contact": ["Title"]})
    record = {"Id": "003A", "FirstName": "Ada", "LastName": "Kim", "Email": "ada.kim@acme.example",
              "Phone": "+49 (30) 123-4567", "MailingStreet": "Unter den Linden 5", "MailingPostalCode": "10117",
              "Birthdate": "1980-05-17", "Title": "CEO", "AccountId": "001A", "Industry": "Retail",
              "Alt__c": "x@y.example", "Empty": None}
    describe = {"AccountId": {"type": "reference"}, "Alt__c": {"type": "email"}}
    masked, changed = masker.mask("Contact", record, describe)
    assert set(changed) == {"FirstName", "LastName", "Email", "Phone", "MailingStreet", "MailingPostalCode",
                            "Birthdate", "Title", "Alt__c"}
    for field in changed:
        assert masked[field] != record[field]
    assert masked["AccountId"] == "001A" and masked["Industry"] == "Retail" and masked["Id"] == "003A"
    assert EMAIL.match(masked["Email"]) and EMAIL.match(masked["Alt__c"])
    assert len(masked["Email"].split("@")[0]) == len("ada.kim")
    assert re.fullmatch(r"\+\d\d \(\d\d\) \d{3}-\d{4}", masked["Phone"])
    assert re.fullmatch(r"[A-Z][a-z]{2}", masked["LastName"])
    assert re.fullmatch(r"\d{5}", masked["MailingPostalCode"])
    assert re.fullmatch(r"[A-Z][a-z]{4} [a-z]{3} [A-Z][a-z]{5} \d", masked["MailingStreet"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", masked["Birthdate"])
    # Deterministic per key: the same value, the same fake; another key, another fake.
    assert masker.mask("Contact", record, describe)[0] == masked
    assert Masker("key-2").mask("Contact", record, describe)[0]["Email"] != masked["Email"]
    # Account names are company names, not personal; a person object's Name is.
    assert masker.mask("Account", {"Name": "Acme"}, {})[1] == []
    assert masker.mask("Lead", {"Name": "Ada Kim"}, {})[0]["Name"] != "Ada Kim"


def test_mask_finds_personal_fields_by_the_end_of_their_name():
    masker = Masker("k")
    record = {"Name": "Ada Kim", "IsPersonAccount": True, "PersonEmail": "ada@kim.example",
              "PersonMobilePhone": "0171 2345678", "PersonBirthdate": "1990-01-02", "PersonMailingCity": "Bonn",
              "Home_Phone__c": "0228 123", "HasOptedOutOfEmail": True, "EmailBouncedReason": None,
              "Industry": "Retail"}
    masked, changed = masker.mask("Account", record, {"HasOptedOutOfEmail": {"type": "boolean"}})
    assert set(changed) == {"Name", "PersonEmail", "PersonMobilePhone", "PersonBirthdate", "PersonMailingCity",
                            "Home_Phone__c"}
    assert EMAIL.match(masked["PersonEmail"]) and re.fullmatch(r"\d{4} \d{7}", masked["PersonMobilePhone"])
    assert masked["HasOptedOutOfEmail"] is True and masked["Industry"] == "Retail"


def test_mask_of_a_one_character_value_still_differs():
    masker = Masker("k")
    for value in ("A", "1", "x"):
        assert masker.fake("LastName", value) != value


def test_creation_order_parents_first_and_cycles_broken_at_a_nillable_lookup():
    # child before parent in the input; a required chain; an Account <-> Contact cycle (nillable one way)
    keys = ["audit", "zone", "contact", "account", "invoice"]
    edges = {"audit": [("Zone__c", "zone", True)],
             "contact": [("AccountId", "account", False)],
             "account": [("Primary_Contact__c", "contact", False)],
             "invoice": [("Account__c", "account", True), ("Contact__c", "contact", False)]}
    order, deferred = creation_order(keys, edges)
    assert order.index("zone") < order.index("audit")
    assert order.index("account") < order.index("invoice") and order.index("contact") < order.index("invoice")
    assert sorted(order) == sorted(keys)
    assert len(deferred) == 1 and deferred in ({"contact": {"AccountId"}}, {"account": {"Primary_Contact__c"}})


def test_creation_order_a_required_cycle_keeps_every_record():
    order, deferred = creation_order(["a", "b"], {"a": [("B", "b", True)], "b": [("A", "a", True)]})
    assert sorted(order) == ["a", "b"] and deferred == {}
