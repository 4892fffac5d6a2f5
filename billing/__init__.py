"""Billing (SPEC §8): rates, invoices, credit notes, ERP webhooks out and in, exports."""

from server.config import Setting

SETTINGS = (
    Setting("CALLOUT_FEE", "str", "", "e.g. `45.00`: one call-out line on every invoice with work"),
    Setting("DEFAULT_HOURLY_RATE", "str", "", "for contractors without a labour category"),
    Setting(
        "AUTO_ISSUE_INVOICES",
        "flag",
        "",
        "`1`: issue drafts at once (unless a rate or price is missing)",
    ),
    Setting("PAYMENT_TERMS_DAYS", "int", "30", "due date of an issued invoice, in days"),
    Setting("AGENCY_VAT_ID", "str", "", "required for EN 16931 XML and Factur-X PDFs"),
    Setting("AGENCY_POSTCODE", "str", "", "the seller's postcode on e-invoices"),
    Setting("AGENCY_CITY", "str", "", "the seller's city on e-invoices"),
    Setting("AGENCY_COUNTRY", "str", "GB", "the seller's (and default buyer's) ISO country code"),
    Setting(
        "AGENCY_PAYEE_ACCOUNT", "str", "", "IBAN / account, printed as the credit transfer account"
    ),
    Setting("WEBHOOK_TIMEOUT_SECONDS", "int", "15", "timeout of one webhook delivery"),
    Setting(
        "ALLOW_PRIVATE_WEBHOOK_URLS",
        "flag",
        "",
        "`1`: webhook URLs may resolve to private addresses",
    ),
    Setting(
        "ALLOW_LOOPBACK_WEBHOOK_URLS",
        "flag",
        "",
        "`1`: webhook URLs may resolve to loopback (tests)",
    ),
    Setting("ERP_MAX_BODY_BYTES", "int", "65536", "largest payment report (413)"),
    Setting(
        "ERP_TIMESTAMP_TOLERANCE_SECONDS",
        "int",
        "300",
        "how far `webhook-timestamp` may be from now",
    ),
    Setting(
        "RECEIVED_WEBHOOK_RETENTION_DAYS",
        "int",
        "30",
        "received webhook-ids are kept this long for deduplication",
    ),
    Setting("XERO_ACCOUNT_CODE", "str", "200", "account code of the Xero export"),
    Setting("XERO_TAX_TYPE", "str", "OUTPUT2", "tax type of taxed lines in the Xero export"),
    Setting(
        "XERO_ZERO_TAX_TYPE",
        "str",
        "ZERORATEDOUTPUT",
        "tax type of zero-rated lines in the Xero export",
    ),
)


def init_app(app, api) -> None:
    """Settings, models, endpoints, the note-signed receiver, the worker's webhook
    channel and job, the `ticket.closed` hook and the `export` command."""
    from billing import api as billing_api
    from billing import erp_api, payments_in, retry_schedule, webhook_delivery, webhooks
    from billing import models as _models  # noqa: F401  (joins the metadata)
    from billing.cli import export_command
    from billing.signals import connect
    from server import worker
    from server.config import declare
    from server.extensions import db

    declare(app.config, SETTINGS, app.instance_path)
    api.register_blueprint(billing_api.rates_blp)
    api.register_blueprint(billing_api.blp)
    api.register_blueprint(billing_api.exports_blp)
    api.register_blueprint(erp_api.blp)
    worker.register_channel(
        app,
        webhooks.CHANNEL,
        webhook_delivery.deliver,
        retry_delays=webhook_delivery.SCHEDULE_SECONDS,
        max_attempts=retry_schedule.MAX_ATTEMPTS,
    )
    worker.register_job(app, "received_webhooks", payments_in.forget_old_ids)
    connect()
    webhooks.install_close_hook(db.session)
    app.extensions[webhooks.EXTENSION_KEY] = True
    app.cli.add_command(export_command)
