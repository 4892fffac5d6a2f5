"""What the portal says about a ticket's status and timeline: plain words, and a
neighbour following a shared ticket is never asked to act."""

from types import SimpleNamespace

from web.portal.photos import size_words
from web.portal.wording import acts, event_text, how_shared, standing


def test_each_status_is_said_in_plain_words():
    assert standing("new", True).label == "With the agent"
    assert standing("open", True).label == "With the agent"
    assert standing("on_hold", True).label == "Waiting for you"
    assert standing("resolved", True).label == "Resolved — close it or tell us it isn't fixed"
    assert "reopen it" in standing("closed", True).explanation


def test_a_neighbour_is_not_asked_to_act_on_a_shared_ticket():
    assert standing("on_hold", False).label == "On hold"
    assert standing("resolved", False).label == "Resolved"
    assert "reopen" not in standing("closed", False).explanation


def test_how_a_ticket_reached_the_tenant():
    def ticket(**fields):
        return SimpleNamespace(
            **{"reporter_id": 1, "addressed_to_id": None, "visibility": "management", **fields}
        )

    assert how_shared(ticket(), 1) is None and acts(ticket(), 1)
    assert how_shared(ticket(addressed_to_id=2), 2) == "Sent to you by the agent"
    assert acts(ticket(addressed_to_id=2), 2)
    assert how_shared(ticket(visibility="unit"), 3) == "Shared with your flat"
    assert how_shared(ticket(visibility="block"), 3) == "Shared with your building"
    assert not acts(ticket(visibility="block"), 3)


def test_timeline_events_in_words_and_the_automatic_moves_left_out():
    moved = {"from": "resolved", "to": "open", "reason": "The tenant says it is not fixed."}
    assert event_text("status_changed", moved) == (
        "changed the status from Resolved to With the agent: The tenant says it is not fixed."
    )
    assert (
        event_text("status_changed", {"from": "new", "to": "on_hold", "reason": "staff replied"})
        is None
    )
    assert event_text("assigned", {"contractor_name": "Carl"}) == "booked Carl to do the work"
    assert event_text("message", {}) is None
    assert event_text("something_new", {}) == "updated the ticket"


def test_sizes_are_said_as_people_say_them():
    assert size_words(10 * 1024 * 1024) == "10 MB"
    assert size_words(4096) == "4 KB"
    assert size_words(100) == "1 KB"
