"""Settings in the console: admins only (staff get the 403 page); ticket types, SLA
targets and calendars, holidays, canned responses (a retired one leaves the reply
picker and stays readable). Bad input is refused in words and changes nothing."""

import pytest

from server.extensions import db
from server.models import CannedResponse, Holiday, SlaPolicy, TicketType
from server.services import settings
from tests.factories import as_caller
from tests.web.pages import post, sign_in


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("role", ["manager", "tenant", "contractor"])
def test_only_admins_open_settings(app, people, role):
    client = _client(app, getattr(people, role))
    answer = client.get("/settings")
    assert answer.status_code == 403 and "You cannot do this" in answer.get_data(as_text=True)
    answer = post(client, "/settings/holidays", {"day": "2026-12-28", "name": "Extra"})
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.get(Holiday, __import__("datetime").date(2026, 12, 28)) is None


def test_an_admin_adds_a_ticket_type_and_a_duplicate_is_refused(app, people):
    client = _client(app, people.admin)
    data = {"name": "pest_control", "label": "Pest control"}
    assert post(client, "/settings/ticket-types", data, token_from="/settings").status_code == 303
    assert "Pest control" in client.get("/settings").get_data(as_text=True)
    again = post(client, "/settings/ticket-types", data, token_from="/settings")
    assert again.status_code == 409 and "exists already" in again.get_data(as_text=True)
    bad = post(
        client,
        "/settings/ticket-types",
        {"name": "Pest Control!", "label": "x" * 101},
        token_from="/settings",
    )
    assert bad.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count(TicketType.name)).where(TicketType.name.like("pest%"))
            )
            == 1
        )


def test_an_admin_sets_sla_targets_and_calendar(app, people):
    client = _client(app, people.admin)
    answer = post(
        client,
        "/settings/sla/high",
        {
            "first_response_minutes": "30",
            "resolution_minutes": "480",
            "warning_percent": "75",
            "calendar": "always",
        },
        token_from="/settings",
    )
    assert answer.status_code == 303
    with app.app_context():
        policy = db.session.get(SlaPolicy, "high")
        assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 480)
        assert (policy.warning_percent, policy.calendar) == (75, "always")


@pytest.mark.parametrize(
    "form",
    [
        {"first_response_minutes": "half an hour"},
        {"first_response_minutes": "-5"},
        {"resolution_minutes": "99999999999999999999"},
        {"warning_percent": "150"},
        {"calendar": "lunar"},
    ],
)
def test_bad_sla_input_is_refused_in_words_and_changes_nothing(app, people, form):
    client = _client(app, people.admin)
    with app.app_context():
        before = db.session.get(SlaPolicy, "normal")
        before = (before.first_response_minutes, before.calendar) if before else None
    answer = post(client, "/settings/sla/normal", form, token_from="/settings")
    assert answer.status_code == 422
    assert "There is a problem" in answer.get_data(as_text=True)
    with app.app_context():
        after = db.session.get(SlaPolicy, "normal")
        assert ((after.first_response_minutes, after.calendar) if after else None) == before


def test_holidays_are_added_once_and_bad_dates_refused(app, people):
    client = _client(app, people.admin)
    data = {"day": "2026-12-28", "name": "Boxing Day (substitute)"}
    assert post(client, "/settings/holidays", data, token_from="/settings").status_code == 303
    again = post(client, "/settings/holidays", data, token_from="/settings")
    assert again.status_code == 409 and "holiday already" in again.get_data(as_text=True)
    bad = post(
        client, "/settings/holidays", {"day": "2026-02-30", "name": "Nope"}, token_from="/settings"
    )
    assert bad.status_code == 422 and "Not a valid date" in bad.get_data(as_text=True)


def test_a_canned_response_is_created_edited_and_retired_but_stays_readable(app, people):
    client = _client(app, people.admin)
    answer = post(
        client,
        "/settings/canned",
        {"title": "Access needed", "body": "Please let us in."},
        token_from="/settings",
    )
    assert answer.status_code == 303
    with app.app_context():
        response_id = db.session.scalar(db.select(CannedResponse.id))
    page = f"/settings/canned/{response_id}"
    answer = post(
        client,
        page,
        {"title": "Access needed", "body": "Please let us in on Monday."},
        token_from=page,
    )
    assert answer.status_code == 303
    assert post(client, f"{page}/retire", token_from=page).status_code == 303
    with app.app_context():
        assert settings.canned_responses(as_caller(people.manager)) == []  # the reply picker
        assert settings.canned_responses(as_caller(people.admin)) == []
    html = client.get(page).get_data(as_text=True)
    assert "Retired" in html and "Please let us in on Monday." in html
    assert "Retired" in client.get("/settings").get_data(as_text=True)
    assert post(client, f"{page}/retire", {"retired": "0"}, token_from=page).status_code == 303
    with app.app_context():
        assert len(settings.canned_responses(as_caller(people.manager))) == 1


def test_a_retired_canned_response_is_not_offered_by_the_api(client, make, people):
    with client.application.app_context():
        kept = settings.create_canned_response(as_caller(people.admin), title="Kept", body="k")
        gone = settings.create_canned_response(as_caller(people.admin), title="Gone", body="g")
        db.session.commit()
        gone_id = gone.id, kept.id
    retired = client.post(
        f"/api/canned-responses/{gone_id[0]}/retire", headers=make.headers(people.admin)
    )
    assert retired.status_code == 200 and retired.get_json()["retired_at"]
    titles = [
        r["title"]
        for r in client.get(
            "/api/canned-responses", headers=make.headers(people.manager)
        ).get_json()
    ]
    assert titles == ["Kept"]
    assert (
        client.post(
            f"/api/canned-responses/{gone_id[1]}/retire", headers=make.headers(people.manager)
        ).status_code
        == 403
    )


def test_an_overlong_canned_title_is_refused_and_nothing_saved(app, people):
    client = _client(app, people.admin)
    answer = post(
        client, "/settings/canned", {"title": "t" * 201, "body": "b"}, token_from="/settings"
    )
    assert answer.status_code == 422 and 'href="#field-title"' in answer.get_data(as_text=True)
    assert client.get("/settings/canned/999999").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(CannedResponse.id)) is None


def test_the_query_count_does_not_grow_with_canned_responses(app, people, queries):
    client = _client(app, people.admin)

    def add(n, start):
        with app.app_context():
            for i in range(start, start + n):
                settings.create_canned_response(as_caller(people.admin), title=f"R{i}", body="b")
            db.session.commit()

    add(2, 0)
    with queries() as few:
        assert client.get("/settings").status_code == 200
    add(8, 10)
    with queries() as many:
        assert client.get("/settings").status_code == 200
    assert many.count == few.count, many.statements[few.count :]
