"""WSGI entry point: `gunicorn wsgi:app`."""

from server import create_app
from server.cli import upgrade_database

app = create_app()

if app.config["AUTO_MIGRATE"]:
    with app.app_context():
        upgrade_database()
