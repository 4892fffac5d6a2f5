"""The mail package's Jinja2 templates: HTML mail parts and pages, plain-text bodies.

Every variable in an `.html` template is escaped (autoescaping), with the stdlib's
`html.escape` rules (`&quot;`, `&#x27;`), which is what the mails and pages have
always carried, so the rendered bytes did not change with the move to templates.
`.txt` templates are not escaped: they become text/plain parts, subjects and the
titles of notifications (templates/wording/). Pure (no Flask).
"""

import html
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_eval_context, select_autoescape
from markupsafe import Markup


@pass_eval_context
def _escape_like_stdlib(eval_ctx, value):
    if value is None:
        return ""
    if not eval_ctx.autoescape or hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("server.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        finalize=_escape_like_stdlib,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def render(template: str, /, **context) -> str:
    """Render templates/`template` with `context`."""
    return environment().get_template(template).render(**context)


def render_blocks(template: str, /, **context) -> dict[str, str]:
    """Each `{% block %}` of templates/`template` rendered with `context`, by name: the
    wording of a notification is one file with a block per part (title, body)."""
    compiled = environment().get_template(template)
    rendered = compiled.new_context(context)
    return {name: "".join(block(rendered)) for name, block in compiled.blocks.items()}
