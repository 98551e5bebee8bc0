"""Expected HTTP status of EVERY dashboard URL and EVERY API operation for every role, used by
test_authz_matrix.py. A new URL or API operation needs a row here, or the matrix test fails.

Format: (method, route) -> (object kind or None, "anon=… op=… pa=… pt=… ca=… eu=… au=…").
Roles: op operator, pa partner_admin, pt partner_tech, ca customer_admin, eu end_user, au auditor.
Object codes are own/sibling/foreign customer's object (or own/foreign for partner and token);
anonymous API requests are always 401. Dashboard routes use Django's route syntax, API routes
the OpenAPI path.
"""

from __future__ import annotations

from tests.integration.authz_world import ROLES

_ALL = "op pa pt ca eu au"
SHORT = dict(zip(_ALL.split(), ROLES, strict=True))

# (method, route) -> (object kind or None, "anon=… op=… pa=… pt=… ca=… eu=… au=…")
# Object codes are own/sibling/foreign (or own/foreign for partner and token).
DASHBOARD: dict[tuple[str, str], tuple[str | None, str]] = {
    ("GET", "healthz"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", ""): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "login/"): (None, "anon=200 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("POST", "login/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "login/otp/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "sso/<str:provider_id>/start"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "sso/callback"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "sso/discover"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("POST", "login/otp/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "logout/"): (None, "anon=405 op=405 pa=405 pt=405 ca=405 eu=405 au=405"),
    ("POST", "logout/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "password-reset/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "password-reset/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "password-reset/sent/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "password-reset/<uidb64>/<token>/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "password-reset/complete/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "account/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/language/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "account/password/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/password/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "account/tokens/"): (None, "anon=302 op=405 pa=405 pt=405 ca=405 eu=405 au=405"),
    ("POST", "account/tokens/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/tokens/<str:token_id>/revoke/"): (
        "token", "anon=302 op=302/404 pa=302/404 pt=302/404 ca=302/404 eu=302/404 au=302/404"),
    ("GET", "account/app-passwords/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/app-passwords/create/"): (None, "anon=302 op=400 pa=400 pt=400 ca=400 eu=400 au=400"),
    ("POST", "account/app-passwords/<str:app_password_id>/revoke/"): (
        None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "account/2fa/setup/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/2fa/setup/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "partners/"): (None, "anon=302 op=200 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("POST", "partners/"): (None, "anon=302 op=302 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "partners/<str:partner_id>/"): (
        "partner", "anon=302 op=200/200 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "partners/<str:partner_id>/"): (
        "partner", "anon=302 op=302/302 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "locations/"): (None, "anon=302 op=200 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("POST", "locations/"): (None, "anon=302 op=302 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "customers/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "customers/new/"): (None, "anon=302 op=200 pa=200 pt=200 ca=403 eu=403 au=403"),
    ("POST", "customers/new/"): (None, "anon=302 op=302 pa=302 pt=302 ca=403 eu=403 au=403"),
    ("GET", "customers/<str:customer_id>/"): (
        "customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("GET", "customers/<str:customer_id>/edit/"): (
        "customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("POST", "customers/<str:customer_id>/edit/"): (
        "customer", "anon=302 op=302/302/302 pa=302/302/404 pt=302/302/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("GET", "customers/<str:customer_id>/delete/"): (
        "customer", "anon=302 op=200/200/200 pa=200/200/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("POST", "customers/<str:customer_id>/delete/"): (
        "customer", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("GET", "users/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "users/new/"): (None, "anon=302 op=200 pa=200 pt=403 ca=200 eu=403 au=403"),
    ("POST", "users/new/"): (None, "anon=302 op=302 pa=302 pt=403 ca=302 eu=403 au=403"),
    ("GET", "users/<str:user_id>/"): (
        "user", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/role/"): (
        "user", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/active/"): (
        "user", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/2fa-reset/"): (
        "user", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/grants/"): (
        "auditor", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                   "au=404/404/404"),
    ("POST", "users/<str:user_id>/grants/revoke/"): (
        "auditor", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                   "au=404/404/404"),
    ("GET", "jobs/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "audit/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=200"),
    # Billing statement: the operator (all partners) and partner admins (own partner) only.
    ("GET", "billing/"): (None, "anon=302 op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("GET", "billing/csv/"): (None, "anon=302 op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("GET", "jobs/<str:job_id>/"): (
        "job", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=404/404/404 "
               "au=404/404/404"),
    ("GET", "help/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "help/getting-started/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "help/<slug:slug>/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "health/"): (None, "anon=302 op=200 pa=403 pt=403 ca=403 eu=403 au=403"),
    # Archive dashboard (search, messages, export): the operator never reads archives.
    ("GET", "archive/search/"): (None, "anon=302 op=403 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "archive/export/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "archive/export/z3/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "archive/export/evidence/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    # Restore to mailbox: without a customer in the request nothing is found; a job id that is no restore job neither.
    ("GET", "archive/restore/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/restore/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/restore/start/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "archive/customers/<str:customer_id>/restore/<str:job_id>/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 au=403/404/404"),
    ("GET", "archive/customers/<str:customer_id>/folders/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "archive/messages/<str:message_id>/"): ("message", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "archive/messages/<str:message_id>/body/"): ("message", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "archive/messages/<str:message_id>/raw/"): ("message", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "archive/messages/<str:message_id>/tax-relevant/"): ("message", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "archive/messages/<str:message_id>/original/"): (
        "message", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 "
                   "au=404/404/404"),  # no original file stored for these messages
    ("GET", "archive/messages/<str:message_id>/attachments/<str:part>/"): ("message", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    # Imports, sources and journaling pages (partner roles and customer admins manage; operator views).
    ("GET", "customers/<str:customer_id>/import/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/journal/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/journal/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/new/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/new/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/bulk/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/bulk/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/edit/"): ("source", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/edit/"): ("source", "anon=302 op=403/403/403 pa=400/400/404 pt=400/400/404 ca=400/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/test/"): ("source", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/pause/"): ("source", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/run/"): ("source", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/remove/"): ("source", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/remove/"): ("source", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/cleanup/"): ("source", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/cleanup/"): ("source", "anon=302 op=403/403/403 pa=400/400/404 pt=400/400/404 ca=400/404/404 eu=403/404/404 au=403/404/404"),
    # Quarantine: the operator may look at the list; the kept bytes and retry are for importers.
    ("GET", "customers/<str:customer_id>/quarantine/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/reconcile/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    # Billing set-up: the price list (operator sets, partner staff read), trials (partner admins, operator).
    ("GET", "prices/"): (None, "anon=302 op=200 pa=200 pt=200 ca=403 eu=403 au=403"),
    ("POST", "prices/"): (None, "anon=302 op=422 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("POST", "customers/<str:customer_id>/trial/"): ("customer", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    # Integrity (verify now, evidence state): customer admins and partner staff (compliance.view).
    ("GET", "customers/<str:customer_id>/integrity/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/integrity/verify/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/quarantine/<str:item_id>/raw/"): ("quarantine", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/quarantine/<str:item_id>/retry/"): ("quarantine", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    # Compliance documents: customer admins and partner staff; auditors read the procedure doc.
    ("GET", "customers/<str:customer_id>/compliance/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=200/404/404"),
    ("POST", "customers/<str:customer_id>/compliance/procedure-doc/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/compliance/procedure-doc/<int:version>/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=200/404/404"),
    ("GET", "customers/<str:customer_id>/compliance/art30/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    # Saved searches (the matrix posts no id / customer: not found once signed in) and the folder flag.
    ("GET", "archive/saved-searches/"): (None, "anon=302 op=403 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "archive/saved-searches/create/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/saved-searches/share/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/saved-searches/remove/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "archive/saved-searches/run/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "archive/customers/<str:customer_id>/folders/tax-relevant/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    # Retention (classes, rules, proposals, approval, tombstones): partner and customer admins manage,
    # partner technicians read; the matrix posts no action: an error banner and back to the page.
    ("GET", "customers/<str:customer_id>/retention/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/retention/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    # Ingest rules (requirement 24): as retention; the matrix posts no rule: an error banner and back.
    ("GET", "customers/<str:customer_id>/ingest-rules/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/ingest-rules/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/ingest-rules/<str:rule_id>/remove/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    # Legal holds and data-subject requests: partner and customer admins only (never auditors, not
    # partner technicians); the matrix posts no case/kind: an error banner and back to the page.
    ("GET", "customers/<str:customer_id>/holds/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/holds/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/holds/cases/<str:case_id>/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/holds/<str:hold_id>/release/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/gdpr/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/gdpr/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/gdpr/<str:request_id>/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/gdpr/<str:request_id>/report/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/gdpr/<str:request_id>/export/"): ("customer", "anon=302 op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    # Django-side routes of the API package that are not OpenAPI operations.
    ("GET", "api/v1/"): (None, "anon=404 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "api/v1/openapi.json"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "api/v1/docs"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    # Backup pages (the world's IMAP sources have no plan: 404 where the role may look).
    ("GET", "customers/<str:customer_id>/backup/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/backup/search/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/backup/alerts/ack/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/"): ("source", "anon=302 op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/enable/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/backup/enable/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/backup/run/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/browse/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/download/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/compare/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/item/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/backup/restore/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/backup/seed/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/"): ("source", "anon=302 op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/<str:account>/"): ("source", "anon=302 op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sources/<str:source_id>/backup/activate/"): ("source", "anon=302 op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    # End-user self-service switches: whoever sees the customer reads them; customer admins and partner
    # staff change them (the matrix posts no form: an error banner and back, nothing changed).
    ("GET", "customers/<str:customer_id>/self-service/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/self-service/"): ("customer", "anon=302 op=302/302/302 pa=302/302/404 pt=302/302/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    # Key export for kustos-read: partner admins only (an empty passphrase is refused: redirect with a message).
    ("GET", "customers/<str:customer_id>/key-export/"): ("customer", "anon=302 op=403/403/403 pa=200/200/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/key-export/"): ("customer", "anon=302 op=403/403/403 pa=302/302/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    # Customer exit export: partner admins and operators; a job id that is no exit export of the customer: 404.
    ("GET", "customers/<str:customer_id>/exit-export/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/exit-export/"): ("customer", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "customers/<str:customer_id>/exit-export/<str:job_id>/download/"): ("customer", "anon=302 op=404/404/404 pa=404/404/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "archive/messages/<str:message_id>/pdf/"): ("message", "anon=302 op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    # The Outlook add-in's manifest and task pane are public (the pane signs in with an API token).
    ("GET", "outlook/manifest.xml"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "outlook/manifest.json"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "outlook/app-package.zip"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "outlook/taskpane/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    # Notifications of a partner: partner admins and the operator.
    ("GET", "notifications/"): (None, "anon=302 op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("POST", "notifications/routes/"): (None, "anon=302 op=404 pa=404 pt=403 ca=403 eu=403 au=403"),
    ("POST", "notifications/webhooks/"): (None, "anon=302 op=404 pa=404 pt=403 ca=403 eu=403 au=403"),
    ("POST", "notifications/settings/"): (None, "anon=302 op=404 pa=404 pt=403 ca=403 eu=403 au=403"),
    # Single sign-on settings of a partner (its staff) and a customer (its users): user managers in scope.
    ("GET", "sso-settings/"): (None, "anon=302 op=302 pa=302 pt=403 ca=302 eu=403 au=403"),
    ("GET", "partners/<str:partner_id>/sso/"): ("partner", "anon=302 op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "partners/<str:partner_id>/sso/"): ("partner", "anon=302 op=302/302 pa=302/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "partners/<str:partner_id>/sso/policy/"): ("partner", "anon=302 op=302/302 pa=302/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "customers/<str:customer_id>/sso/"): ("customer", "anon=302 op=200/200/200 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sso/"): ("customer", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "customers/<str:customer_id>/sso/policy/"): ("customer", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "sso-providers/<str:provider_id>/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "sso-providers/<str:provider_id>/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "sso-providers/<str:provider_id>/enabled/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "sso-providers/<str:provider_id>/test/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "sso-providers/<str:provider_id>/remove/"): (None, "anon=302 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
}

_OBJ = "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404"
API: dict[tuple[str, str], tuple[str | None, str]] = {
    ("GET", "/api/v1/partners"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/partners"): (None, "op=201 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/partners/{partner_id}"): (
        "partner", "op=200/200 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("PATCH", "/api/v1/partners/{partner_id}"): (
        "partner", "op=200/200 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "/api/v1/locations"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/locations"): (None, "op=201 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/customers"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/customers"): (None, "op=201 pa=201 pt=201 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/customers/{customer_id}"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    # Health at a glance: customer states (customer.view, scoped), usage series, installation (operator).
    ("GET", "/api/v1/health/customers"): (None, "op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "/api/v1/customers/{customer_id}/usage/daily"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/health/installation"): (None, "op=200 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("PATCH", "/api/v1/customers/{customer_id}"): (
        "customer", "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/delete"): (
        "customer", "op=202/202/202 pa=202/202/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/me"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "/api/v1/users"): (None, "op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("POST", "/api/v1/users"): (None, "op=201 pa=201 pt=403 ca=201 eu=403 au=403"),
    ("GET", "/api/v1/users/{user_id}"): ("user", f"{_OBJ} eu=404/404/404 au=404/404/404"),
    ("PATCH", "/api/v1/users/{user_id}"): (
        "user", "op=200/200/200 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=404/404/404 au=404/404/404"),
    ("POST", "/api/v1/users/{user_id}/grants"): (
        "auditor", "op=201/201/201 pa=201/201/404 pt=403/403/404 ca=201/404/404 eu=404/404/404 au=404/404/404"),
    ("GET", "/api/v1/users/{user_id}/grants"): ("auditor", f"{_OBJ} eu=404/404/404 au=404/404/404"),
    # The matrix puts the auditor's id where the customer id belongs: no such grant.
    ("DELETE", "/api/v1/users/{user_id}/grants/{customer_id}"): (
        "auditor", "op=404/404/404 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=404/404/404 au=404/404/404"),
    ("GET", "/api/v1/me/tokens"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/me/tokens"): (None, "op=201 pa=201 pt=201 ca=201 eu=201 au=201"),
    ("POST", "/api/v1/me/password"): (None, "op=422 pa=422 pt=422 ca=422 eu=422 au=422"),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): (
        "token", "op=200/404 pa=200/404 pt=200/404 ca=200/404 eu=200/404 au=200/404"),
    ("GET", "/api/v1/me/app-passwords"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/me/app-passwords"): (None, "op=422 pa=422 pt=422 ca=422 eu=422 au=422"),
    ("DELETE", "/api/v1/me/app-passwords/{app_password_id}"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "/api/v1/jobs"): (None, "op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "/api/v1/audit"): (None, "op=200 pa=200 pt=200 ca=200 eu=403 au=200"),
    ("GET", "/api/v1/help/articles"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "/api/v1/help/articles/{slug}"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "/api/v1/audit/verify"): (None, "op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/billing/{month}.csv"): (None, "op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/billing/{month}"): (None, "op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/jobs/{job_id}"): ("job", f"{_OBJ} eu=404/404/404 au=404/404/404"),
    # Archive: the operator runs the platform but never reads customer archives.
    ("GET", "/api/v1/customers/{customer_id}/archive/search"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/archive/export"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/archive/restore"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=422/422/404 ca=422/404/404 eu=422/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/archive/restore/{job_id}"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/exports/z3"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "/api/v1/messages/{message_id}/tax-relevant"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/messages/{message_id}/raw"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}/attachments/{part}"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}/pdf"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}/view"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    # End-user self-service switches: read with the customer, changed by customer admins and partner staff.
    ("GET", "/api/v1/customers/{customer_id}/self-service"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("PUT", "/api/v1/customers/{customer_id}/self-service"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    # Key export for kustos-read: partner admins only (the matrix sends no passphrase: 422 once allowed).
    ("POST", "/api/v1/customers/{customer_id}/key-export"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    # Customer exit export: partner admins and operators start the job; a job id that is no finished exit export: 404.
    ("POST", "/api/v1/customers/{customer_id}/exit-export"): (
        "customer", "op=202/202/202 pa=202/202/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/exit-export/{job_id}/download"): (
        "customer", "op=404/404/404 pa=404/404/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    # Sources and journaling: partner roles and customer admins manage; the operator only views.
    ("GET", "/api/v1/customers/{customer_id}/sources"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/sources"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=201/201/404 ca=201/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/journal"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/journal/setup"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("PATCH", "/api/v1/customers/{customer_id}/journal"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}"): ("source", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("PATCH", "/api/v1/sources/{source_id}"): (
        "source", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("DELETE", "/api/v1/sources/{source_id}"): (
        "source", "op=403/403/403 pa=204/204/404 pt=204/204/404 ca=204/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/test"): (
        "source", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/scopes"): (
        "source", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/run"): (
        "source", "op=403/403/403 pa=202/202/404 pt=202/202/404 ca=202/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/cleanup"): (
        "source", "op=403/403/403 pa=422/422/404 pt=422/422/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    # Quarantine: listing with source.view (the operator may look), kept bytes and retry with archive.import.
    ("GET", "/api/v1/customers/{customer_id}/quarantine"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/reconcile"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    # Billing set-up: prices (operator writes, partner staff read), trials, a customer's activations and usage.
    ("GET", "/api/v1/prices"): (None, "op=200 pa=200 pt=200 ca=403 eu=403 au=403"),
    ("POST", "/api/v1/prices"): (None, "op=422 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/trials"): (None, "op=200 pa=200 pt=200 ca=403 eu=403 au=403"),
    ("POST", "/api/v1/customers/{customer_id}/trials"): (
        "customer", "op=422/422/422 pa=422/422/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/activations"): (
        "customer", "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/usage"): (
        "customer", "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    # Verify now and the evidence state: compliance.view; the court bundle: archive.export within the
    # caller's visibility (like the Z3 export).
    ("POST", "/api/v1/customers/{customer_id}/verify"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/evidence/status"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/exports/evidence"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    # Saved searches: every role that searches; auditors read shared ones only (the matrix's saved_id
    # is a customer id: not found); the folder flag for partner roles and customer admins.
    ("GET", "/api/v1/customers/{customer_id}/saved-searches"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/saved-searches"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=201/201/404 ca=201/404/404 eu=201/404/404 au=403/404/404"),
    ("POST", "/api/v1/saved-searches/{saved_id}/share"): (
        "customer", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 au=404/404/404"),
    ("GET", "/api/v1/saved-searches/{saved_id}/results"): (
        "customer", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 au=404/404/404"),
    ("DELETE", "/api/v1/saved-searches/{saved_id}"): (
        "customer", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=404/404/404 au=404/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/alerts"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/archive/folders"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/archive/folders/tax-relevant"): (
        "customer", "op=403/403/403 pa=200/404/404 pt=200/404/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/ocr"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/ocr/run"): (  # 422: OCR is off in the tests
        "customer", "op=403/403/403 pa=422/422/404 pt=422/422/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/quarantine/{item_id}"): (
        "quarantine", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/quarantine/{item_id}/raw"): (
        "quarantine", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/quarantine/{item_id}/retry"): (
        "quarantine", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    # Resumable uploads for imports (partner roles and customer admins).
    ("POST", "/api/v1/customers/{customer_id}/uploads"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=201/201/404 ca=201/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/uploads/{upload_id}"): (
        "upload", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("PUT", "/api/v1/uploads/{upload_id}"): (
        "upload", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/uploads/{upload_id}/complete"): (
        "upload_done", "op=403/403/403 pa=202/202/404 pt=202/202/404 ca=202/404/404 eu=403/404/404 "
                       "au=403/404/404"),
    # Backup (partner roles and customer admins manage and restore; the operator views lists). The
    # world's sources are IMAP (no backup): enabling answers 422, plan-bound operations 404.
    ("GET", "/api/v1/customers/{customer_id}/backup"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/backup/alerts"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/backup/search"): (  # no query given: 400 once allowed
        "customer", "op=403/403/403 pa=400/400/404 pt=400/400/404 ca=400/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/backup/alerts/acknowledge"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup"): (
        "source", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup"): (
        "source", "op=403/403/403 pa=422/422/404 pt=422/422/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup/run"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup/forget"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/snapshots"): (
        "source", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/ls"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/download"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/item"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/compare"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/compare.csv"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup/restore"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup/restore/preview"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup/seed"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/accounts"): (
        "source", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}/backup/accounts/{account}/snapshots"): (
        "source", "op=404/404/404 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/backup/activate-csv"): (
        "source", "op=403/403/403 pa=404/404/404 pt=404/404/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/backup/history"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    # Compliance documents (procedure documentation, Art. 30 record).
    ("POST", "/api/v1/customers/{customer_id}/procedure-doc"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/procedure-doc/versions"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=200/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/procedure-doc/versions/{version}"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=200/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/art30"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    # Retention: partner and customer admins manage, partner technicians read, auditors never.
    ("GET", "/api/v1/customers/{customer_id}/retention"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/classes"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/classes/suggested"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=403/403/404 ca=201/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/rules"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("PATCH", "/api/v1/customers/{customer_id}/retention/rules/{rule_id}"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/apply"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/migrate"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/runs"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=403/403/404 ca=201/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/retention/proposals"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/proposals/{proposal_id}/approve"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/proposals/{proposal_id}/reject"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/retention/settings"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    # Ingest rules (requirement 24): as retention.
    ("GET", "/api/v1/customers/{customer_id}/ingest-rules"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/ingest-rules"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("DELETE", "/api/v1/customers/{customer_id}/ingest-rules/{rule_id}"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/tombstones"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    # Legal holds and data-subject requests: partner and customer admins only.
    ("GET", "/api/v1/customers/{customer_id}/holds"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/holds"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/holds/cases/{case_id}"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/holds/{hold_id}/release"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/gdpr/requests"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/gdpr/requests"): (
        "customer", "op=403/403/403 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/gdpr/requests/{request_id}"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/gdpr/requests/{request_id}/report"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/gdpr/requests/{request_id}/export"): (
        "customer", "op=403/403/403 pa=404/404/404 pt=403/403/404 ca=404/404/404 eu=403/404/404 au=403/404/404"),
    # Notifications: routes and webhook endpoints of a partner (partner admins, the operator).
    ("GET", "/api/v1/notify/event-types"): (None, "op=200 pa=200 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/partners/{partner_id}/notify/routes"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "/api/v1/partners/{partner_id}/notify/routes"): ("partner", "op=422/422 pa=422/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("DELETE", "/api/v1/notify/routes/{route_id}"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "/api/v1/partners/{partner_id}/webhooks"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "/api/v1/partners/{partner_id}/webhooks"): ("partner", "op=422/422 pa=422/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "/api/v1/partners/{partner_id}/notify/settings"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "/api/v1/partners/{partner_id}/notify/settings"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    # Single sign-on: identity providers and the sign-in policy (user managers in scope; provider ids 404).
    ("GET", "/api/v1/partners/{partner_id}/sso-providers"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "/api/v1/partners/{partner_id}/sso-providers"): ("partner", "op=422/422 pa=422/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "/api/v1/customers/{customer_id}/sso-providers"): ("customer", "op=200/200/200 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/sso-providers"): ("customer", "op=422/422/422 pa=422/422/404 pt=403/403/404 ca=422/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sso-providers/{provider_id}"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("PATCH", "/api/v1/sso-providers/{provider_id}"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("DELETE", "/api/v1/sso-providers/{provider_id}"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("POST", "/api/v1/sso-providers/{provider_id}/test"): (None, "op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "/api/v1/partners/{partner_id}/sign-in-policy"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("PUT", "/api/v1/partners/{partner_id}/sign-in-policy"): ("partner", "op=200/200 pa=200/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "/api/v1/customers/{customer_id}/sign-in-policy"): ("customer", "op=200/200/200 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("PUT", "/api/v1/customers/{customer_id}/sign-in-policy"): ("customer", "op=200/200/200 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
}
