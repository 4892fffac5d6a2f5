"""The `fieldline` console script: demo, serve, worker, outbox, mail-in, create-user, seed
(plus Flask-Migrate's `db`)."""

import contextvars
import imaplib
import logging

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from server.extensions import db


def upgrade_database() -> None:
    """Apply every pending migration (the embedded default does this on start)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


# Seconds an idle connection is kept open for its next request. Gunicorn's default
# (2) closed devices' connections between a pull and the push after it when the
# server was busy, and a request sent just as it closed was reset (bench/load.py).
KEEPALIVE_SECONDS = 15


def serve(app: Flask, host: str, port: int, workers: int, threads: int) -> None:
    """Serve with gunicorn, the production WSGI server, in-process.

    Gunicorn runs in an empty context: the CLI command's app context must not reach
    the workers. A sync worker (one thread) would otherwise handle every request in
    that one inherited context, so `g` and the database session would outlive each
    request: one request's authenticated caller would serve the next."""
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("keepalive", KEEPALIVE_SECONDS)
            self.cfg.set("accesslog", "-")

        def load(self):
            return app

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()  # connections opened here (migrations, demo) stay here
    contextvars.Context().run(_Server().run)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@with_appcontext
def serve_command(host, port, workers, threads):
    """Serve the API (migrating the embedded database first)."""
    app = current_app._get_current_object()
    if app.config["AUTO_MIGRATE"]:
        upgrade_database()
    serve(app, host, port, workers, threads)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo data and exit.")
@click.option(
    "--walkthrough",
    is_flag=True,
    help="Print the commands that take a device push to a paid, closed ticket, and exit.",
)
@with_appcontext
def demo_command(host, port, no_serve, walkthrough):
    """Create and migrate the database, load demo data, print the logins, serve."""
    from server.demo import DEMO_PASSWORD, demo_parts, load_demo_data

    app = current_app._get_current_object()
    upgrade_database()
    parts = demo_parts(app)
    settings = {}
    for part in parts:
        settings.update(part.settings(app))
    logins = load_demo_data()
    for part in parts:
        part.load()
    db.session.commit()
    base = f"http://{host}:{port}"
    if walkthrough:
        for part in parts:
            if part.walkthrough is not None:
                click.echo(part.walkthrough(base, DEMO_PASSWORD))
        return
    click.echo(f"Fieldline demo on {base}/api  (API reference: /api/docs)")
    click.echo(f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    click.echo(f"Every demo user's password is: {DEMO_PASSWORD}")
    for role, email, name in logins:
        click.echo(f"  {role:<11} {email:<32} {name}")
    if settings:
        click.echo("Demo settings (this process only; the environment overrides them):")
        for name, value in settings.items():
            click.echo(f"  {name}={value}")
    if any(part.walkthrough for part in parts):
        click.echo(
            "From a device push to a paid, closed ticket, step by step: "
            f"fieldline demo --walkthrough --port {port}"
        )
    if not no_serve:
        serve(app, host, port, workers=1, threads=8)


@click.command("create-user")
@click.option(
    "--role", required=True, type=click.Choice(["tenant", "contractor", "staff", "admin"])
)
@click.option("--email", required=True)
@click.option("--name", default=None, help="Defaults to the part of the email before @.")
@click.option("--password", required=True, prompt=True, hide_input=True)
@with_appcontext
def create_user_command(role, email, name, password):
    """Create a user (the first admin, typically)."""
    from server.errors import DomainError
    from server.services.people import create_user

    if current_app.config["AUTO_MIGRATE"]:
        upgrade_database()
    try:
        user = create_user(
            None, email=email, name=name or email.split("@")[0], role=role, password=password
        )
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, print a summary and exit.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between passes (default: WORKER_POLL_SECONDS).",
)
@with_appcontext
def worker_command(once, poll):
    """Deliver the outbox (mail, webhooks) and run the SLA timers."""
    from server import worker
    from server.mail.transport import mailer_for

    app = current_app._get_current_object()
    try:
        mailer_for(app)  # a malformed SMTP_URL stops here, not in every delivery
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if app.config["AUTO_MIGRATE"]:
        upgrade_database()
    if once:
        stats = worker.run_once(app)
        click.echo(f"worker: {stats.summary()}")
        if stats.failed_jobs:
            raise click.exceptions.Exit(1)
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    worker.run_forever(app, poll or app.config["WORKER_POLL_SECONDS"])


@click.command("seed")
@click.option("--tickets", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--contractors", default=20, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def seed_command(tickets, contractors):
    """Fill the database with a realistic agency at scale (bulk inserts), for benchmarks."""
    from server.seed import SEED_PASSWORD, seed

    if current_app.config["AUTO_MIGRATE"]:
        upgrade_database()
    with click.progressbar(length=tickets, label="seeding tickets") as bar:
        result = seed(tickets, contractors, progress=bar.update)
    click.echo(f"seeded {result} (every seeded user's password: {SEED_PASSWORD})")


@click.command("mail-in")
@click.option("--once", is_flag=True, help="Receive what is unseen, print a summary and exit.")
@click.option("--poll", type=click.FloatRange(min=1), default=None, help="Seconds between passes.")
@with_appcontext
def mail_in_command(once, poll):
    """Poll the IMAP_URL mailbox and receive replies and new requests by mail."""
    from server.mail import imap
    from server.mail.transport import mask_url

    app = current_app._get_current_object()
    if not app.config.get("IMAP_URL"):
        raise click.ClickException("IMAP_URL is not set (imap[s]://user:pass@host/INBOX).")
    try:
        settings = imap.ImapSettings.from_url(app.config["IMAP_URL"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = mask_url(app.config["IMAP_URL"])
    if app.config["AUTO_MIGRATE"]:
        upgrade_database()
    if once:
        try:
            stats = imap.poll_once(app, settings)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise click.ClickException(f"mail-in: {shown}: {exc}") from exc
        click.echo(f"mail-in: {stats.summary()}")
        if stats.failed:
            raise click.exceptions.Exit(1)
        return
    imap.run_forever(app, settings, shown, poll or app.config["IMAP_POLL_SECONDS"])


@click.group("outbox")
def outbox_group():
    """Look at, retry and purge outbox rows (mail, webhooks, PDFs: every channel)."""


def _channel_option():
    return click.option("--channel", default=None, help="Only this channel (email, webhook, …).")


@outbox_group.command("list")
@_channel_option()
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def outbox_list_command(channel, status, limit):
    """Rows newest first: id, channel, status, attempts, key, last error."""
    from server.services import outbox

    rows = outbox.list_rows(channel=channel, status=status, limit=limit)
    for row in rows:
        error = f"  {row.last_error}" if row.last_error else ""
        click.echo(
            f"{row.id}\t{row.channel}\t{row.status}\t{row.attempts}\t{row.dedupe_key}{error}"
        )
    db.session.rollback()
    click.echo(f"{len(rows)} row(s)", err=True)


@outbox_group.command("retry")
@_channel_option()
@click.option("--id", "ids", multiple=True, type=click.IntRange(min=1), help="Only these rows.")
@with_appcontext
def outbox_retry_command(channel, ids):
    """Send dead rows again with a fresh retry schedule (all dead rows of the filter)."""
    from server import worker
    from server.db import utcnow
    from server.services import outbox

    registry = worker.channels(current_app._get_current_object())

    def on_retry(name, payload):
        handler = registry.get(name)
        if handler is not None and handler.on_retry is not None:
            handler.on_retry(payload)

    rows = outbox.retry_dead(utcnow(), channel=channel, ids=ids, on_retry=on_retry)
    db.session.commit()
    click.echo(f"{len(rows)} dead row(s) queued again")


@outbox_group.command("purge")
@_channel_option()
@click.option("--status", type=click.Choice(["sent", "dead"]), default="sent", show_default=True)
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    default=None,
    help="Default: OUTBOX_RETENTION_DAYS.",
)
@with_appcontext
def outbox_purge_command(channel, status, older_than_days):
    """Delete sent rows (by when they were sent) or dead rows (by when they were made)."""
    from datetime import timedelta

    from server.db import utcnow
    from server.services import outbox

    days = older_than_days
    if days is None:
        days = current_app.config["OUTBOX_RETENTION_DAYS"]
    count = outbox.purge(channel=channel, status=status, before=utcnow() - timedelta(days=days))
    db.session.commit()
    click.echo(f"{count} {status} row(s) purged")


COMMANDS = (
    serve_command,
    demo_command,
    create_user_command,
    worker_command,
    seed_command,
    mail_in_command,
    outbox_group,
)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def cli_group() -> FlaskGroup:
    """The `fieldline` command group (the app is created when a command needs it)."""
    from server import create_app

    return FlaskGroup(name="fieldline", create_app=create_app, add_default_commands=False)


def main() -> None:
    cli_group()(prog_name="fieldline")


if __name__ == "__main__":
    main()
