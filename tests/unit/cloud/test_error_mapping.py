"""Graph / identity-platform / Google error answers become clear connector errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kustos.sources.base import AuthenticationFailed, ConnectorError, CursorExpired, PermissionMissing
from kustos.sources.gmail.errors import HistoryExpired, MailboxUnavailable
from kustos.sources.gmail.errors import api_error as google_error
from kustos.sources.gmail.errors import token_error as google_token_error
from kustos.sources.graph import GraphMailConnector
from kustos.sources.graph.connector import login_endpoint_for
from kustos.sources.graph.errors import SyncStateLost, graph_error, token_error


def answer(status: int, body: Any, url: str = "https://graph.microsoft.com/v1.0/users") -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", url))


def aad(codes: list[int], error: str = "invalid_request") -> dict[str, Any]:
    return {"error": error, "error_description": f"AADSTS{codes[0]}: words. Trace ID: abc", "error_codes": codes}


@pytest.mark.parametrize(("body", "status", "text"), [
    (aad([90002]), 400, "tenant 'T' was not found"),
    (aad([700016], "unauthorized_client"), 400, "(client) id 'C' is not registered"),
    (aad([7000215], "invalid_client"), 401, "client secret is wrong"),
    (aad([7000222], "invalid_client"), 401, "client secret has expired"),
    (aad([50000], "temporarily_unavailable"), 400, "sign-in failed (temporarily_unavailable): AADSTS50000: words"),
])
def test_identity_errors(body: dict[str, Any], status: int, text: str) -> None:
    error = token_error(answer(status, body), "T", "C")
    assert isinstance(error, AuthenticationFailed) and text in str(error)
    assert "Trace ID" not in str(error)


def graph_body(code: str, message: str = "m") -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def test_graph_errors() -> None:
    delta = "https://graph.microsoft.com/v1.0/users/u/mailFolders/f/messages/delta"
    assert isinstance(graph_error(answer(410, graph_body("SyncStateNotFound"), delta)), SyncStateLost)
    assert isinstance(graph_error(answer(400, graph_body("resyncRequired"), delta)), CursorExpired)
    mail = graph_error(answer(403, graph_body("ErrorAccessDenied"), delta))
    assert isinstance(mail, PermissionMissing) and "permission Mail.Read " in str(mail)
    users = graph_error(answer(403, graph_body("Authorization_RequestDenied")))
    assert isinstance(users, PermissionMissing) and "permission User.Read.All " in str(users)
    assert isinstance(graph_error(answer(401, graph_body("InvalidAuthenticationToken"))), AuthenticationFailed)
    other = graph_error(answer(500, graph_body("generalException", "boom")))
    assert type(other) is ConnectorError and str(other) == "Microsoft Graph answered HTTP 500 generalException: boom"


def google_body(status: int, reason: str, message: str = "m") -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}


def test_google_errors() -> None:
    history = "https://gmail.googleapis.com/gmail/v1/users/a@b/history"
    assert isinstance(google_error(answer(404, google_body(404, "notFound"), history)), HistoryExpired)
    directory = "https://admin.googleapis.com/admin/directory/v1/users"
    assert "not a Google Workspace administrator" in str(google_error(answer(403, google_body(403, "forbidden"),
                                                                             directory)))
    assert isinstance(google_error(answer(400, google_body(400, "failedPrecondition"), history)),
                      MailboxUnavailable)
    dwd = google_token_error(answer(401, {"error": "unauthorized_client"}), "123", "a@b", "s1 s2")
    assert isinstance(dwd, PermissionMissing) and "client id 123 for the scopes s1,s2" in str(dwd)
    sig = google_token_error(answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
                             "123", "a@b", "s")
    assert isinstance(sig, AuthenticationFailed) and "invalid JWT signature" in str(sig)


def test_login_endpoint_follows_the_graph_cloud() -> None:
    assert login_endpoint_for("https://graph.microsoft.com") == "https://login.microsoftonline.com"
    assert login_endpoint_for("https://graph.microsoft.us") == "https://login.microsoftonline.us"
    assert login_endpoint_for("https://microsoftgraph.chinacloudapi.cn") == "https://login.chinacloudapi.cn"
    assert login_endpoint_for("http://127.0.0.1:8081") == "http://127.0.0.1:8081"
    connector = GraphMailConnector("t", "c", "hunter2-secret", endpoint=None)
    assert (connector.base, connector.login_endpoint) == ("https://graph.microsoft.com/v1.0",
                                                          "https://login.microsoftonline.com")
    assert "hunter2" not in repr(connector)
