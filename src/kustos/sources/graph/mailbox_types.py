"""Which kind of mailbox a user is: ``mailboxSettings.userPurpose`` (v1.0).

``GET /users/{id}/mailboxSettings`` answers ``userPurpose``: ``user``, ``linked``, ``shared``,
``room``, ``equipment``, ``others`` (v1.0: an enum string; beta and older answers: an object
``{"value": …}``; both are read). A disabled account is no evidence of a shared mailbox: a leaver's
disabled user mailbox stays a ``user`` mailbox. Only when the settings cannot be read (the app lacks
``MailboxSettings.Read``: 403; a mailbox hosted on-premises or not provisioned: 404) the disabled
account is taken as the hint it used to be (``shared``), and ``mailboxTypeSource`` in the scope's
meta says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.http import HttpClient

log = logging.getLogger(__name__)

PURPOSES = {"user": "user", "linked": "user", "shared": "shared", "room": "room", "equipment": "equipment",
            "others": "other"}
UNREADABLE = (403, 404)


def purpose_of(body: Mapping[str, Any]) -> str | None:
    """``userPurpose`` of a mailboxSettings answer, as a string (None when absent)."""
    value = body.get("userPurpose", body.get("value"))
    if isinstance(value, Mapping):
        value = value.get("value")
    return str(value) if isinstance(value, str) and value else None


def mailbox_type(http: HttpClient, base: str, user: Mapping[str, Any]) -> tuple[str, str]:
    """(mailbox type, where it came from: ``userPurpose`` or ``accountEnabled``) of one user."""
    user_id = str(user["id"])
    response = http.request("GET", f"{base}/users/{quote(user_id, safe='')}/mailboxSettings", key=user_id)
    if response.status_code not in UNREADABLE:
        purpose = purpose_of(http.expect(response).json())
        if purpose is not None:
            return PURPOSES.get(purpose, "other"), "userPurpose"
    else:
        log.debug("mailbox settings of %s unreadable (HTTP %s)", user_id, response.status_code)
    return ("shared" if user.get("accountEnabled") is False else "user"), "accountEnabled"
