"""Gmail ``messages.delete`` and ``messages.trash``: what a mailbox cleanup asks of Gmail.

As in the discovery document (``gmail.v1.json``):

* ``DELETE /gmail/v1/users/{userId}/messages/{id}``: "Immediately and permanently deletes the
  specified message"; only with the scope ``https://mail.google.com/``; 204 with an empty body; the
  history records ``messageDeleted``.
* ``POST /gmail/v1/users/{userId}/messages/{id}/trash``: "Moves the specified message to the trash"
  (``https://mail.google.com/`` or ``gmail.modify``); 200 with the Message. The message gets the
  ``TRASH`` label and leaves the inbox and spam (``INBOX``, ``SPAM`` removed; its other labels stay);
  the history records the label changes.

An unknown id is 404 ``notFound``. Both go through the Gmail service's user check (delegation,
mailbox enabled) and count against its per-user concurrency statistics.
"""

from __future__ import annotations

from fakecloud.faults import Faults
from fakecloud.google.errors import api_error
from fakecloud.google.gmail import USER, GmailService
from fakecloud.google.store import GoogleStore, GoogleUser
from fakecloud.web import Request, Response, Router, json_response

FULL = {"https://mail.google.com/"}
MODIFY = FULL | {"https://www.googleapis.com/auth/gmail.modify"}
LEAVES_ON_TRASH = ("INBOX", "SPAM")


class GmailCleanupService:
    def __init__(self, store: GoogleStore, faults: Faults) -> None:
        self.store = store
        self.gmail = GmailService(store, faults)

    def register(self, router: Router) -> None:
        router.add("DELETE", USER + r"/messages/(?P<message>[^/]+)", self.gmail._user(self.delete, FULL))
        router.add("POST", USER + r"/messages/(?P<message>[^/]+)/trash", self.gmail._user(self.trash, MODIFY))

    def delete(self, request: Request, user: GoogleUser) -> Response:
        if request.params["message"] not in user.messages:
            return api_error(404, "notFound", "Requested entity was not found.")
        self.store.delete_message(user.email, request.params["message"])
        return Response(204)

    def trash(self, request: Request, user: GoogleUser) -> Response:
        message = user.messages.get(request.params["message"])
        if message is None:
            return api_error(404, "notFound", "Requested entity was not found.")
        leaving = [label for label in LEAVES_ON_TRASH if label in message.label_ids]
        if "TRASH" not in message.label_ids:
            self.store.modify_labels(user.email, message.id, ["TRASH"], leaving)
            message.label_ids = ["TRASH", *[x for x in message.label_ids if x != "TRASH"]]
        return json_response(200, GmailService._message_json(message, "minimal"))
