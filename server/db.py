"""Declarative base, the UTC datetime column type and database-level helpers."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite's default (1,000 pages) made every other day's push (~500 pages) also pay a
# checkpoint, its fsync included (+12 ms on 36); fewer, larger checkpoints write a
# hot page (a ticket's, an index's) once for many commits. The WAL grows to ~40 MB.
WAL_CHECKPOINT_PAGES = 10_000


class IndexHintCompiler(SQLiteCompiler):
    """SQLAlchemy drops table hints on SQLite; SQLite's own `INDEXED BY` goes where
    they go (after the table name), so a `with_hint(..., dialect_name="sqlite")`
    reaches the database. Its planner picks the status index over a small partial
    index whatever the statistics say; the dashboard's walks tell it otherwise."""

    def get_from_hint_text(self, table, text):
        return text


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL (checkpointed every WAL_CHECKPOINT_PAGES), writers that
    queue instead of failing with 'locked', and index hints rendered.

    pysqlite's own transaction handling is switched off so that every transaction
    starts with BEGIN IMMEDIATE: a deferred transaction that later writes can fail
    with SQLITE_BUSY no matter the timeout, which would turn concurrency into errors.
    """

    engine.dialect.statement_compiler = IndexHintCompiler

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
