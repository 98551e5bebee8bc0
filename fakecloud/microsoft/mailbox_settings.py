"""``GET /users/{id}/mailboxSettings`` (and ``…/mailboxSettings/userPurpose``), v1.0.

``userPurpose`` (an enum in v1.0: ``user``, ``linked``, ``shared``, ``room``, ``equipment``,
``others``) is what tells a shared or resource mailbox from a user's; a disabled account says
nothing about it (a leaver's disabled mailbox stays ``user``). Application permission
``MailboxSettings.Read`` (or ``MailboxSettings.ReadWrite``); a user without a mailbox is 404
``MailboxNotEnabledForRESTAPI``.
"""

from __future__ import annotations

from typing import Any

from fakecloud.microsoft.common import ODATA, Workload
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.store import IssuedToken, User
from fakecloud.web import Request, Response, Router, json_response

SETTINGS = r"/users/(?P<user>[^/]+)/mailboxSettings"


def settings_json(user: User) -> dict[str, Any]:
    return {
        "archiveFolder": "",
        "timeZone": "UTC",
        "automaticRepliesSetting": {
            "status": "disabled", "externalAudience": "all", "internalReplyMessage": "", "externalReplyMessage": "",
            "scheduledStartDateTime": {"dateTime": "2026-01-01T00:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2026-01-02T00:00:00.0000000", "timeZone": "UTC"}},
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                         "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
                         "timeZone": {"name": "UTC"}},
        "userPurpose": user.purpose,
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
    }


class MailboxSettingsService(Workload):
    read_roles = frozenset({"MailboxSettings.Read", "MailboxSettings.ReadWrite"})
    denied_code = "ErrorAccessDenied"
    denied_message = "Access is denied. Check credentials and try again."

    def register(self, router: Router) -> None:
        self.route(router, "GET", SETTINGS, self.settings)
        self.route(router, "GET", SETTINGS + r"/userPurpose", self.purpose)

    def _user(self, request: Request, issued: IssuedToken) -> User | Response:
        user = self.store.user(issued.tenant, request.params["user"])
        if user is None:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{request.params['user']}' is invalid.")
        if user.mail is None:
            return graph_error(404, "MailboxNotEnabledForRESTAPI",
                               "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
        return user

    def settings(self, request: Request, issued: IssuedToken) -> Response:
        user = self._user(request, issued)
        if isinstance(user, Response):
            return user
        return json_response(200, {"@odata.context": f"{ODATA}#users('{user.id}')/mailboxSettings",
                                   **settings_json(user)})

    def purpose(self, request: Request, issued: IssuedToken) -> Response:
        user = self._user(request, issued)
        if isinstance(user, Response):
            return user
        return json_response(200, {"@odata.context": f"{ODATA}#users('{user.id}')/mailboxSettings/userPurpose",
                                   "value": user.purpose})
