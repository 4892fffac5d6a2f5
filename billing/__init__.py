"""Billing (SPEC §8): rates, invoices, credit notes, ERP webhooks out and in, exports."""

import os

# Settings of the billing package: environment variable -> default.
SETTINGS = {
    "CALLOUT_FEE": "",  # e.g. "45.00": one call-out line on every invoice with work
    "DEFAULT_HOURLY_RATE": "",  # for contractors without a labour category
    "AUTO_ISSUE_INVOICES": "",  # "1": issue drafts at once (unless a rate or price is missing)
    "PAYMENT_TERMS_DAYS": "30",
    "AGENCY_VAT_ID": "",  # required for EN 16931 XML and Factur-X PDFs
    "AGENCY_POSTCODE": "",
    "AGENCY_CITY": "",
    "AGENCY_COUNTRY": "GB",
    "AGENCY_PAYEE_ACCOUNT": "",  # IBAN / account, printed as the credit transfer account
    "WEBHOOK_TIMEOUT_SECONDS": "15",
    "ALLOW_PRIVATE_WEBHOOK_URLS": "",
    "ALLOW_LOOPBACK_WEBHOOK_URLS": "",
    "ERP_MAX_BODY_BYTES": "65536",
    "ERP_TIMESTAMP_TOLERANCE_SECONDS": "300",
    "RECEIVED_WEBHOOK_RETENTION_DAYS": "30",
    "XERO_ACCOUNT_CODE": "200",
    "XERO_TAX_TYPE": "OUTPUT2",
    "XERO_ZERO_TAX_TYPE": "ZERORATEDOUTPUT",
}
_FLAGS = {"AUTO_ISSUE_INVOICES", "ALLOW_PRIVATE_WEBHOOK_URLS", "ALLOW_LOOPBACK_WEBHOOK_URLS"}
_INTS = {
    "PAYMENT_TERMS_DAYS",
    "WEBHOOK_TIMEOUT_SECONDS",
    "ERP_MAX_BODY_BYTES",
    "ERP_TIMESTAMP_TOLERANCE_SECONDS",
    "RECEIVED_WEBHOOK_RETENTION_DAYS",
}


def _setting(name: str, default: str):
    value = os.environ.get(name, default)
    if name in _FLAGS:
        return value.strip().lower() in ("1", "true", "yes", "on")
    return int(value) if name in _INTS else value


def init_app(app, api) -> None:
    """Settings, models, endpoints, the note-signed receiver, the worker's webhook
    channel and job, the `ticket.closed` hook and the `export` command."""
    from billing import api as billing_api
    from billing import erp_api, payments_in, retry_schedule, webhook_delivery, webhooks
    from billing import models as _models  # noqa: F401  (joins the metadata)
    from billing.cli import export_command
    from billing.signals import connect
    from server import worker
    from server.extensions import db
    from server.services.outbox import RetryPolicy

    for name, default in SETTINGS.items():
        app.config.setdefault(name, _setting(name, default))
    api.register_blueprint(billing_api.rates_blp)
    api.register_blueprint(billing_api.blp)
    api.register_blueprint(billing_api.exports_blp)
    api.register_blueprint(erp_api.blp)
    worker.register_channel(
        app,
        webhooks.CHANNEL,
        webhook_delivery.deliver,
        retry=RetryPolicy(
            delays=webhook_delivery.SCHEDULE_SECONDS, max_attempts=retry_schedule.MAX_ATTEMPTS
        ),
        on_retry=webhook_delivery.reset_for_retry,
    )
    worker.register_job(app, "received_webhooks", payments_in.forget_old_ids)
    connect()
    webhooks.install_close_hook(db.session)
    app.extensions[webhooks.EXTENSION_KEY] = True
    app.cli.add_command(export_command)
