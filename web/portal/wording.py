"""What the portal says about a ticket, in plain words for tenants: where it stands,
how it reached them, and what each public timeline event means. Pure functions of
the ticket's columns and the event's data (no Flask, no database)."""

from dataclasses import dataclass

ROLE_WORDS = {
    "tenant": "Tenant",
    "contractor": "Contractor",
    "staff": "Managing agent",
    "admin": "Managing agent",
    "system": "Fieldline",
}
STATUS_WORDS = {
    "new": "Received",
    "open": "With the agent",
    "on_hold": "Waiting for you",
    "resolved": "Resolved",
    "closed": "Closed",
}


@dataclass(frozen=True)
class Standing:
    """A ticket's status for a tenant: a short label and a sentence of what happens next."""

    label: str
    explanation: str


def standing(status: str, acts: bool) -> Standing:
    """`acts`: the tenant is on the ticket (reported it or it is addressed to them); a
    neighbour who only follows a shared ticket is not asked to do anything."""
    if status == "new":
        return Standing(
            "With the agent", "We have your report. The managing agent will look at it soon."
        )
    if status == "open":
        return Standing("With the agent", "The managing agent is working on it.")
    if status == "on_hold":
        if acts:
            return Standing(
                "Waiting for you",
                "The managing agent has answered. Read their reply and answer it below "
                "if they asked you something.",
            )
        return Standing("On hold", "The managing agent is waiting for an answer or for parts.")
    if status == "resolved":
        if acts:
            return Standing(
                "Resolved — close it or tell us it isn't fixed",
                "The work is done. If it is fixed, close the ticket. If it is not, "
                "tell us it isn't fixed and we will look again.",
            )
        return Standing("Resolved", "The work is done.")
    if status == "closed":
        if acts:
            return Standing(
                "Closed", "This ticket is finished. If the problem comes back, reopen it."
            )
        return Standing("Closed", "This ticket is finished.")
    return Standing(status.replace("_", " ").capitalize(), "")


def acts(ticket, user_id: int) -> bool:
    """The tenant is on the ticket (reported it, or it is addressed to them)."""
    return user_id in (ticket.reporter_id, ticket.addressed_to_id)


def how_shared(ticket, user_id: int) -> str | None:
    """Why a ticket is in a tenant's list when they did not report it (None: theirs)."""
    if ticket.reporter_id == user_id:
        return None
    if ticket.addressed_to_id == user_id:
        return "Sent to you by the agent"
    if ticket.visibility == "unit":
        return "Shared with your flat"
    if ticket.visibility == "block":
        return "Shared with your building"
    return "Shared with you"


def event_text(kind: str, data: dict, *, refs: dict | None = None) -> str | None:
    """One line for a public timeline event that is not a message; None: not shown
    (messages and files are shown as entries of their own)."""
    if kind == "reported":
        return "reported the problem"
    if kind == "status_changed":
        before = STATUS_WORDS.get(data.get("from"), data.get("from"))
        after = STATUS_WORDS.get(data.get("to"), data.get("to"))
        reason = data.get("reason")
        if reason and reason.endswith(" replied"):
            return None  # the workflow's move after a reply: the reply and the panel say it
        line = f"changed the status from {before} to {after}"
        return f"{line}: {reason}" if reason else line
    if kind == "assigned":
        return f"booked {data.get('contractor_name', 'a contractor')} to do the work"
    if kind == "unassigned":
        return f"took {data.get('contractor_name', 'the contractor')} off the job"
    if kind == "delivery_note_signed":
        return f"delivery note {data.get('number', '')} was signed when the work was done"
    if kind == "marked_duplicate":
        return f"joined this report to {data.get('ref', 'another ticket')}: follow it there"
    if kind == "invoice_issued":
        return f"issued invoice {data.get('number', '')}"
    if kind in ("message", "attachment_added", "delivery_note_sealed"):
        return None
    return "updated the ticket"
