"""fakecloud answers in the published shapes: Graph CSDL and docs examples, Google discovery documents.

Responses are fetched over real HTTP from a fakecloud subprocess and checked against
../shared/corpus/api (skipped when the corpus is absent).
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakecloud.app import FakeCloud
from fakecloud.google.keys import DWD_SCOPES, make_service_account
from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud
from kustos.sources.gmail.auth import DelegatedTokens
from kustos.sources.http import HttpClient

pytestmark = pytest.mark.corpus

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
TENANT = "fabrikam.onmicrosoft.com"
ANNOTATIONS = re.compile(r"^@odata\.(type|etag|context|nextLink|deltaLink)$|^@removed$"
                         r"|^@microsoft\.graph\.downloadUrl$")


@cache
def csdl_types(path: Path) -> dict[str, tuple[str | None, dict[str, str]]]:
    """``{type name: (base type, {property: edm type})}`` of the microsoft.graph schema."""
    root = ET.parse(path).getroot()
    schema = next(s for s in root.iter(f"{EDM}Schema") if s.get("Namespace") == "microsoft.graph")
    types: dict[str, tuple[str | None, dict[str, str]]] = {}
    for kind in ("EntityType", "ComplexType"):
        for node in schema.findall(f"{EDM}{kind}"):
            props = {p.get("Name", ""): p.get("Type", "") for p in node
                     if p.tag in (f"{EDM}Property", f"{EDM}NavigationProperty")}
            base = node.get("BaseType")
            types[node.get("Name", "")] = (base.split(".", 1)[1] if base else None, props)
    return types


def all_properties(types: dict[str, tuple[str | None, dict[str, str]]], name: str) -> dict[str, str]:
    base, props = types[name]
    return {**(all_properties(types, base) if base else {}), **props}


def check_edm(value: Any, edm: str) -> None:
    if value is None:
        return
    if edm.startswith("Collection("):
        assert isinstance(value, list)
        return
    expected: dict[str, type | tuple[type, ...]] = {"Edm.String": str, "Edm.Int32": int, "Edm.Boolean": bool}
    if edm in expected:
        assert isinstance(value, expected[edm]), (value, edm)
    elif edm == "Edm.DateTimeOffset":
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value), value
    elif edm.startswith("graph."):
        assert isinstance(value, (dict, str)), (value, edm)  # complex type or enum member


def assert_graph_entity(row: dict[str, Any], type_name: str, types: Any) -> None:
    props = all_properties(types, type_name)
    for key, value in row.items():
        if ANNOTATIONS.match(key):
            continue
        assert key in props, f"{key!r} is not a property of {type_name} in the CSDL"
        check_edm(value, props[key])


def discovery_check(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> None:
    """Validate ``value`` against a discovery-document schema (types, formats, known properties)."""
    if "$ref" in schema:
        discovery_check(doc, doc["schemas"][schema["$ref"]], value, where)
        return
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(value, dict), where
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                discovery_check(doc, props[key], item, f"{where}.{key}")
            else:
                assert "additionalProperties" in schema, f"{where}.{key} is not in the discovery schema"
    elif kind == "array":
        assert isinstance(value, list), where
        for n, item in enumerate(value):
            discovery_check(doc, schema["items"], item, f"{where}[{n}]")
    elif kind == "string":
        assert isinstance(value, str), where
        if schema.get("format") in ("int64", "uint64"):
            assert value.isdigit(), where
        if schema.get("format") == "byte":
            base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    elif kind == "integer":
        assert isinstance(value, int), where
    elif kind == "boolean":
        assert isinstance(value, bool), where


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture(scope="module")
def graph(cloud: FakeCloudProcess) -> dict[str, Any]:
    """Seed a mailbox and collect real Graph answers."""
    control = cloud.control
    control.call("reset")
    control.ms_app(TENANT, "app", "pw", ["User.Read.All", "Mail.Read"])
    user = control.ms_user(TENANT, "lee@fabrikam.onmicrosoft.com", display_name="Lee Gu")
    sub = control.ms_folder(TENANT, user, "Receipts", "inbox")
    ids = [control.ms_message(TENANT, user, "inbox", generated_message(n, "schema")) for n in range(3)]
    control.ms_message(TENANT, user, sub, generated_message(9, "schema"))
    with httpx.Client(base_url=cloud.base_url) as http:
        token = http.post(f"/{TENANT}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": "app", "client_secret": "pw",
            "scope": "https://graph.microsoft.com/.default"}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        inbox = http.get(f"/v1.0/users/{user}/mailFolders/inbox", headers=auth).json()
        first = http.get(f"/v1.0/users/{user}/mailFolders/inbox/messages/delta", headers={
            **auth, "Prefer": "odata.maxpagesize=2"}).json()
        second = http.get(first["@odata.nextLink"], headers=auth).json()
        control.call("ms/delete", tenant=TENANT, user=user, message=ids[0])
        removed = http.get(second["@odata.deltaLink"], headers=auth).json()
        return {
            "token": token,
            "users": http.get("/v1.0/users", headers=auth).json(),
            "folders": http.get(f"/v1.0/users/{user}/mailFolders", headers=auth).json(),
            "children": http.get(f"/v1.0/users/{user}/mailFolders/{inbox['id']}/childFolders", headers=auth).json(),
            "delta": [first, second, removed],
            "value": http.get(f"/v1.0/users/{user}/messages/{ids[1]}/$value", headers=auth),
            "mime": generated_message(1, "schema"),
            "error": http.get("/v1.0/users", headers={"Authorization": "Bearer nope"}).json(),
        }


def test_graph_entities_match_csdl(graph: dict[str, Any], corpus: Path) -> None:
    types = csdl_types(corpus / "api/msgraph/metadata/v1.0-Prod.csdl")
    for row in graph["users"]["value"]:
        assert_graph_entity(row, "user", types)
    for row in graph["folders"]["value"] + graph["children"]["value"]:
        assert_graph_entity(row, "mailFolder", types)
    rows = [row for page in graph["delta"] for row in page["value"]]
    assert len(rows) == 4
    for row in rows:
        assert_graph_entity(row, "message", types)
        if "@removed" not in row:
            assert_graph_entity(row["body"], "itemBody", types)
            assert_graph_entity(row["from"], "recipient", types)


def _docs_example(corpus: Path, url_suffix: str) -> dict[str, Any]:
    mocks = json.loads((corpus / "api/msgraph/docs-examples/graph-v1_0-mocks-workloads-subset.json").read_text())
    return next(m["response"] for m in mocks["mocks"]
                if m["request"]["url"].endswith(url_suffix) and m["request"].get("method", "GET") == "GET")


def test_graph_delta_follows_docs_example(graph: dict[str, Any], corpus: Path) -> None:
    example = _docs_example(corpus, "/me/mailFolders/*/messages/delta")["body"]
    first, second, removed = graph["delta"]
    assert set(example) <= set(first) and "@odata.deltaLink" not in first
    assert set(example["value"][0]) <= set(first["value"][0])
    assert re.search(r"/messages/delta\?.*\$skiptoken=", first["@odata.nextLink"])
    assert re.search(r"/messages/delta\?.*\$deltatoken=", second["@odata.deltaLink"])
    assert "@odata.nextLink" not in second
    assert [r["@removed"] for r in removed["value"]] == [{"reason": "deleted"}]


def test_graph_value_follows_docs_example(graph: dict[str, Any], corpus: Path) -> None:
    example = _docs_example(corpus, "/me/messages/*/$value")
    declared = {h["name"].lower(): h["value"] for h in example["headers"]}
    assert graph["value"].headers["content-type"] == declared["content-type"]
    assert graph["value"].content == graph["mime"]


def test_graph_users_and_errors_follow_docs(graph: dict[str, Any], corpus: Path) -> None:
    assert set(_docs_example(corpus, "/v1.0/users")["body"]) <= set(graph["users"])
    assert set(graph["error"]["error"]) == {"code", "message", "innerError"}
    assert set(graph["token"]) == {"token_type", "expires_in", "ext_expires_in", "access_token"}


@pytest.fixture(scope="module")
def google(cloud: FakeCloudProcess) -> dict[str, Any]:
    """Seed a domain and collect real Gmail and Directory answers (JWT really signed)."""
    control = cloud.control
    control.call("reset")
    info, public_pem = make_service_account(cloud.base_url)
    control.call("google/service_account", client_email=info["client_email"], client_id=info["client_id"],
                 public_key_pem=public_pem, scopes=DWD_SCOPES)
    control.google_user("root@example.com", is_admin=True)
    control.google_user("kim@example.com")
    label = control.google_label("kim@example.com", "Invoices")
    ids = [control.google_message("kim@example.com", generated_message(n, "g"), ["INBOX", label]) for n in range(3)]
    control.call("google/modify", user="kim@example.com", message=ids[0], add=["STARRED"], remove=["INBOX"])
    control.call("google/delete", user="kim@example.com", message=ids[1])
    with HttpClient() as http:
        tokens = DelegatedTokens(info, f"{cloud.base_url}/token", http)
        gmail = tokens.for_user("kim@example.com", DWD_SCOPES[0])
        admin = tokens.for_user("root@example.com", DWD_SCOPES[1])
        base = f"{cloud.base_url}/gmail/v1/users/kim@example.com"
        return {
            "Profile": http.get_json(f"{base}/profile", token=gmail),
            "ListLabelsResponse": http.get_json(f"{base}/labels", token=gmail),
            "ListMessagesResponse": http.get_json(f"{base}/messages", params={"maxResults": "1"}, token=gmail),
            "Message": http.get_json(f"{base}/messages/{ids[2]}", params={"format": "raw"}, token=gmail),
            "ListHistoryResponse": http.get_json(f"{base}/history", params={"startHistoryId": "1"}, token=gmail),
            "Users": http.get_json(f"{cloud.base_url}/admin/directory/v1/users",
                                   params={"customer": "my_customer", "maxResults": "1"}, token=admin),
        }


@pytest.mark.parametrize("schema", ["Profile", "ListLabelsResponse", "ListMessagesResponse", "Message",
                                    "ListHistoryResponse"])
def test_gmail_answers_match_discovery(google: dict[str, Any], corpus: Path, schema: str) -> None:
    doc = json.loads((corpus / "api/google-discovery/gmail.v1.json").read_text())
    discovery_check(doc, {"$ref": schema}, google[schema])


def test_gmail_history_has_every_record_kind(google: dict[str, Any]) -> None:
    kinds = {k for record in google["ListHistoryResponse"]["history"] for k in record if k not in ("id", "messages")}
    assert kinds == {"messagesAdded", "labelsAdded", "labelsRemoved", "messagesDeleted"}
    assert google["ListMessagesResponse"]["nextPageToken"]
    raw = google["Message"]["raw"]
    assert base64.urlsafe_b64decode(raw) == generated_message(2, "g")


def test_directory_answers_match_discovery(google: dict[str, Any], corpus: Path) -> None:
    doc = json.loads((corpus / "api/google-discovery/admin.directory_v1.json").read_text())
    discovery_check(doc, {"$ref": "Users"}, google["Users"])
    assert google["Users"]["nextPageToken"] and len(google["Users"]["users"]) == 1


def test_emulated_google_paths_are_documented(corpus: Path) -> None:
    """Every route the emulator serves for Google corresponds to a discovery method path."""
    documented = set()
    for name in ("gmail.v1.json", "admin.directory_v1.json"):
        doc = json.loads((corpus / "api/google-discovery" / name).read_text())
        stack = [doc]
        while stack:
            node = stack.pop()
            documented |= {"/" + m.get("flatPath", m["path"]) for m in node.get("methods", {}).values()}
            stack.extend(node.get("resources", {}).values())
    names = {"user": "userId", "message": "id"}
    served = set()
    for _method, pattern in FakeCloud().router.routes():
        template = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", lambda m: "{" + names.get(m.group(1), m.group(1)) + "}", pattern)
        template = template.strip("^$").replace("\\", "")
        if template.startswith(("/gmail/", "/admin/")):
            served.add(template)
    assert len(served) == 8  # the six archive routes, messages.import (restore), messages.trash (cleanup)
    assert served <= documented
