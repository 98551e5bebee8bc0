"""Long-running processes: `kustos serve` (everything in one), `worker`, `scheduler`, `migrate`.

`serve` runs the huey consumer (workers + scheduler) in the main thread, because it
owns the SIGINT/SIGTERM handlers, and the WSGI server and the SMTP receiver in
background threads; when a signal stops the consumer, the others are closed too.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import io
import logging
import signal
import threading

from django.conf import settings as django_settings
from django.core.management import call_command
from huey.consumer import ConsumerStopped
from huey.contrib.djhuey import HUEY
from waitress.server import create_server

from kustos.archive import evidence_jobs  # noqa: F401  (the daily evidence renewal check)
from kustos.billing import jobs as billing_jobs  # noqa: F401  (usage samples, trial ends)
from kustos.cli import first_operator, https_server, smtp_service, startup
from kustos.cli.base import Context
from kustos.config import ConfigError, Settings
from kustos.imapd import service as imap_service
from kustos.jobs import schedules, tasks  # noqa: F401  (registers the huey tasks)
from kustos.lifecycle import jobs as lifecycle_jobs  # noqa: F401  (the monthly retention run)
from kustos.notify import periodic as notify_periodic  # noqa: F401  (webhook deliveries, hourly checks)
from kustos.tenants.services import locations
from kustos.web import client_address, https_settings
from kustos.wsgi import application

log = logging.getLogger("kustos.serve")


def prepare_jobs(immediate: bool) -> None:
    """CLI commands run their jobs inline; serve/worker/scheduler use the queue."""
    HUEY.immediate = immediate


def cmd_migrate(ctx: Context, args: argparse.Namespace) -> dict:
    out = io.StringIO()
    call_command("migrate", interactive=False, verbosity=1, stdout=out)
    ctx.info(out.getvalue().strip())
    return {"ok": True}


def ensure_first_operator(ctx: Context) -> None:
    """On first start create an operator with a one-time password (terminal or 0600 file, never logs)."""
    first_operator.ensure(ctx)


def publish_web_address(host: str, port: int) -> None:
    """Let this process's settings name the address the web server really listens on (``kustos
    serve --host/--port``), so links in e-mails (password reset, invitations) point there when
    KUSTOS_BASE_URL is not set."""
    django_settings.KUSTOS = dataclasses.replace(django_settings.KUSTOS, host=host, port=port)


def cmd_serve(ctx: Context, args: argparse.Namespace) -> None:
    settings = https_server.with_flags(ctx.settings, args.tls_cert, args.tls_key, args.http_port)
    tls = https_server.tls_context(settings)  # None = plain HTTP; a bad certificate stops here
    app = https_server.apply(settings, ctx.settings) or application
    startup.migrate_if_needed()  # cheap when nothing is pending: no migration graph kept in memory
    locations.default()
    ensure_first_operator(ctx)
    host = args.host or settings.host
    port = args.port or settings.port
    if tls is None:
        # waitress drops X-Forwarded-* unless told otherwise; a configured TLS proxy's scheme header and
        # X-Forwarded-For must pass (kustos.web.client_address believes the latter from trusted peers only)
        proxied = https_settings.proxy_ssl_header(settings) or client_address.trusted_proxies(settings)
        web = create_server(app, host=host, port=port, threads=8, ident="kustos",
                            clear_untrusted_proxy_headers=not proxied)
    else:
        web = https_server.HttpsServer(app, host, port, tls)
    web_thread = threading.Thread(target=web.run, name="web", daemon=True)
    web_thread.start()
    publish_web_address(host, web.effective_port)
    redirect = None
    if tls is not None and settings.http_port:
        redirect = https_server.start_redirect(host, settings.http_port, web.effective_port, settings.base_url)
        threading.Thread(target=redirect.run, name="http-redirect", daemon=True).start()
    smtp = None
    if not args.no_smtp:
        smtp = smtp_service.start(settings, host=host, port=args.smtp_port or settings.smtp_port)
        smtp_service.publish_port(smtp.port)
    imap = imap_service.start_in_serve(settings, host, args.imap_port) if args.imap_port is not None else None
    on_start = None if tls is None else functools.partial(reload_on_sighup, web, settings)
    if on_start is not None:
        on_start()  # from the first "running" line on; again once huey has set its own handlers
    scheme = "http" if tls is None else "https"
    ctx.out.print(f"Kustos is running at [bold]{scheme}://{host}:{web.effective_port}/[/] "
                  f"(API docs: /api/v1/docs). Press Ctrl-C to stop.")
    if redirect is not None:
        ctx.out.print(f"HTTP on {host}:{redirect.effective_port} redirects to HTTPS", markup=False)
    if smtp is not None:
        ctx.out.print(f"SMTP journaling receiver on {host}:{smtp.port}")
    for line in imap_service.describe(imap, host) if imap is not None else []:
        ctx.out.print(line, markup=False)
    # Periodic tasks (source schedules, sealing, retention, billing) run in exactly one process:
    # here on one machine, in `kustos scheduler` when several web processes share the database.
    consumer = HUEY.create_consumer(workers=settings.workers, worker_type="thread", periodic=not args.no_scheduler,
                                    check_worker_health=True)
    try:
        _run_consumer(consumer, on_start=on_start)
    finally:
        web.close()
        if redirect is not None:
            redirect.close()
        if smtp is not None:
            smtp.stop()
        if imap is not None:
            imap.stop()
        ctx.out.print("Kustos stopped.")


def reload_on_sighup(web: https_server.HttpsServer, settings: Settings) -> None:
    """SIGHUP loads the certificate files again (after a renewal) instead of stopping `serve`."""

    def reload(signum, frame) -> None:
        try:
            web.reload_certificate(settings)
        except ConfigError as exc:
            log.error("certificate not reloaded, the previous one stays in use: %s", exc)
        else:
            log.warning("TLS certificate reloaded from %s", settings.tls_cert)

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)


def _run_consumer(consumer, on_start=None) -> None:
    consumer.start()  # installs huey's SIGINT/SIGTERM/SIGHUP handlers
    if on_start is not None:
        on_start()
    health = None
    while True:
        try:
            health = consumer.loop(health)
        except ConsumerStopped:
            break
    HUEY.notify_interrupted_tasks()


def cmd_worker(ctx: Context, args: argparse.Namespace) -> None:
    consumer = HUEY.create_consumer(workers=args.workers or ctx.settings.workers, worker_type="thread",
                                    periodic=False, check_worker_health=True)
    ctx.info("kustos worker started")
    _run_consumer(consumer)


def cmd_scheduler(ctx: Context, args: argparse.Namespace) -> None:
    consumer = HUEY.create_consumer(workers=1, worker_type="thread", periodic=True, check_worker_health=True)
    ctx.info("kustos scheduler started")
    _run_consumer(consumer)
