"""The fakecloud application: every emulated service behind one router, plus fault injection."""

from __future__ import annotations

import time

from fakecloud.box.api import BoxService
from fakecloud.box.errors import rate_limited as box_rate_limited
from fakecloud.box.store import BoxStore
from fakecloud.control import ControlService
from fakecloud.dropbox.api import DropboxService
from fakecloud.dropbox.errors import too_many_requests
from fakecloud.dropbox.store import DropboxStore
from fakecloud.faults import Faults
from fakecloud.google.directory import DirectoryService
from fakecloud.google.drive import DriveService as GoogleDriveService
from fakecloud.google.errors import api_error, rate_limited
from fakecloud.google.gmail import GmailService
from fakecloud.google.gmail_cleanup import GmailCleanupService
from fakecloud.google.oauth import OAuthService
from fakecloud.google.pim import PimService as GooglePimService
from fakecloud.google.store import GoogleStore
from fakecloud.microsoft.archive import ArchiveService
from fakecloud.microsoft.drive import DriveService
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.graph import GraphService
from fakecloud.microsoft.group_mail import GroupMailService
from fakecloud.microsoft.identity import IdentityService
from fakecloud.microsoft.mail_cleanup import MailCleanupService
from fakecloud.microsoft.mail_write import MailWriteService
from fakecloud.microsoft.mailbox_settings import MailboxSettingsService
from fakecloud.microsoft.pim import PimService
from fakecloud.microsoft.sites import SitesService
from fakecloud.microsoft.store import MicrosoftStore
from fakecloud.microsoft.teams import TeamsService
from fakecloud.oidc.routes import OidcService
from fakecloud.oidc.state import OidcState
from fakecloud.salesforce.rest import SalesforceService, limit_exceeded
from fakecloud.salesforce.store import SalesforceStore
from fakecloud.web import Request, Response, Router, json_response

CONTROL_PREFIX = "/_fakecloud/"
GOOGLE_PREFIXES = ("/gmail/", "/admin/", "/drive/", "/upload/drive/", "/calendar/", "/v1/people", "/tasks/")


class FakeCloud:
    """In-process handle: ``handle(request)`` answers like the real services would."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.dropbox = DropboxStore()
        self.microsoft = MicrosoftStore()
        self.google = GoogleStore()
        self.box = BoxStore()
        self.salesforce = SalesforceStore()
        self.oidc = OidcState()
        self.graph = GraphService(self.microsoft, self.faults)
        self.router = Router()
        self._register()

    def _register(self) -> None:
        oidc = OidcService(self.oidc)
        oidc.register(self.router)  # before the generic control route, which would take /_fakecloud/oidc/...
        ControlService(self).register(self.router)
        IdentityService(self.microsoft, oidc.code_grant("ms")).register(self.router)
        self.graph.register(self.router)
        ArchiveService(self.graph).register(self.router)
        MailCleanupService(self.graph).register(self.router)
        for workload in (DriveService, SitesService, TeamsService, GroupMailService, MailboxSettingsService):
            workload(self.microsoft, self.faults).register(self.router)
        for exchange in (PimService, MailWriteService):  # the mailbox concurrency limit applies to these too
            exchange(self.microsoft, self.faults, lambda: self.graph.mailbox_concurrency).register(self.router)
        OAuthService(self.google, oidc.code_grant("google")).register(self.router)
        DropboxService(lambda: self.dropbox).register(self.router)
        DirectoryService(self.google).register(self.router)
        GmailService(self.google, self.faults).register(self.router)
        GmailCleanupService(self.google, self.faults).register(self.router)
        GoogleDriveService(self.google).register(self.router)
        GooglePimService(self.google).register(self.router)
        BoxService(self.box).register(self.router)
        SalesforceService(self.salesforce).register(self.router)

    def reset(self) -> None:
        self.faults.reset()
        self.dropbox = DropboxStore()
        self.microsoft = MicrosoftStore()
        self.google = GoogleStore()
        self.box = BoxStore()
        self.salesforce = SalesforceStore()
        self.oidc = OidcState()
        self.graph = GraphService(self.microsoft, self.faults)
        self.router = Router()
        self._register()

    def handle(self, request: Request) -> Response:
        control = request.path.startswith(CONTROL_PREFIX)
        if not control:
            self.faults.record(request.method, request.path)
            rule = self.faults.take_throttle(request.path)
            if rule is not None:
                return self._throttled(request.path, rule.retry_after, rule.status)
            if not request.path.startswith(("/v1.0/", "/gmail/")):  # those apply latency per endpoint
                delay = self.faults.latency_for(request.path)
                if delay:
                    time.sleep(delay)
        found = self.router.match(request.method, request.path)
        if found is None:
            return self._not_found(request.path)
        handler, params = found
        request.params = params
        return handler(request)

    @staticmethod
    def _throttled(path: str, retry_after: float, status: int) -> Response:
        headers = {"Retry-After": f"{retry_after:g}"}
        if path.startswith("/dropbox/"):  # Dropbox: too_many_requests
            return too_many_requests(retry_after, status)
        if path.startswith(("/2.0/", "/api/2.0/")):  # Box
            return box_rate_limited(retry_after, status)
        if path.startswith("/services/"):  # Salesforce: 403 REQUEST_LIMIT_EXCEEDED
            return limit_exceeded(retry_after)
        if path.startswith("/v1.0/"):
            code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
            return graph_error(status, code, "Too many requests. Please retry after the indicated time.", headers)
        if path.startswith(GOOGLE_PREFIXES):
            return rate_limited(retry_after, status)
        return json_response(status, {"error": "temporarily_unavailable"}, headers)

    @staticmethod
    def _not_found(path: str) -> Response:
        if path.startswith("/v1.0/"):
            return graph_error(400, "BadRequest", f"Resource not found for the segment '{path.rsplit('/', 1)[-1]}'.")
        if path.startswith(GOOGLE_PREFIXES):
            return api_error(404, "notFound", "Not Found")
        return json_response(404, {"error": "not_found"})
