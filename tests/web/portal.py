"""Helpers of the portal page tests: pictures made by Pillow, multipart posts with the
page's CSRF token, and counts of what a refused form must not have saved."""

import io

from PIL import Image
from sqlalchemy import func, select

from server.extensions import db
from server.models import Attachment, Message, Ticket
from tests.web.pages import csrf


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def photo(data: bytes | None = None, name: str = "photo.png", mimetype: str = "image/png"):
    return (io.BytesIO(data if data is not None else png()), name, mimetype)


def send(client, path: str, data: dict, photos=(), *, token_from: str | None = None):
    """POST a multipart form (with `photos`) as the page at `token_from` would."""
    token = csrf(client, token_from or path)
    body = {**data, "csrf_token": token}
    if photos:
        body["photos"] = list(photos)
    return client.post(path, data=body, content_type="multipart/form-data")


def counts(app) -> tuple[int, int, int]:
    """(tickets, messages, attachments) in the database."""
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Ticket, Message, Attachment)
        )
