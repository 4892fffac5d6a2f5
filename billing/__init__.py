"""Billing (SPEC §8): rates, invoices, credit notes, ERP webhook_events out and in, exports."""


def init_app(app, api) -> None:
    """Settings, models, endpoints, the note-signed receiver, the worker's webhook
    channel and job, the `ticket.closed` hook and the `export` command."""
    from billing import api as billing_api
    from billing import (
        customers_api,
        erp_api,
        erp_payment_reports,
        retry_schedule,
        webhook_channel,
        webhook_events,
    )
    from billing import models as _models  # noqa: F401  (joins the metadata)
    from billing.cli import erp_group, export_command
    from billing.demo import apply_settings, load_billing_data, walkthrough
    from billing.settings import SETTINGS
    from billing.signals import connect
    from server import idempotency, worker
    from server.config import declare
    from server.extensions import db
    from server.services.outbox import RetryPolicy
    from server.tools.demo import DemoPart, register_demo_part

    declare(app.config, SETTINGS, app.instance_path)
    api.register_blueprint(billing_api.rates_blp)
    api.register_blueprint(billing_api.blp)
    api.register_blueprint(billing_api.exports_blp)
    api.register_blueprint(customers_api.customers_blp)
    api.register_blueprint(customers_api.bill_to_blp)
    api.register_blueprint(customers_api.drafts_blp)
    api.register_blueprint(erp_api.blp)
    worker.register_channel(
        app,
        webhook_events.CHANNEL,
        webhook_channel.deliver,
        retry=RetryPolicy(
            delays=webhook_channel.SCHEDULE_SECONDS, max_attempts=retry_schedule.MAX_ATTEMPTS
        ),
        on_retry=webhook_channel.reset_for_retry,
    )
    worker.register_job(app, "received_webhooks", erp_payment_reports.forget_old_ids)
    worker.register_job(app, "idempotency_keys", idempotency.forget_old_keys)
    connect()
    webhook_events.install_close_hook(db.session)
    app.extensions[webhook_events.EXTENSION_KEY] = True
    app.cli.add_command(export_command)
    app.cli.add_command(erp_group)
    register_demo_part(app, DemoPart(apply_settings, load_billing_data, walkthrough))
