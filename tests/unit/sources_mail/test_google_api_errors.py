"""Google API error answers name the API that answered: a People API precondition failure (an etag that
changed) is not reported as "Gmail is not enabled"."""

from __future__ import annotations

import httpx

from kustos.sources.base import PermissionMissing
from kustos.sources.gmail.errors import MailboxUnavailable, api_error


def _answer(status: int, url: str, reason: str, message: str) -> httpx.Response:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}}
    return httpx.Response(status, json=body, request=httpx.Request("PATCH", url))


def test_a_people_precondition_failure_names_the_people_api() -> None:
    error = api_error(_answer(400, "https://people.googleapis.com/v1/people/c1:updateContact", "failedPrecondition",
                              "Request person.etag is different than the current person.etag."))
    assert not isinstance(error, MailboxUnavailable)
    assert str(error).startswith("the People API answered HTTP 400 (failedPrecondition): Request person.etag")


def test_gmail_not_enabled_is_still_said_for_gmail() -> None:
    error = api_error(_answer(400, "https://gmail.googleapis.com/gmail/v1/users/me/messages", "failedPrecondition",
                              "Mail service not enabled"))
    assert isinstance(error, MailboxUnavailable) and str(error).startswith("Gmail is not enabled for this user")


def test_a_refusal_names_the_api_that_refused() -> None:
    error = api_error(_answer(403, "https://www.googleapis.com/drive/v3/files", "insufficientPermissions", "no"))
    assert isinstance(error, PermissionMissing)
    assert str(error) == "the Drive API refused access (insufficientPermissions): no"
