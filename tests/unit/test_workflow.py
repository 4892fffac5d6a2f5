"""The ticket state machine and triage rule as pure functions. No app."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.workflow import (
    BILLING,
    FINISHED,
    STATUSES,
    Refused,
    TicketState,
    check_can_close,
    check_staff_update,
    check_status_change,
    needs_triage,
    status_after_reply,
)

ROLES = ("tenant", "contractor", "staff", "admin")


def state(status="open", *, type="repair", priority="normal", billing="included", **kwargs):
    kwargs.setdefault("triaged", True)
    return TicketState(status=status, type=type, priority=priority, billing=billing, **kwargs)


def refusal(role, current, target, **kwargs) -> tuple[str, bool] | None:
    try:
        check_status_change(state(current, **kwargs), role, target)
    except Refused as refused:
        return refused.code, refused.forbidden
    return None


@pytest.mark.parametrize(
    ("type", "priority", "triaged", "needed"),
    [
        ("new_enquiry", "unassigned", False, True),
        ("repair", "unassigned", False, True),
        ("new_enquiry", "high", False, True),
        ("repair", "high", False, False),
        ("new_enquiry", "unassigned", True, False),
    ],
)
def test_an_untriaged_tenant_report_needs_type_and_priority(type, priority, triaged, needed):
    assert needs_triage(state(type=type, priority=priority, triaged=triaged)) is needed


def test_staff_updates_before_triage_are_refused_with_a_stable_code():
    with pytest.raises(Refused) as refused:
        check_staff_update(state(type="new_enquiry", priority="unassigned", triaged=False))
    assert refused.value.code == "ticket_not_triaged"
    assert not refused.value.forbidden


@pytest.mark.parametrize(
    ("status", "role", "visibility", "after"),
    [
        ("new", "staff", "public", "on_hold"),
        ("open", "staff", "public", "on_hold"),
        ("open", "admin", "public", "on_hold"),
        ("open", "staff", "team", "open"),
        ("open", "staff", "staff", "open"),
        ("new", "staff", "team", "new"),
        ("on_hold", "staff", "public", "on_hold"),
        ("on_hold", "tenant", "public", "open"),
        ("new", "tenant", "public", "open"),
        ("on_hold", "contractor", "team", "open"),
        ("new", "contractor", "public", "open"),
        ("open", "tenant", "public", "open"),
        ("resolved", "tenant", "public", "resolved"),
        ("closed", "contractor", "public", "closed"),
        ("resolved", "staff", "public", "resolved"),
    ],
)
def test_replies_move_the_status_as_the_workflow_says(status, role, visibility, after):
    assert status_after_reply(status, role, visibility) == after


@given(st.sampled_from(STATUSES), st.sampled_from(ROLES), st.sampled_from(("public", "team")))
def test_a_reply_never_finishes_or_reopens_a_ticket(status, role, visibility):
    after = status_after_reply(status, role, visibility)
    assert (after in FINISHED) is (status in FINISHED)
    assert after in STATUSES


@pytest.mark.parametrize(
    ("role", "current", "target", "expected"),
    [
        # Tenants close and reopen, nothing else.
        ("tenant", "new", "closed", None),
        ("tenant", "on_hold", "closed", None),
        ("tenant", "resolved", "open", None),
        ("tenant", "closed", "open", None),
        ("tenant", "open", "resolved", ("forbidden_status_move", True)),
        ("tenant", "open", "on_hold", ("forbidden_status_move", True)),
        ("tenant", "new", "open", ("illegal_status_move", False)),
        # Contractors also resolve.
        ("contractor", "open", "resolved", None),
        ("contractor", "on_hold", "closed", None),
        ("contractor", "closed", "open", None),
        ("contractor", "open", "on_hold", ("forbidden_status_move", True)),
        ("contractor", "on_hold", "open", ("illegal_status_move", False)),
        ("contractor", "closed", "resolved", ("illegal_status_move", False)),
        # Staff do anything but go back to new.
        ("staff", "open", "on_hold", None),
        ("staff", "on_hold", "resolved", None),
        ("admin", "resolved", "closed", None),
        ("staff", "closed", "open", None),
        ("staff", "open", "new", ("illegal_status_move", False)),
        ("staff", "closed", "resolved", ("illegal_status_move", False)),
        # Everybody: no move to where the ticket already is.
        ("tenant", "closed", "closed", ("status_unchanged", False)),
        ("staff", "open", "open", ("status_unchanged", False)),
        ("staff", "open", "cancelled", ("unknown_status", False)),
        ("robot", "open", "closed", ("forbidden_status_move", True)),
    ],
)
def test_status_moves(role, current, target, expected):
    assert refusal(role, current, target) == expected


def test_staff_cannot_move_an_untriaged_report():
    untriaged = {"type": "new_enquiry", "priority": "unassigned", "triaged": False}
    assert refusal("staff", "new", "on_hold", **untriaged) == ("ticket_not_triaged", False)
    # The reporter may still withdraw it.
    assert refusal("tenant", "new", "closed", **untriaged) is None


@pytest.mark.parametrize("role", ROLES)
def test_a_chargeable_ticket_awaiting_payment_closes_for_nobody(role):
    waiting = {"billing": "chargeable", "awaiting_payment": True}
    assert refusal(role, "resolved", "closed", **waiting) == ("ticket_awaiting_payment", False)
    with pytest.raises(Refused):
        check_can_close(state("resolved", **waiting))


def test_a_chargeable_ticket_without_an_open_invoice_may_close():
    check_can_close(state("resolved", billing="chargeable", awaiting_payment=False))


@given(
    status=st.sampled_from(STATUSES),
    role=st.sampled_from(ROLES),
    target=st.sampled_from(STATUSES),
    billing=st.sampled_from(BILLING),
    triaged=st.booleans(),
    awaiting=st.booleans(),
)
def test_no_role_ever_sends_a_ticket_back_to_new_or_leaves_it_unchanged(
    status, role, target, billing, triaged, awaiting
):
    ticket = TicketState(status, "repair", "normal", billing, triaged, awaiting)
    try:
        check_status_change(ticket, role, target)
    except Refused as refused:
        assert refused.code in {
            "status_unchanged",
            "illegal_status_move",
            "forbidden_status_move",
            "ticket_awaiting_payment",
        }
        # Forbidden means the role may never make this move, whatever the state.
        if refused.forbidden:
            assert target not in {"open", "closed"} or role not in ROLES
        return
    assert target != "new" and target != status
    if role == "tenant":
        assert target in {"open", "closed"}
    if target == "closed":
        assert not (billing == "chargeable" and awaiting)
