"""Stream a driveItem's content from its pre-authenticated ``@microsoft.graph.downloadUrl``.

The URL is short-lived: a 401/403 (expired) makes the stream ask Graph for the item again (a fresh
URL) and resume with ``Range`` where it stopped; a broken connection resumes the same way. Chunks
are yielded as they arrive, so memory does not grow with the file's size. 429/503 honour
``Retry-After`` and hold back the whole tenant (the session's shared pause).

Safe to run from several threads at once (the sink prefetches a few files in parallel): the
owner's concurrency slot is held only while a response streams, never while sleeping out a
Retry-After or while asking Graph for a fresh URL (that request takes a slot of its own, so
holding one here could starve the owner's slots when several downloads expire together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext

import httpx

from kustos.sources.base import ConnectorError
from kustos.sources.http import HttpClient, retry_after_seconds

CHUNK = 1024 * 1024
MAX_RESTARTS = 8  # fresh URLs / resumed connections without progress before giving up


def stream_download(http: HttpClient, owner: str, url: str, size: int,
                    fresh_url: Callable[[], str], chunk_size: int = CHUNK) -> Iterator[bytes]:
    """Yield the content in chunks; ``fresh_url()`` fetches the item again for a new download URL."""
    offset = 0
    restarts = 0
    while True:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        progressed = False
        wait: float | None = None
        expired = False
        limiter = http.limiter
        http.wait_shared_pause()
        with limiter.slot(owner) if limiter is not None else nullcontext():
            try:
                with http.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    if status in (429, 503):
                        wait = retry_after_seconds(response.headers.get("Retry-After"))
                        wait = 1.0 if wait is None else wait
                    elif status in (401, 403, 410):
                        expired = True  # the download URL expired: a new one, resumed below
                    elif status == 416 and offset >= size:
                        return
                    elif status not in (200, 206):
                        raise ConnectorError(f"the download of a file answered HTTP {status}")
                    else:
                        skip = offset if status == 200 else 0  # the server ignored Range
                        for chunk in response.iter_bytes(chunk_size):
                            if skip:
                                cut = min(skip, len(chunk))
                                chunk, skip = chunk[cut:], skip - cut
                                if not chunk:
                                    continue
                            offset += len(chunk)
                            progressed = True
                            yield chunk
                        if offset >= size or status == 200 or response.headers.get("Content-Range") is None:
                            return
            except (httpx.TransportError, httpx.StreamError):
                pass  # the connection broke: resume where we stopped
        if wait is not None:  # outside the slot: the owner's other requests are held by the shared pause
            if http.pause is not None:
                http.pause.hold(wait)
            http.sleep(wait)
            http.waits.append(wait)
        if expired:
            url = fresh_url()
        restarts = 0 if progressed else restarts + 1
        if restarts > MAX_RESTARTS:
            raise ConnectorError(f"the download of a file failed {MAX_RESTARTS} times in a row at byte {offset}")
