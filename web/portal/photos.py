"""Photos sent with a portal form: counted, then attached one by one through the
attachments service (sniffed type, size limit), inside the request's transaction.

A refused file is reported against the form's `photos` field in plain words and
raised as `Invalid`, so the page is shown again with status 422 and the request
boundary rolls back everything the form did (the ticket or reply too): nothing is
half-saved. Bytes already written for earlier photos belong to no row and are
swept by the worker (server.services.attachments.sweep_orphans)."""

from flask import current_app

from server.auth import Caller
from server.errors import Invalid, TooLarge, UnsupportedMedia
from server.services import attachments

TYPE_WORDS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WebP",
    "application/pdf": "PDF",
    "text/plain": "plain text",
}


def chosen(files) -> list:
    """The files actually chosen in the form's `photos` input (a browser sends one
    empty part when none is)."""
    return [f for f in files.getlist("photos") if f and f.filename]


def check_count(photos: list) -> None:
    most = current_app.config["PORTAL_MAX_PHOTOS"]
    if len(photos) > most:
        raise Invalid(
            f"Too many photos: add at most {most} at a time.",
            errors={"photos": [f"Choose at most {most} photos. You can add more in a reply."]},
        )


def attach(caller: Caller, ticket_id: int, photos: list, message_id: str | None = None) -> int:
    """Attach every photo, or raise Invalid naming the first refused one."""
    for photo in photos:
        try:
            attachments.add_attachment(
                caller, ticket_id, photo.stream, photo.filename, photo.mimetype, message_id
            )
        except UnsupportedMedia:
            raise _refused(photo.filename, _not_a_picture(photo.filename)) from None
        except TooLarge:
            most = size_words(current_app.config["ATTACHMENT_MAX_BYTES"])
            raise _refused(
                photo.filename,
                f"“{_name(photo.filename)}” is too big: each photo can be at most {most}.",
            ) from None
    return len(photos)


def size_words(size: int) -> str:
    """A byte count as people say it: "10 MB", "500 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(size // 1024, 1)} KB"


def _not_a_picture(filename: str) -> str:
    allowed = [TYPE_WORDS.get(t, t) for t in current_app.config["ATTACHMENT_TYPES"]]
    kinds = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
    return (
        f"“{_name(filename)}” is not a photo we can take: its content is not a {kinds} "
        "file, whatever its name says."
    )


def _name(filename: str) -> str:
    return attachments.sanitise_filename(filename)[:80]


def _refused(filename: str, message: str) -> Invalid:
    return Invalid(f"{message} Nothing was saved.", errors={"photos": [message]})
