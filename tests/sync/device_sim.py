"""A small Python model of a WatermelonDB device, for property tests.

It follows what `synchronize()` does: pull and apply (column by column, local changed
columns win; server deletions win), remember the pull's timestamp, then push every local change
with that timestamp; a lost push response leaves the changes pending for next time.
"""

import uuid

from tests.sync.conftest import TABLES

MS = 1795400000000


class SimDevice:
    def __init__(self, world, headers):
        self.world = world
        self.headers = headers
        self.rows = {t: {} for t in TABLES}
        self.pending = {t: {} for t in TABLES}
        self.last = None

    def ticket_ids(self) -> list[str]:
        return sorted(self.rows["tickets"])

    def create(self, table: str, ticket_id: str, **fields) -> str:
        record_id = f"{table[:3]}-{uuid.uuid4().hex[:12]}"
        record = {"id": record_id, "ticket_id": ticket_id, "created_at": MS, **fields}
        self.rows[table][record_id] = record
        self.pending[table][record_id] = record
        return record_id

    def sync(self, drop_push_response: bool = False) -> None:
        response = self.world.pull(self.headers, self.last)
        assert response.status_code == 200, response.get_json()
        pulled = response.get_json()
        for table, section in pulled["changes"].items():
            for record in section["created"] + section["updated"]:
                assert not any(k.startswith("_") for k in record)
                self.rows[table][record["id"]] = record
                if record["id"] in self.pending[table]:
                    # Column-wise merge: a locally created record has no changed columns
                    # of its own yet, so the server's columns land and it stays pending.
                    self.pending[table][record["id"]] = record
            for record_id in section["deleted"]:
                self.rows[table].pop(record_id, None)
                self.pending[table].pop(record_id, None)
        self.last = pulled["timestamp"]
        if not any(self.pending.values()):
            return
        changes = {t: {"created": list(self.pending[t].values())} for t in TABLES}
        pushed = self.world.push(self.headers, changes, self.last)
        assert pushed.status_code == 200, pushed.get_json()
        if not drop_push_response:
            self.pending = {t: {} for t in TABLES}
