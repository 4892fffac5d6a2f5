"""Signed delivery notes (SPEC §7): deterministic PDF, content hash, public verification."""

import os


def init_app(app, api) -> None:
    """Register the model, the endpoints, the worker channel and job, and a CLI command."""
    import click

    from delivery_notes import api as notes_api
    from delivery_notes import models as _models  # noqa: F401  (joins the metadata)
    from delivery_notes import rendering
    from delivery_notes.service import RENDER_CHANNEL
    from server import worker
    from server.cli import prepare_database

    app.config.setdefault(
        "DELIVERY_NOTE_DIR",
        os.environ.get("DELIVERY_NOTE_DIR") or os.path.join(app.instance_path, "delivery-notes"),
    )
    app.config.setdefault("AGENCY_LOGO_PATH", os.environ.get("AGENCY_LOGO_PATH", ""))
    api.register_blueprint(notes_api.blp)
    api.register_blueprint(notes_api.verify_blp)

    worker.register_channel(app, RENDER_CHANNEL, rendering.handle_render_message)
    worker.register_job(app, "delivery_note_pdfs", rendering.render_job)

    @app.cli.command("render-delivery-notes")
    @click.option("--limit", default=200, show_default=True, type=int)
    def render_delivery_notes_command(limit):
        """Render the PDFs of signed notes that have none yet (signature arrived late)."""
        prepare_database()
        counts = rendering.sweep(limit)
        click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))
