"""Dashboard URLs. Every pattern here must have a row in tests/integration/test_authz_matrix.py."""

from django.http import JsonResponse
from django.urls import path

from kustos.web.views import (
    account,
    app_passwords,
    auth,
    customers,
    help,
    jobs,
    locations,
    overview,
    partners,
    twofactor,
    users,
)
from kustos.web.views import health as health_views

app_name = "web"


def healthz(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", overview.home, name="home"),
    # sign-in
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.otp_view, name="login-otp"),
    path("logout/", auth.logout_view, name="logout"),
    path("password-reset/", auth.RESET["reset"], name="reset"),
    path("password-reset/sent/", auth.RESET["done"], name="reset-done"),
    path("password-reset/<uidb64>/<token>/", auth.RESET["confirm"], name="password_reset_confirm"),
    path("password-reset/complete/", auth.RESET["complete"], name="reset-complete"),
    # my account
    path("account/", account.index, name="account"),
    path("account/language/", account.language, name="account-language"),
    path("account/password/", auth.RESET["change"], name="account-password"),
    path("account/tokens/", account.create_token, name="token-create"),
    path("account/tokens/<str:token_id>/revoke/", account.revoke_token, name="token-revoke"),
    path("account/app-passwords/", app_passwords.index, name="app-passwords"),
    path("account/app-passwords/create/", app_passwords.create, name="app-password-create"),
    path("account/app-passwords/<str:app_password_id>/revoke/", app_passwords.revoke, name="app-password-revoke"),
    path("account/2fa/setup/", twofactor.setup, name="2fa-setup"),
    # operator
    path("partners/", partners.partner_list, name="partners"),
    path("partners/<str:partner_id>/", partners.partner_detail, name="partner"),
    path("locations/", locations.location_list, name="locations"),
    # customers
    path("customers/", customers.customer_list, name="customers"),
    path("customers/new/", customers.customer_create, name="customer-create"),
    path("customers/<str:customer_id>/", customers.customer_detail, name="customer"),
    path("customers/<str:customer_id>/edit/", customers.customer_edit, name="customer-edit"),
    path("customers/<str:customer_id>/delete/", customers.customer_delete, name="customer-delete"),
    # users
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user-create"),
    path("users/<str:user_id>/", users.user_detail, name="user"),
    path("users/<str:user_id>/role/", users.user_role, name="user-role"),
    path("users/<str:user_id>/active/", users.user_active, name="user-active"),
    path("users/<str:user_id>/grants/", users.user_grant, name="user-grant"),
    path("users/<str:user_id>/grants/revoke/", users.user_grant_revoke, name="user-grant-revoke"),
    path("users/<str:user_id>/2fa-reset/", users.user_reset_2fa, name="user-2fa-reset"),
    # jobs and help
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<str:job_id>/", jobs.job_detail, name="job"),
    path("help/", help.index, name="help"),
    path("help/getting-started/", help.guide, name="help-guide"),
    path("help/<slug:slug>/", help.article, name="help-article"),
    path("health/", health_views.installation_health, name="installation-health"),
]

# --- archive search, messages, sources, journaling, imports (archive dashboard block) -----------
from kustos.web.views import archive, archive_message, imports, sources, sources_journal  # noqa: E402
from kustos.web.views import archive_restore as restore_views  # noqa: E402
from kustos.web.views import archive_z3 as z3_views  # noqa: E402
from kustos.web.views import sources_cleanup as cleanup_views  # noqa: E402

urlpatterns += [
    path("archive/search/", archive.search, name="archive-search"),
    path("archive/export/", archive.export_selection, name="archive-export"),
    path("archive/export/z3/", z3_views.export_z3, name="archive-export-z3"),
    path("archive/restore/", restore_views.restore_form, name="archive-restore"),
    path("archive/restore/start/", restore_views.restore_start, name="archive-restore-start"),
    path("archive/customers/<str:customer_id>/restore/<str:job_id>/", restore_views.restore_status,
         name="archive-restore-status"),
    path("archive/customers/<str:customer_id>/folders/", archive.folders, name="archive-folders"),
    path("archive/messages/<str:message_id>/", archive_message.message_view, name="archive-message"),
    path("archive/messages/<str:message_id>/body/", archive_message.message_body, name="archive-message-body"),
    path("archive/messages/<str:message_id>/raw/", archive_message.message_raw, name="archive-message-raw"),
    path("archive/messages/<str:message_id>/tax-relevant/", archive_message.message_tax_relevant, name="archive-message-tax"),
    path("archive/messages/<str:message_id>/original/", archive_message.message_original,
         name="archive-message-original"),
    path("archive/messages/<str:message_id>/attachments/<str:part>/", archive_message.message_attachment,
         name="archive-message-attachment"),
    path("customers/<str:customer_id>/import/", imports.import_page, name="archive-import"),
    path("customers/<str:customer_id>/journal/", sources_journal.journal_page, name="journal"),
    path("customers/<str:customer_id>/sources/", sources.source_list, name="sources"),
    path("customers/<str:customer_id>/sources/new/", sources.source_add, name="source-add"),
    path("customers/<str:customer_id>/sources/bulk/", sources.source_bulk, name="source-bulk"),
    path("customers/<str:customer_id>/sources/<str:source_id>/edit/", sources.source_edit, name="source-edit"),
    path("customers/<str:customer_id>/sources/<str:source_id>/test/", sources.source_test, name="source-test"),
    path("customers/<str:customer_id>/sources/<str:source_id>/pause/", sources.source_pause, name="source-pause"),
    path("customers/<str:customer_id>/sources/<str:source_id>/run/", sources.source_run, name="source-run"),
    path("customers/<str:customer_id>/sources/<str:source_id>/remove/", sources.source_remove,
         name="source-remove"),
    path("customers/<str:customer_id>/sources/<str:source_id>/cleanup/", cleanup_views.source_cleanup,
         name="source-cleanup"),
]

# --- quarantine: input that could not be archived (list, kept bytes, retry) ---------------------
from kustos.web.views import quarantine  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/quarantine/", quarantine.quarantine_list, name="quarantine"),
    path("customers/<str:customer_id>/quarantine/<str:item_id>/raw/", quarantine.quarantine_raw,
         name="quarantine-raw"),
    path("customers/<str:customer_id>/quarantine/<str:item_id>/retry/", quarantine.quarantine_retry,
         name="quarantine-retry"),
]

# --- backup: overview, snapshots of a source's plan, browse and ZIP download ---------------------
from kustos.web.views import backup, backup_alerts  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/backup/", backup.backup_overview, name="backup"),
    path("customers/<str:customer_id>/backup/alerts/ack/", backup_alerts.backup_alert_ack, name="backup-alert-ack"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/", backup.backup_snapshots,
         name="backup-snapshots"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/enable/", backup.backup_enable,
         name="backup-enable"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/run/", backup.backup_run, name="backup-run"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/browse/", backup.backup_browse,
         name="backup-browse"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/download/", backup.backup_download,
         name="backup-download"),
]
from kustos.web.views import backup_restore  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/sources/<str:source_id>/backup/restore/",
                     backup_restore.backup_restore, name="backup-restore")]
from kustos.web.views import backup_seed  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/sources/<str:source_id>/backup/seed/", backup_seed.backup_seed,
                     name="backup-seed")]
from kustos.web.views import backup_accounts, backup_activation  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/", backup_accounts.backup_accounts,
         name="backup-accounts"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/<str:account>/",
         backup_accounts.backup_account, name="backup-account"),
    path("customers/<str:customer_id>/sources/<str:source_id>/backup/activate/", backup_activation.backup_activate,
         name="backup-activate"),
]
from kustos.web.views import backup_item  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/sources/<str:source_id>/backup/item/", backup_item.backup_item,
                     name="backup-item")]
from kustos.web.views import backup_compare  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/sources/<str:source_id>/backup/compare/",
                     backup_compare.backup_compare, name="backup-compare")]
from kustos.web.views import backup_search  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/backup/search/", backup_search.backup_search_page,
                      name="backup-search")]
from kustos.web.views import audit as audit_views  # noqa: E402

urlpatterns += [path("audit/", audit_views.audit_log, name="audit")]
from kustos.web.views import reconcile as reconcile_views  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/reconcile/", reconcile_views.reconcile_page, name="reconcile")]
from kustos.web.views import archive_evidence as evidence_views  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/integrity/", evidence_views.integrity_page, name="integrity"),
    path("customers/<str:customer_id>/integrity/verify/", evidence_views.integrity_verify, name="integrity-verify"),
    path("archive/export/evidence/", evidence_views.export_evidence, name="archive-export-evidence"),
]
from kustos.web.views import compliance as compliance_views  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/compliance/", compliance_views.compliance_page, name="compliance"),
    path("customers/<str:customer_id>/compliance/procedure-doc/", compliance_views.procedure_doc_create,
         name="procedure-doc-create"),
    path("customers/<str:customer_id>/compliance/procedure-doc/<int:version>/",
         compliance_views.procedure_doc_download, name="procedure-doc-download"),
    path("customers/<str:customer_id>/compliance/art30/", compliance_views.art30_download, name="art30-download"),
]
from kustos.web.views import gdpr as gdpr_views  # noqa: E402
from kustos.web.views import holds as holds_views  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/holds/", holds_views.holds_page, name="holds"),
    path("customers/<str:customer_id>/holds/cases/<str:case_id>/", holds_views.case_page, name="hold-case"),
    path("customers/<str:customer_id>/holds/<str:hold_id>/release/", holds_views.hold_release, name="hold-release"),
    path("customers/<str:customer_id>/gdpr/", gdpr_views.gdpr_page, name="gdpr"),
    path("customers/<str:customer_id>/gdpr/<str:request_id>/", gdpr_views.gdpr_request, name="gdpr-request"),
    path("customers/<str:customer_id>/gdpr/<str:request_id>/report/", gdpr_views.gdpr_report_download,
         name="gdpr-report"),
    path("customers/<str:customer_id>/gdpr/<str:request_id>/export/", gdpr_views.gdpr_export_download,
         name="gdpr-export"),
]
from kustos.web.views import saved_searches as saved_search_views  # noqa: E402

urlpatterns += [
    path("archive/saved-searches/", saved_search_views.index, name="saved-searches"),
    path("archive/saved-searches/create/", saved_search_views.create, name="saved-search-create"),
    path("archive/saved-searches/share/", saved_search_views.share, name="saved-search-share"),
    path("archive/saved-searches/remove/", saved_search_views.delete, name="saved-search-delete"),
    path("archive/saved-searches/run/", saved_search_views.run, name="saved-search-run"),
    path("archive/customers/<str:customer_id>/folders/tax-relevant/", saved_search_views.flag_folder,
         name="archive-folder-tax"),
]
from kustos.web.views import retention as retention_views  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/retention/", retention_views.retention_page, name="retention")]
from kustos.web.views import ingest_rules as ingest_rules_views  # noqa: E402
from kustos.web.views import notify as notify_views  # noqa: E402

urlpatterns += [
    path("notifications/", notify_views.notifications, name="notifications"),
    path("notifications/routes/", notify_views.route_action, name="notification-routes"),
    path("notifications/webhooks/", notify_views.webhook_action, name="notification-webhooks"),
    path("notifications/settings/", notify_views.settings_action, name="notification-settings"),
]

urlpatterns += [
    path("customers/<str:customer_id>/ingest-rules/", ingest_rules_views.ingest_rules_page, name="ingest-rules"),
    path("customers/<str:customer_id>/ingest-rules/<str:rule_id>/remove/", ingest_rules_views.ingest_rule_remove,
         name="ingest-rule-remove"),
]
from kustos.web.views import billing as billing_views  # noqa: E402

urlpatterns += [path("billing/", billing_views.billing_page, name="billing"),
                path("billing/csv/", billing_views.billing_csv, name="billing-csv")]
from kustos.web.views import customer_billing  # noqa: E402
from kustos.web.views import prices as price_views  # noqa: E402

urlpatterns += [path("prices/", price_views.price_list, name="prices"),
                path("customers/<str:customer_id>/trial/", customer_billing.trial_start, name="customer-trial")]
from kustos.web.views import outlook as outlook_views  # noqa: E402
from kustos.web.views import self_service as self_service_views  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/self-service/", self_service_views.self_service_page, name="self-service"),
    path("archive/messages/<str:message_id>/pdf/", self_service_views.message_pdf_download, name="archive-message-pdf"),
    path("outlook/manifest.xml", outlook_views.manifest, name="outlook-manifest"),
    path("outlook/manifest.json", outlook_views.manifest_unified, name="outlook-manifest-json"),
    path("outlook/app-package.zip", outlook_views.app_package, name="outlook-app-package"),
    path("outlook/taskpane/", outlook_views.taskpane, name="outlook-taskpane"),
]
from kustos.web.views import key_export as key_export_views  # noqa: E402

urlpatterns += [path("customers/<str:customer_id>/key-export/", key_export_views.key_export_page, name="customer-key-export")]
from kustos.web.views import exit_export as exit_export_views  # noqa: E402

urlpatterns += [
    path("customers/<str:customer_id>/exit-export/", exit_export_views.exit_export_page, name="customer-exit-export"),
    path("customers/<str:customer_id>/exit-export/<str:job_id>/download/", exit_export_views.exit_export_download,
         name="customer-exit-export-download"),
]
from kustos.sso.web.urls import urlpatterns as sso_urlpatterns  # noqa: E402

urlpatterns += sso_urlpatterns
