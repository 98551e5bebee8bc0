"""What the Google Workspace backup contract suites (``test_google_backup_*.py``) share: a fresh
fakecloud domain with a service account (domain-wide delegation for the backup scopes), the backup
connector for a suite's services, and the throttling hooks of the contract."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import ClassVar

from fakecloud.testing import FakeCloudProcess, throttle_obeyed
from kustos.sources.google import GoogleBackupConnector, build_backup
from tests.contract.graph_backup_view import EGRESS, ContractView

DOMAIN = "backup.example"
USER = f"nina@{DOMAIN}"

__all__ = ["DOMAIN", "EGRESS", "USER", "ContractView", "GoogleSource"]


class GoogleSource:
    """A fresh fakecloud Workspace domain and the backup connector for ``services``."""

    throttle_prefix: ClassVar[str] = "/drive/"

    def __init__(self, cloud: FakeCloudProcess, services: Iterable[str]) -> None:
        self.cloud = cloud
        self.control = cloud.control
        self.control.call("reset")
        self.settings = self.control.credentials("google", DOMAIN)
        self.control.call("google/user", email=USER, full_name="Nina")
        self.services = tuple(services)

    @property
    def secret(self) -> str:
        return json.dumps(self.settings["service_account"])

    def config(self) -> dict[str, str]:
        return {"admin_email": self.settings["admin"], "endpoint": self.settings["endpoint"]}

    def build(self, services: Iterable[str] | None = None) -> GoogleBackupConnector:
        return build_backup(self.config(), self.secret, EGRESS,
                            tuple(services) if services is not None else self.services)

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle(self.throttle_prefix, requests, retry_after)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())
