"""The few HTTP shapes every Graph restore writer uses: JSON writes, a read that may find nothing,
a paged collection, and the conflict modes."""

from __future__ import annotations

import json
from typing import Any

from kustos.sources.base import ConnectorError
from kustos.sources.http import HttpClient

CONFLICTS = ("skip", "copy", "replace")


def check_conflict(conflict: str) -> str:
    if conflict not in CONFLICTS:
        raise ValueError(f"unknown conflict mode {conflict!r}; use skip, copy or replace")
    return conflict


def send_json(http: HttpClient, method: str, url: str, key: str, body: object | None,
              ok: tuple[int, ...] = (200, 201)) -> dict[str, Any]:
    """``method`` with a JSON body (none when ``body`` is None); the answer's JSON, ``{}`` when empty."""
    response = http.request(method, url, key=key, content=json.dumps(body).encode() if body is not None else b"",
                            headers={"Content-Type": "application/json"})
    answer = http.expect(response, ok)
    return answer.json() if answer.content else {}


def get_or_none(http: HttpClient, url: str, key: str) -> dict[str, Any] | None:
    """The resource, or None when Graph says it is not there (404, or 400 for an id it cannot parse)."""
    response = http.request("GET", url, key=key)
    if response.status_code == 200:
        return response.json()
    if response.status_code in (400, 404):
        return None
    raise http.on_error(response)


def all_rows(http: HttpClient, url: str, key: str) -> list[dict[str, Any]]:
    """Every ``value`` row of a collection, following ``@odata.nextLink``."""
    rows: list[dict[str, Any]] = []
    while url:
        page = http.get_json(url, key=key)
        rows.extend(page.get("value", []))
        url = page.get("@odata.nextLink") or ""
    return rows


def stored_json(data: bytes, what: str) -> dict[str, Any]:
    """A backed-up JSON item (list item, channel thread); ConnectorError naming ``what`` if it is not."""
    try:
        return dict(json.loads(data))
    except (ValueError, TypeError):
        raise ConnectorError(f"the stored {what} is not JSON") from None


def container_name(path: str, to_path: str | None, what: str) -> str:
    """The one list or channel an item goes into: ``to_path``, else the item's own parent folder."""
    name = (to_path or "").strip("/") or path.strip("/").rpartition("/")[0]
    if not name or "/" in name:
        raise ValueError(f"{path!r}: the target {what} name {name!r} is not one {what}'s name")
    return name
