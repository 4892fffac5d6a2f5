"""Signed delivery notes (SPEC §7): deterministic PDF, content hash, public verification."""


def init_app(app, api) -> None:
    """Register the model, the endpoints, the worker channel and job, and a CLI command."""
    import click

    from delivery_notes import api as notes_api
    from delivery_notes import models as _models  # noqa: F401  (joins the metadata)
    from delivery_notes import stored_pdfs
    from delivery_notes.service import RENDER_CHANNEL
    from delivery_notes.settings import SETTINGS
    from delivery_notes.snapshots import sealed_notes
    from server import integrity, worker
    from server.cli import prepare_database
    from server.config import declare

    declare(app.config, SETTINGS, app.instance_path)
    api.register_blueprint(notes_api.blp)
    api.register_blueprint(notes_api.verify_blp)

    worker.register_channel(app, RENDER_CHANNEL, stored_pdfs.handle_render_message)
    worker.register_job(app, "delivery_note_pdfs", stored_pdfs.render_job)
    integrity.register_check(app, sealed_notes)

    @app.cli.command("render-delivery-notes")
    @click.option("--limit", default=200, show_default=True, type=int)
    def render_delivery_notes_command(limit):
        """Render the PDFs of signed notes that have none yet (signature arrived late)."""
        prepare_database()
        counts = stored_pdfs.sweep(limit)
        click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))
