"""Writer processes for the no-missed-changes test (imported by multiprocessing spawn)."""

import random
import time


def write_messages(
    database_url: str, instance_path: str, staff_id: int, ticket_id: int, count: int, seed: int
) -> None:
    from server import create_app
    from server.auth import Caller
    from server.extensions import db
    from server.models import User
    from server.services import messages
    from tests.conftest import app_config

    rng = random.Random(seed)
    app = create_app(app_config(instance_path, database_url))
    with app.app_context():
        for n in range(count):
            caller = Caller(db.session.get(User, staff_id), None)
            messages.post_message(caller, ticket_id, f"w{seed}-{n}", "team")
            db.session.flush()
            time.sleep(rng.random() * 0.01)  # hold the transaction open a little
            db.session.commit()
        db.engine.dispose()
