"""Filtering by many ids with one bound parameter instead of one per id.

`column IN (:id_1, ..., :id_300)` is rendered, compiled and sent anew for every
length of the list; with the ids as one parameter (an array on PostgreSQL, a JSON
list read by json_each on SQLite) the statement text is the same for 3 ids or 3,000,
so SQLAlchemy compiles it once and PostgreSQL prepares it once. Sync pulls and
pushes filter by hundreds of ids on every request.
"""

import json

from sqlalchemy import ARRAY, Integer, String, any_, bindparam, func, literal_column, select


def among(column, name: str, dialect: str, ids=None):
    """`column IN <the ids bound to parameter name>`: for statements built once and
    given the ids (`bind`) at each execution, or, with `ids`, bound now."""
    value = {} if ids is None else {"value": bind(ids, dialect)}
    if dialect == "postgresql":
        item = Integer if column.type.python_type is int else String
        return column == any_(bindparam(name, type_=ARRAY(item), **value))
    values = select(literal_column("value")).select_from(func.json_each(bindparam(name, **value)))
    return column.in_(values)


def bind(ids, dialect: str):
    """The parameter value for `among`: the ids, sorted (stable plans, stable output)."""
    ids = sorted(ids)
    return ids if dialect == "postgresql" else json.dumps(ids)


def in_ids(column, ids, dialect: str):
    """`column IN ids` with the ids bound now."""
    return among(column, f"ids_{column.key}", dialect, ids)
