"""The `fieldline` console script: demo, serve, worker, create-user (plus Flask-Migrate's `db`)."""

import contextvars
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
    from server import mail, worker

    app = current_app._get_current_object()
    try:
        mail.mailer_for(app)  # a malformed SMTP_URL stops here, not in every delivery
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


def register(app: Flask) -> None:
    from server.mail_imap import mail_in_command

    for command in (serve_command, demo_command, create_user_command, worker_command, seed_command):
        app.cli.add_command(command)
    app.cli.add_command(mail_in_command)


def cli_group() -> FlaskGroup:
    """The `fieldline` command group (the app is created when a command needs it)."""
    from server import create_app

    return FlaskGroup(name="fieldline", create_app=create_app, add_default_commands=False)


def main() -> None:
    cli_group()(prog_name="fieldline")


if __name__ == "__main__":
    main()
