"""A staff member's saved queue filters: save the current query under a name, list
them, delete one. The query string is kept as given; the queue reads it back through
the API's list schema, so a saved filter can never do more than a typed URL."""

from sqlalchemy import func, select

from server.auth import Caller
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import SavedFilter
from server.models.saved_filters import NAME_LENGTH, QUERY_LENGTH
from server.services.rules import check_staff

LIMIT_PER_USER = 50


def list_filters(caller: Caller) -> list[SavedFilter]:
    """The caller's saved filters, by name."""
    return db.session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == caller.id).order_by(SavedFilter.name)
    ).all()


def save_filter(caller: Caller, *, name: str, query: str) -> SavedFilter:
    """Save `query` (a queue query string) as `name`; names are unique per user."""
    check_staff(caller)
    name = " ".join(name.split())
    errors = {}
    if not name:
        errors["name"] = ["Enter a name for the filter."]
    elif len(name) > NAME_LENGTH:
        errors["name"] = [f"The name must be {NAME_LENGTH} characters or fewer."]
    if len(query) > QUERY_LENGTH:
        errors["query"] = [f"The filter must be {QUERY_LENGTH} characters or fewer."]
    if errors:
        raise Invalid(next(iter(errors.values()))[0], errors=errors)
    mine = SavedFilter.user_id == caller.id
    if db.session.scalar(select(SavedFilter.id).where(mine, SavedFilter.name == name)):
        raise Conflict(f"You already have a filter called {name!r}.", code="saved_filter_exists")
    count = db.session.scalar(select(func.count()).select_from(SavedFilter).where(mine))
    if count >= LIMIT_PER_USER:
        raise Conflict(
            f"You can keep up to {LIMIT_PER_USER} saved filters; delete one first.",
            code="saved_filter_limit",
        )
    saved = SavedFilter(user_id=caller.id, name=name, query=query)
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_filter(caller: Caller, filter_id: int) -> None:
    """Delete one of the caller's saved filters; another user's is a 404."""
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != caller.id:
        raise NotFound("No such saved filter.", code="saved_filter_not_found")
    db.session.delete(saved)
    db.session.flush()
