"""S3 backend (boto3): AWS S3, MinIO, Ceph, moto.

``store`` is one PUT (atomic by S3 semantics). When the bucket has object lock enabled,
``retain_until`` is applied as a retention date in ``lock_mode`` (COMPLIANCE by default),
so data cannot be deleted before its retention expires, not even by the vault itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, EndpointConnectionError

from kustos.vault.backends.base import Backend, ObjectInfo, check_name
from kustos.vault.errors import NotFound, PermanentError, TransientError

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_TRANSIENT = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
              "ServiceUnavailable", "503", "500", "RequestTimeTooSkewed"}


def _wrap(exc: Exception, name: str) -> Exception:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _NOT_FOUND:
            return NotFound(name)
        if code in _TRANSIENT or status >= 500:
            return TransientError(f"S3 {code or status} on {name}")
        return PermanentError(f"S3 {code or status} on {name}: {exc.response.get('Error', {}).get('Message', '')}")
    if isinstance(exc, (ConnectionError, EndpointConnectionError)):
        return TransientError(f"S3 connection failed on {name}: {exc}")
    return TransientError(f"S3 request failed on {name}: {exc}")


class S3Backend(Backend):
    """Objects under ``prefix`` in ``bucket``."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key: str | None = None,
                 secret_key: str | None = None, lock_mode: str = "COMPLIANCE"):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.lock_mode = lock_mode
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=60),
        )
        self._props: dict[str, Any] | None = None

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    def load(self, name: str, offset: int = 0, size: int | None = None) -> bytes:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(name)}
        if offset or size is not None:
            if size == 0:
                return b""
            end = "" if size is None else str(offset + size - 1)
            kwargs["Range"] = f"bytes={offset}-{end}"
        try:
            body = self.client.get_object(**kwargs)["Body"]
            return bytes(body.read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""
            raise _wrap(exc, name)
        except (BotoCoreError, OSError) as exc:
            raise _wrap(exc, name)

    def store(self, name: str, data: bytes, retain_until: datetime | None = None) -> None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(name), "Body": data}
        if retain_until is not None and self.properties()["object_lock"]:
            kwargs["ObjectLockMode"] = self.lock_mode
            kwargs["ObjectLockRetainUntilDate"] = retain_until
        try:
            self.client.put_object(**kwargs)
        except (ClientError, BotoCoreError, OSError) as exc:
            raise _wrap(exc, name)

    def delete(self, name: str) -> None:
        self.info(name)  # S3 DELETE of a missing key succeeds; the contract says NotFound
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except (ClientError, BotoCoreError, OSError) as exc:
            raise _wrap(exc, name)

    def list(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        names: list[str] = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    names.append(item["Key"][len(self.prefix):])
        except (ClientError, BotoCoreError, OSError) as exc:
            raise _wrap(exc, prefix or "/")
        yield from sorted(names)

    def info(self, name: str) -> ObjectInfo:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except (ClientError, BotoCoreError, OSError) as exc:
            raise _wrap(exc, name)
        return ObjectInfo(name, int(head["ContentLength"]), head["LastModified"].timestamp(),
                          head.get("ObjectLockRetainUntilDate"))

    def properties(self) -> dict[str, Any]:
        if self._props is None:
            lock = False
            try:
                cfg = self.client.get_object_lock_configuration(Bucket=self.bucket)
                lock = cfg.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in {"ObjectLockConfigurationNotFoundError", "NotImplemented"}:
                    raise _wrap(exc, "bucket")
            except (BotoCoreError, OSError) as exc:
                raise _wrap(exc, "bucket")
            self._props = {"kind": "s3", "object_lock": lock, "bucket": self.bucket}
        return dict(self._props)
