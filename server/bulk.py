"""Writing many rows in one go: COPY on PostgreSQL, one executemany elsewhere.

A device pushes a day of work at once: a thousand hours or materials and as many
timeline events. On PostgreSQL, COPY streams them in one round trip, several times
faster than the multi-row INSERTs an executemany becomes (bench/sync_bench.py).
COPY applies no Python-side column defaults, so rows name every column the database
does not fill itself; the rows are the ones an executemany would bind.
"""

from sqlalchemy import Connection, Table, insert


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    unknown = set(names) - set(table.c.keys())
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])
