"""Reading one message and deleting it: what a mailbox cleanup asks of Graph.

Faithful to the v1.0 reference ("Get message", "Delete message", "message: permanentDelete",
"message: move") and to Exchange's behaviour behind them, under ``/v1.0`` and ``/beta`` (archive
mailboxes, ``MBX:`` ids):

* ``GET /users/{id}/messages/{id}`` with ``$select`` and
  ``$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')``: the message, with
  PR_MESSAGE_SIZE (PidTagMessageSize) as ``{"id": "Integer 0xe08", "value": "<bytes>"}`` when asked
  for (the emulator's size of an item is its MIME length); an id the mailbox no longer has (deleted, or
  moved: a move gives the message a new id) is 404 ``ErrorItemNotFound``.
* ``DELETE /users/{id}/messages/{id}``: 204; Exchange moves the item to Deleted Items (a new id); an
  item already in Deleted Items goes to Recoverable Items/Deletions, one in Recoverable Items is gone.
* ``POST /users/{id}/messages/{id}/permanentDelete``: 204; the item is put into Recoverable
  Items/Purges (a new id), out of reach of mail clients; one already in Purges is gone.
* ``POST /beta/users/{id}/messages/{id}/move`` (``destinationId`` a folder id or well-known name such as
  ``deleteditems``): 201 with the moved message (a new id), as ``/v1.0`` does in ``mail_write.py``.

Writes need ``Mail.ReadWrite`` (403 ``ErrorAccessDenied``). In an archive mailbox, a message stored in an
auxiliary archive answers ``308`` into that mailbox, as ``$value`` does (``archive.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from fakecloud.microsoft.archive import ArchiveService
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.graph import GraphService
from fakecloud.microsoft.shapes import ODATA, message_json
from fakecloud.microsoft.store import IssuedToken, Message, User
from fakecloud.tokens import new_id
from fakecloud.web import Request, Response, Router, json_response

MESSAGE = r"/users/(?P<user>[^/]+)/messages/(?P<message>[^/]+)"
MESSAGE_SIZE = "integer 0x0e08"  # PR_MESSAGE_SIZE / PidTagMessageSize
WRITE_ROLES = {"Mail.ReadWrite"}
_EXPAND = re.compile(r"singleValueExtendedProperties\(\$filter=id eq '([^']+)'\)", re.IGNORECASE)

Handler = Callable[[Request, IssuedToken, User], Response]


def _normalise_property(prop_id: str) -> str:
    return " ".join(prop_id.split()).lower()


def _not_found() -> Response:
    return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")


class MailCleanupService:
    def __init__(self, graph: GraphService) -> None:
        self.graph = graph
        self.store = graph.store

    def register(self, router: Router) -> None:
        mailbox = self.graph._mailbox
        for prefix in (r"/v1\.0", r"/beta"):
            router.add("GET", prefix + MESSAGE, mailbox(self._located(self.get)))
            router.add("DELETE", prefix + MESSAGE, mailbox(self._located(self._write(self.delete))))
            router.add("POST", prefix + MESSAGE + r"/permanentDelete",
                       mailbox(self._located(self._write(self.permanent_delete))))
        router.add("POST", r"/beta" + MESSAGE + r"/move", mailbox(self._located(self._write(self.move))))

    # --- plumbing -------------------------------------------------------------------------
    def _located(self, handler: Handler) -> Handler:
        """404 for an unknown id; in an archive mailbox, 308 to the auxiliary archive that holds it."""

        def located(request: Request, issued: IssuedToken, user: User) -> Response:
            message_id = request.params["message"]
            if message_id in user.messages:
                return handler(request, issued, user)
            if user.id.startswith("MBX:"):
                for folder in user.folders.values():
                    auxiliary = self.store.mailboxes.get(folder.redirect_to or "")
                    if auxiliary is not None and message_id in auxiliary.messages:
                        tail = request.path.split(f"/messages/{message_id}", 1)[1]
                        return ArchiveService._redirect(request, folder.redirect_base, auxiliary.id,
                                                        f"/messages/{quote(message_id, safe='')}{tail}")
            return _not_found()

        return located

    @staticmethod
    def _write(handler: Handler) -> Handler:
        def checked(request: Request, issued: IssuedToken, user: User) -> Response:
            if not issued.app.roles & WRITE_ROLES:
                return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            return handler(request, issued, user)

        return checked

    def _well_known(self, user: User, name: str) -> str:
        return next(f.id for f in user.folders.values() if f.well_known == name)

    def _relocate(self, user: User, message_id: str, well_known: str) -> None:
        """Exchange's deletions: into ``well_known`` with a new id, or gone when already there."""
        message = user.messages[message_id]
        folder = user.folders.get(message.folder_id)
        here = folder.well_known if folder is not None else None
        recoverable = (here or "").startswith("recoverableitems")
        if well_known == "deleteditems" and here == "deleteditems":
            well_known = "recoverableitemsdeletions"
        if here == well_known or (recoverable and well_known != "recoverableitemspurges"):
            user.messages.pop(message_id)
            user.append(message.folder_id, message_id, "remove")
            return
        self._move(user, message_id, self._well_known(user, well_known))

    @staticmethod
    def _move(user: User, message_id: str, folder_id: str) -> str:
        old = user.messages.pop(message_id)
        user.append(old.folder_id, message_id, "remove")
        moved = Message(new_id(), folder_id, old.mime, old.received, old.subject, old.internet_message_id,
                          old.sender, flag=dict(old.flag), categories=list(old.categories), is_read=old.is_read)
        user.messages[moved.id] = moved
        user.append(folder_id, moved.id, "add")
        return moved.id

    # --- endpoints ------------------------------------------------------------------------
    def get(self, request: Request, issued: IssuedToken, user: User) -> Response:
        message = user.messages[request.params["message"]]
        select = [s for s in (request.arg("$select") or "").split(",") if s]
        body = {"@odata.context": f"{ODATA}#users('{user.id}')/messages/$entity", **message_json(message, select)}
        wanted = [_normalise_property(m) for m in _EXPAND.findall(request.arg("$expand") or "")]
        if wanted:
            # Graph lists only the requested properties the item has; every item has PR_MESSAGE_SIZE.
            body["singleValueExtendedProperties"] = [
                {"id": "Integer 0xe08", "value": str(len(message.mime))} for w in wanted if w == MESSAGE_SIZE]
        return json_response(200, body)

    def delete(self, request: Request, issued: IssuedToken, user: User) -> Response:
        self._relocate(user, request.params["message"], "deleteditems")
        return Response(204)

    def permanent_delete(self, request: Request, issued: IssuedToken, user: User) -> Response:
        self._relocate(user, request.params["message"], "recoverableitemspurges")
        return Response(204)

    def move(self, request: Request, issued: IssuedToken, user: User) -> Response:
        body = request.json()
        target = self.store.folder(user, str(body.get("destinationId", ""))) if isinstance(body, dict) else None
        if target is None:
            return graph_error(400, "ErrorInvalidIdMalformed", "Id is malformed.")
        moved = self._move(user, request.params["message"], target.id)
        return json_response(201, {"@odata.context": f"{ODATA}#users('{user.id}')/messages/$entity",
                                   **message_json(user.messages[moved], None)})
