"""The closing rule (SPEC §2), written once: when a ticket resolves or closes by itself.

- A signed delivery note is the customer's sign-off: it resolves the ticket whatever
  its billing (unless the ticket is resolved or closed already).
- `included` work closes when it is resolved, once the grace period has passed
  (default: at once).
- `chargeable` work closes the moment it is resolved and its invoice is paid in full,
  in whichever order the two happen. While an invoice is unpaid (a draft counts) it
  waits; a credited invoice stops the wait without paying it, so such a ticket stays
  resolved until staff re-invoice or close it.

Pure: the callers (ticket status moves, payments, the worker) pass the ticket's state
and act on the answer.
"""

from server.domain.workflow import FINISHED, TicketState


def note_resolves(state: TicketState) -> bool:
    """A signed note resolves a ticket that is not finished yet, whatever its billing."""
    return state.status not in FINISHED


def close_reason(
    state: TicketState,
    *,
    grace_seconds: int = 0,
    resolved_seconds: float = 0.0,
    settled_by: str | None = None,
) -> str | None:
    """Why the ticket closes by itself now, or None while it stays as it is.

    `resolved_seconds`: how long it has been resolved; `settled_by`: the payment that
    settled its invoice, for the reason's words ("Invoice INV-2026-000001")."""
    if state.status != "resolved":
        return None
    if state.billing == "included":
        if grace_seconds <= 0:
            return "Included work closes when resolved."
        if resolved_seconds >= grace_seconds:
            return f"Included work closes {grace_seconds / 3600:g} h after it is resolved."
        return None
    if state.billing == "chargeable" and state.paid_in_full and not state.awaiting_payment:
        if settled_by:
            return f"{settled_by} paid in full; the work was resolved."
        return "Resolved; its invoice is paid in full."
    return None
