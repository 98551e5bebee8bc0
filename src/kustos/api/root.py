"""The NinjaAPI instance: /api/v1, OpenAPI at /api/v1/docs, one router per area."""

from __future__ import annotations

from ninja import NinjaAPI

from kustos import __version__
from kustos.api import problems
from kustos.api.auth import AUTH
from kustos.api.routers import archive, backup, customers, jobs, partners, quarantine, sources, uploads, users
from kustos.api.routers.app_passwords import router as app_passwords_router
from kustos.api.routers.archive_alerts import router as archive_alerts_router
from kustos.api.routers.archive_restore import router as archive_restore_router
from kustos.api.routers.audit import router as audit_router
from kustos.api.routers.backup_accounts import router as backup_accounts_router
from kustos.api.routers.backup_alerts import router as backup_alerts_router
from kustos.api.routers.backup_compare import router as backup_compare_router
from kustos.api.routers.backup_item import router as backup_item_router
from kustos.api.routers.backup_restore import router as backup_restore_router
from kustos.api.routers.backup_search import router as backup_search_router
from kustos.api.routers.backup_seed import router as backup_seed_router
from kustos.api.routers.billing import router as billing_router
from kustos.api.routers.billing_setup import router as billing_setup_router
from kustos.api.routers.compliance import router as compliance_router
from kustos.api.routers.evidence import router as evidence_router
from kustos.api.routers.exit_export import router as exit_export_router
from kustos.api.routers.gdpr import router as gdpr_router
from kustos.api.routers.health import router as health_router
from kustos.api.routers.help import router as help_router
from kustos.api.routers.holds import router as holds_router
from kustos.api.routers.ingest_rules import router as ingest_rules_router
from kustos.api.routers.journal_setup import router as journal_setup_router
from kustos.api.routers.key_export import router as key_export_router
from kustos.api.routers.notify import router as notify_router
from kustos.api.routers.ocr import router as ocr_router
from kustos.api.routers.reconcile import router as reconcile_router
from kustos.api.routers.retention import router as retention_router
from kustos.api.routers.saved_searches import router as saved_searches_router
from kustos.api.routers.self_service import router as self_service_router
from kustos.api.routers.source_cleanup import router as source_cleanup_router
from kustos.api.routers.tax_flags import router as tax_flags_router
from kustos.api.routers.z3 import router as z3_router
from kustos.sso.api import router as sso_router

api = NinjaAPI(
    title="Kustos API",
    version=__version__,
    description="Everything the Kustos dashboard does. Authenticate with `Authorization: Bearer <token>` "
                "(create tokens under My account) or the dashboard session. Errors are RFC 9457 problem details.",
    auth=AUTH,
    docs_url="/docs",
    urls_namespace="api",
)
problems.install(api)
api.add_router("", partners.router)
api.add_router("", customers.router)
api.add_router("", users.router)
api.add_router("", jobs.router)
api.add_router("", archive.router)
api.add_router("", sources.router)
api.add_router("", source_cleanup_router)
api.add_router("", uploads.router)
api.add_router("", quarantine.router)
api.add_router("", backup.router)
api.add_router("", backup_restore_router)
api.add_router("", archive_restore_router)
api.add_router("", backup_alerts_router)
api.add_router("", backup_search_router)
api.add_router("", backup_accounts_router)
api.add_router("", backup_compare_router)
api.add_router("", backup_item_router)
api.add_router("", backup_seed_router)
api.add_router("", compliance_router)
api.add_router("", audit_router)
api.add_router("", z3_router)
api.add_router("", journal_setup_router)
api.add_router("", evidence_router)
api.add_router("", reconcile_router)
api.add_router("", retention_router)
api.add_router("", holds_router)
api.add_router("", gdpr_router)
api.add_router("", saved_searches_router)
api.add_router("", self_service_router)
api.add_router("", key_export_router)
api.add_router("", exit_export_router)
api.add_router("", tax_flags_router)
api.add_router("", ocr_router)
api.add_router("", archive_alerts_router)
api.add_router("", ingest_rules_router)
api.add_router("", help_router)
api.add_router("", health_router)
api.add_router("", notify_router)
api.add_router("", billing_setup_router)
api.add_router("", billing_router)
api.add_router("", app_passwords_router)
api.add_router("", sso_router)
