"""The stack's ceiling for bench/load.py: one Flask view running one SQLAlchemy Core
query on the same database, served by gunicorn with the same workers and threads.

No token, no ORM, no session, no write: the least any database-backed endpoint of a
Flask + SQLAlchemy + PostgreSQL app pays on the machine at hand. Measured in the
same run as the sync load, it tells how far a target is from the stack itself, not
only from Fieldline's code.

    CEILING_DATABASE_URL=postgresql+psycopg://... gunicorn bench.ceiling_app:app
"""

import os
from functools import cache

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

PATH = "/user"

app = Flask(__name__)


@cache
def engine():
    """Made in the worker on its first request (importing this module connects nothing)."""
    return create_engine(os.environ["CEILING_DATABASE_URL"])


@app.get(PATH)
def first_user():
    with engine().connect() as connection:
        row = connection.execute(text("SELECT id, email, name FROM users ORDER BY id LIMIT 1"))
        user = row.one()
    return jsonify(id=user.id, email=user.email, name=user.name)
