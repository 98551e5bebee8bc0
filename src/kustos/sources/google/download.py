"""Stream a Drive file's bytes (``files.get?alt=media``) chunk by chunk; 429/503 wait out Retry-After
and the download starts again where it stopped (``Range``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from kustos.sources.base import ConnectorError
from kustos.sources.http import HttpClient, TokenSource, retry_after_seconds

CHUNK = 1024 * 1024
MAX_RESTARTS = 8


def stream_media(http: HttpClient, token: TokenSource, url: str, size: int, chunk_size: int = CHUNK) -> Iterator[bytes]:
    offset = 0
    restarts = 0
    while True:
        headers = {"Authorization": f"Bearer {token.token()}"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        wait: float | None = None
        progressed = False
        http.wait_shared_pause()
        try:
            with http.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in (429, 503):
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    wait = 1.0 if wait is None else wait
                elif status == 401:
                    token.token(force_refresh=True)
                elif status not in (200, 206):
                    response.read()
                    raise http.on_error(response)
                else:
                    skip = offset if status == 200 else 0
                    for chunk in response.iter_bytes(chunk_size):
                        if skip:
                            cut = min(skip, len(chunk))
                            chunk, skip = chunk[cut:], skip - cut
                            if not chunk:
                                continue
                        offset += len(chunk)
                        progressed = True
                        yield chunk
                    return
        except (httpx.TransportError, httpx.StreamError):
            pass
        if wait is not None:
            http.waits.append(wait)
            http.sleep(wait)
        restarts = 0 if progressed else restarts + 1
        if restarts > MAX_RESTARTS:
            raise ConnectorError(f"the download of a Drive file failed {MAX_RESTARTS} times in a row at byte {offset}")
