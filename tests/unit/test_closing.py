"""The closing rule (SPEC §2) as a pure function: when a ticket resolves or closes by
itself. No app."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.closing import close_reason, note_resolves
from server.domain.workflow import BILLING, STATUSES, TicketState


def state(status="resolved", billing="chargeable", **kwargs) -> TicketState:
    return TicketState(
        status=status, type="repair", priority="normal", billing=billing, triaged=True, **kwargs
    )


@pytest.mark.parametrize("billing", BILLING)
@pytest.mark.parametrize(("status", "resolves"), [("new", True), ("open", True),
    ("on_hold", True), ("resolved", False), ("closed", False)])  # fmt: skip
def test_a_signed_note_resolves_any_unfinished_ticket_whatever_its_billing(
    billing, status, resolves
):
    assert note_resolves(state(status, billing)) is resolves


def test_included_work_closes_when_resolved_without_a_grace_period():
    assert close_reason(state(billing="included")) == "Included work closes when resolved."


def test_included_work_waits_out_the_grace_period():
    waiting = state(billing="included")
    assert close_reason(waiting, grace_seconds=3600, resolved_seconds=3599) is None
    reason = close_reason(waiting, grace_seconds=3600, resolved_seconds=3600)
    assert reason == "Included work closes 1 h after it is resolved."


@pytest.mark.parametrize(
    ("awaiting", "paid", "closes"),
    [(True, False, False), (False, False, False), (False, True, True), (True, True, False)],
)
def test_chargeable_work_closes_only_when_resolved_and_paid_in_full(awaiting, paid, closes):
    found = close_reason(state(awaiting_payment=awaiting, paid_in_full=paid))
    assert (found is not None) is closes


def test_the_payment_that_settles_the_invoice_is_named_in_the_reason():
    reason = close_reason(state(paid_in_full=True), settled_by="Invoice INV-2026-000007")
    assert reason == "Invoice INV-2026-000007 paid in full; the work was resolved."


def test_a_chargeable_ticket_whose_invoice_was_credited_does_not_close_by_itself():
    # Credited: nothing unpaid (no wait) but nothing paid either: staff re-invoice or close.
    assert close_reason(state(awaiting_payment=False, paid_in_full=False)) is None


def test_chargeable_work_ignores_the_included_grace_period():
    paid = state(paid_in_full=True)
    assert close_reason(paid, grace_seconds=86400, resolved_seconds=0) is not None


@given(
    status=st.sampled_from(STATUSES),
    billing=st.sampled_from(BILLING),
    awaiting=st.booleans(),
    paid=st.booleans(),
    grace=st.integers(0, 10**6),
    elapsed=st.floats(0, 10**7),
)
def test_only_a_resolved_ticket_ever_closes_by_itself_and_never_while_unpaid(
    status, billing, awaiting, paid, grace, elapsed
):
    ticket = state(status, billing, awaiting_payment=awaiting, paid_in_full=paid)
    reason = close_reason(ticket, grace_seconds=grace, resolved_seconds=elapsed)
    if reason is not None:
        assert status == "resolved"
        assert not (billing == "chargeable" and awaiting)
