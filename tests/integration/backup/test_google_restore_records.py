"""Restoring Google records against fakecloud (a real process): contacts and tasks that still exist are
skipped (``skip``), updated in place (``replace``) or created beside (``copy``), never duplicated by a
plain restore; events go back into the calendar they came from, and into a calendar of the same name
(created) when restored into another user."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import sources
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans
from kustos.core import runtime
from kustos.sources.google import session_for
from kustos.sources.google.session import GoogleSession
from tests.integration.backup.job_runs import backup, do_restore

pytestmark = pytest.mark.django_db

DOMAIN = "kustos-records.example"
USER = f"lena@{DOMAIN}"
OTHER = f"max@{DOMAIN}"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def google(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    for user in (USER, OTHER):  # both users exist
        control.seed("google", DOMAIN, user, "file", "/mine.txt", b"exists\n")
    config = {"admin_email": settings["admin"], "endpoint": settings["endpoint"]}
    secret = json.dumps(settings["service_account"])
    source = sources.add(customer, "gmail", config, secret, actor="test")
    session = session_for(config, secret, None)
    yield control, source, session
    session.close()


def snapshot_paths(snap: BackupSnapshot, account: str, key: str) -> dict[str, str]:
    """``meta[key]`` → path of every item of ``account`` in the snapshot."""
    store = runtime.store_for(snap.plan.customer_id)
    return {str(entry.meta.get(key)): path for path, entry in store.snapshots.walk(snap.id, account)}


def send(session: GoogleSession, method: str, url: str, user: str, service: str, body: dict, **params) -> dict:
    response = session.call(method, url, user, service, write=True, params=params or None,
                            content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return session.http.expect(response).json()


def contacts(control, user: str) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for row in control.items("google", DOMAIN, "contact", user):
        rows.setdefault(row["path"], []).append(row["fields"])
    return rows


def tasks(control, user: str) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for row in control.items("google", DOMAIN, "task", user):
        rows.setdefault(row["path"], []).append(row["fields"])
    return rows


def test_contacts_and_tasks_that_still_exist_are_skipped_replaced_or_copied(google):
    control, source, session = google
    for name, phone in (("Anna Berg", "+49 1"), ("Carl Dorn", "+49 2")):
        control.seed("google", DOMAIN, USER, "contact", name, json.dumps({
            "names": [{"displayName": name, "givenName": name.split()[0]}],
            "phoneNumbers": [{"value": phone, "type": "mobile"}]}).encode())
    control.seed("google", DOMAIN, USER, "task", "Errands/Buy paper", json.dumps({"notes": "A4"}).encode())
    control.seed("google", DOMAIN, USER, "task", "Errands/Call Anna", b"{}")
    plan = plans.enable(source, services=["contacts", "tasks"])
    first = backup(plan)
    people = snapshot_paths(first, f"contacts:{USER}", "displayName")
    todo = snapshot_paths(first, f"tasks:{USER}", "title")
    assert set(people) == {"Anna Berg", "Carl Dorn"} and set(todo) == {"Buy paper", "Call Anna"}

    control.remove("google", DOMAIN, USER, "contact", "Anna Berg")
    control.remove("google", DOMAIN, USER, "task", "Errands/Call Anna")
    # skip: what still exists stays as it is, what is gone comes back; nothing twice.
    assert do_restore(first, account=f"contacts:{USER}") == {"restored": 1, "skipped": 1, "failed": []}
    assert do_restore(first, account=f"tasks:{USER}") == {"restored": 1, "skipped": 1, "failed": []}
    assert {k: len(v) for k, v in contacts(control, USER).items()} == {"Anna Berg": 1, "Carl Dorn": 1}
    assert {k: len(v) for k, v in tasks(control, USER).items()} == {"Errands/Buy paper": 1, "Errands/Call Anna": 1}
    # again: the contact the first restore created is found by its origin (clientData), not made twice.
    assert do_restore(first, account=f"contacts:{USER}") == {"restored": 0, "skipped": 2, "failed": []}
    assert {k: len(v) for k, v in contacts(control, USER).items()} == {"Anna Berg": 1, "Carl Dorn": 1}

    # replace: changed since the backup -> written back in place (same contact, same task).
    carl = next(r for r in session.json(f"{session.people}/people/me/connections", USER, "contacts",
                                        {"personFields": "names,phoneNumbers"})["connections"]
                if r["names"][0]["displayName"] == "Carl Dorn")
    send(session, "PATCH", f"{session.people}/{carl['resourceName']}:updateContact", USER, "contacts",
         {"etag": carl["etag"], "phoneNumbers": [{"value": "+1 555", "type": "work"}],
          "emailAddresses": [{"value": "carl@new.example"}]}, updatePersonFields="phoneNumbers,emailAddresses")
    lists = session.json(f"{session.tasks}/users/@me/lists", USER, "tasks")["items"]
    errands = next(r["id"] for r in lists if r["title"] == "Errands")
    paper = next(t for t in session.json(f"{session.tasks}/lists/{errands}/tasks", USER, "tasks")["items"]
                 if t["title"] == "Buy paper")
    send(session, "PUT", f"{session.tasks}/lists/{errands}/tasks/{quote(paper['id'])}", USER, "tasks",
         {**paper, "notes": "A3 instead"})
    assert contacts(control, USER)["Carl Dorn"][0]["phoneNumbers"][0]["value"] == "+1 555"
    assert tasks(control, USER)["Errands/Buy paper"][0]["notes"] == "A3 instead"
    report = do_restore(first, account=f"contacts:{USER}", paths=[people["Carl Dorn"]], conflict="replace")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    report = do_restore(first, account=f"tasks:{USER}", paths=[todo["Buy paper"]], conflict="replace")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    carl_now = contacts(control, USER)["Carl Dorn"]
    assert len(carl_now) == 1 and carl_now[0]["phoneNumbers"] == [{"value": "+49 2", "type": "mobile"}]
    assert "emailAddresses" not in carl_now[0]  # replace writes the backed-up contact, not a merge
    paper_now = tasks(control, USER)["Errands/Buy paper"]
    assert len(paper_now) == 1 and paper_now[0]["notes"] == "A4"

    # copy: a second one beside the existing one.
    report = do_restore(first, account=f"contacts:{USER}", paths=[people["Carl Dorn"]], conflict="copy")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    assert do_restore(first, account=f"tasks:{USER}", paths=[todo["Buy paper"]], conflict="copy")["restored"] == 1
    assert len(contacts(control, USER)["Carl Dorn"]) == 2 and len(tasks(control, USER)["Errands/Buy paper"]) == 2

    # Into another user: nothing of theirs is overwritten, both come in new (the list is created).
    assert do_restore(first, account=f"contacts:{USER}", to_account=OTHER)["restored"] == 2
    assert do_restore(first, account=f"tasks:{USER}", to_account=OTHER)["restored"] == 2
    assert set(contacts(control, OTHER)) == {"Anna Berg", "Carl Dorn"}
    assert set(tasks(control, OTHER)) == {"Errands/Buy paper", "Errands/Call Anna"}


def calendar_events(session: GoogleSession, user: str) -> dict[str, list[str]]:
    """Calendar summary -> summaries of its events, as ``user`` sees them."""
    out: dict[str, list[str]] = {}
    for cal in session.json(f"{session.calendar}/users/me/calendarList", user, "calendar")["items"]:
        events = session.json(f"{session.calendar}/calendars/{quote(cal['id'], safe='@')}/events", user, "calendar")
        out[cal["summary"]] = sorted(e["summary"] for e in events.get("items", []))
    return out


def test_events_go_back_into_the_calendar_they_came_from(google):
    control, source, session = google
    control.seed("google", DOMAIN, USER, "event", "Dentist", b"")  # the primary calendar
    team = send(session, "POST", f"{session.calendar}/calendars", USER, "calendar", {"summary": "Team"})
    for summary in ("Sprint review", "Retro"):
        send(session, "POST", f"{session.calendar}/calendars/{quote(team['id'], safe='@')}/events", USER,
             "calendar", {"summary": summary, "start": {"dateTime": "2026-06-02T10:00:00Z"},
                          "end": {"dateTime": "2026-06-02T11:00:00Z"}})
    plan = plans.enable(source, services=["calendar"])
    first = backup(plan)
    store = runtime.store_for(first.plan.customer_id)
    metas = {e.meta["summary"]: e.meta["calendar_id"] for _p, e in store.snapshots.walk(first.id, f"calendar:{USER}")}
    assert metas == {"Dentist": USER, "Sprint review": team["id"], "Retro": team["id"]}

    control.remove("google", DOMAIN, USER, "event", "Retro")
    assert calendar_events(session, USER) == {USER: ["Dentist"], "Team": ["Sprint review"]}
    assert do_restore(first, account=f"calendar:{USER}") == {"restored": 1, "skipped": 2, "failed": []}
    assert calendar_events(session, USER) == {USER: ["Dentist"], "Team": ["Retro", "Sprint review"]}

    # Another user has no "Team" calendar: one of that name is created for the team's events.
    assert do_restore(first, account=f"calendar:{USER}", to_account=OTHER) == {"restored": 3, "skipped": 0,
                                                                                "failed": []}
    assert calendar_events(session, OTHER) == {OTHER: ["Dentist"], "Team": ["Retro", "Sprint review"]}
    # Restored again: the calendar is found by its name, not created twice; the events are there already.
    assert do_restore(first, account=f"calendar:{USER}", to_account=OTHER)["skipped"] == 3
    assert list(calendar_events(session, OTHER)) == [OTHER, "Team"]


def test_a_calendar_that_cannot_be_created_is_reported_for_its_events(google):
    control, source, session = google
    team = send(session, "POST", f"{session.calendar}/calendars", USER, "calendar", {"summary": "Board"})
    send(session, "POST", f"{session.calendar}/calendars/{quote(team['id'], safe='@')}/events", USER, "calendar",
         {"summary": "AGM", "start": {"date": "2026-07-01"}, "end": {"date": "2026-07-02"}})
    first = backup(plans.enable(source, services=["calendar"]))
    agm = snapshot_paths(first, f"calendar:{USER}", "summary")["AGM"]
    control.throttle("/calendar/v3/calendars", count=1, status=409)  # calendars.insert refused once
    report = do_restore(first, account=f"calendar:{USER}", paths=[agm], to_account=OTHER)
    assert report["restored"] == 0 and len(report["failed"]) == 1
    assert report["failed"][0]["path"] == f"calendar:{USER}/{agm}"
    assert report["failed"][0]["error"].startswith(
        f"RecordRestoreError: the event's calendar 'Board' does not exist for {OTHER} and could not be created: "
        "the Calendar API answered HTTP 409")
    assert calendar_events(session, OTHER) == {OTHER: []}
    assert do_restore(first, account=f"calendar:{USER}", paths=[agm], to_account=OTHER)["restored"] == 1
    assert calendar_events(session, OTHER) == {OTHER: [], "Board": ["AGM"]}
