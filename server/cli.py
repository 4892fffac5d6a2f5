"""The `fieldline` console script: demo, serve, worker, outbox, mail-in, create-user, seed
(plus Flask-Migrate's `db`). Every command that uses the database first checks that it is
migrated (or migrates it, where AUTO_MIGRATE says so) and otherwise stops with one line."""

import contextvars
import errno
import functools
import imaplib
import logging
import socket

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DBAPIError

from server.extensions import db


def upgrade_database() -> None:
    """Apply every pending migration (the embedded default does this on start)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


def pending_migrations() -> tuple[set[str], set[str]]:
    """(the revisions the database is at, the heads this code needs)."""
    from alembic.config import Config as AlembicConfig
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, heads


def prepare_database() -> None:
    """Migrate (AUTO_MIGRATE) or check that the database is migrated; one clear line
    (a click error, exit status 1) when it is not, or cannot be reached."""
    url = db.engine.url.render_as_string(hide_password=True)
    try:
        if current_app.config["AUTO_MIGRATE"]:
            upgrade_database()
            return
        current, heads = pending_migrations()
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise click.ClickException(f"Cannot use the database {url}: {first}") from None
    if current != heads:
        at = ", ".join(sorted(current)) or "empty"
        raise click.ClickException(
            f"The database {url} is not migrated (at {at}; this version needs "
            f"{', '.join(sorted(heads))}): run `fieldline db upgrade` first."
        )


def needs_database(command):
    """Run `prepare_database` before the command (place it under @with_appcontext)."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        prepare_database()
        return command(*args, **kwargs)

    return run


def check_port_free(host: str, port: int) -> None:
    """Fail before any banner when something already listens on host:port (gunicorn
    would otherwise retry for seconds and exit with its own messages)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise click.ClickException(f"Cannot serve on {host}: {exc.strerror}.") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"Port {port} on {host} is already in use; stop what listens there or "
                    f"choose another with --port."
                ) from None
            raise click.ClickException(f"Cannot serve on {host}:{port}: {exc.strerror}.") from None


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
    """Serve the API with gunicorn (the embedded database is migrated first)."""
    check_port_free(host, port)
    prepare_database()
    serve(current_app._get_current_object(), host, port, workers, threads)


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
    from server.tools.demo import DEMO_PASSWORD, demo_parts, load_demo_data

    app = current_app._get_current_object()
    if not no_serve:
        check_port_free(host, port)
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
    click.echo(f"Fieldline demo on {base}/  (sign in there; the API: {base}/api/docs)")
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
@needs_database
def create_user_command(role, email, name, password):
    """Create a user (the first admin, typically), by the API's email and password rules."""
    from server.errors import DomainError
    from server.services.people import create_user

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
@needs_database
def worker_command(once, poll):
    """Deliver the outbox (mail, webhooks) and run the SLA timers."""
    from server import worker
    from server.mail.transport import mailer_for

    app = current_app._get_current_object()
    try:
        mailer_for(app)  # a malformed SMTP_URL stops here, not in every delivery
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
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
@needs_database
def seed_command(tickets, contractors):
    """Fill the database with a realistic agency at scale (bulk inserts), for benchmarks."""
    from server.tools.seed import SEED_PASSWORD, seed

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
    if not app.config["IMAP_URL"]:
        raise click.ClickException("IMAP_URL is not set (imap[s]://user:pass@host/INBOX).")
    try:
        settings = imap.ImapSettings.from_url(app.config["IMAP_URL"])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = mask_url(app.config["IMAP_URL"])
    prepare_database()
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
@needs_database
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
@needs_database
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
@needs_database
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


from server.backups import backup_command, restore_command  # noqa: E402
from server.integrity import recount_command, verify_all_command  # noqa: E402

COMMANDS = (
    serve_command,
    demo_command,
    create_user_command,
    worker_command,
    seed_command,
    mail_in_command,
    outbox_group,
    verify_all_command,
    recount_command,
    backup_command,
    restore_command,
)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def cli_group() -> FlaskGroup:
    """The `fieldline` command group (the app is created when a command needs it)."""
    from server import create_app

    return FieldlineGroup(create_app)


def fieldline_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fieldline")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"fieldline {fieldline_version()}")
        ctx.exit()


class FieldlineGroup(FlaskGroup):
    """Flask's CLI machinery (the app's commands, an app context for each) without
    Flask's own options: `fieldline --help` shows Fieldline's commands only and
    `--version` Fieldline's version. Configuration comes from the environment."""

    def __init__(self, create_app):
        version = click.Option(
            ["--version"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_print_version,
            help="Print Fieldline's version and exit.",
        )
        super().__init__(
            create_app=create_app,
            add_default_commands=False,
            add_version_option=False,
            set_debug_flag=False,
            params=[version],
            # Wide enough that each command's one-line description shows whole.
            context_settings={"terminal_width": 110, "max_content_width": 110},
            help=(
                "Fieldline: tickets, offline device sync, delivery notes and billing for "
                "property maintenance. Configure with environment variables "
                "(docs/CONFIGURATION.md); start with `fieldline demo`."
            ),
        )
        flask_options = {"env_file", "app", "debug"}
        self.params = [p for p in self.params if p.name not in flask_options]


def main() -> None:
    cli_group()(prog_name="fieldline")


if __name__ == "__main__":
    main()
