"""The few HTML pages (set-password link, unsubscribe link), from the mail package's
autoescaped Jinja2 templates (server/mail/templates)."""

from flask import current_app

from server.mail.templating import render


def html_page(status: int, template: str, headers: dict[str, str], /, **context):
    """`template` rendered with `context` (every value escaped) as a text/html response."""
    return current_app.response_class(
        render(template, **context), status=status, mimetype="text/html", headers=headers
    )
