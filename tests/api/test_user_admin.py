"""The user directory through the API: list and filter, edit, deactivate, passwords."""

import re

import pytest

from server.worker import run_once
from tests.api.mailbox import smtp_server
from tests.factories import PASSWORD


def get(client, make, user, url):
    response = client.get(url, headers=make.headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def login(client, email, password=PASSWORD):
    return client.post("/api/auth/token", json={"email": email, "password": password})


def test_admin_lists_everyone_a_page_at_a_time(client, make):
    admin = make.user("admin")
    made = [make.user("tenant") for _ in range(4)]
    first = get(client, make, admin, "/api/users?limit=3")
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = get(client, make, admin, f"/api/users?limit=3&cursor={first['next_cursor']}")
    ids = [u["id"] for u in first["items"] + second["items"]]
    assert ids == sorted(ids) and {admin.id, *(u.id for u in made)} == set(ids)
    assert second["next_cursor"] is None


def test_the_list_filters_by_role_department_activity_text_and_labour_category(client, make):
    admin = make.user("admin")
    plumbing = make.department()
    staff = make.user("staff", departments=[plumbing], name="Pat Plumbing")
    make.user("staff", name="Other Person")
    gone = make.user("contractor", company="Gone Ltd")
    client.post(f"/api/users/{gone.id}/deactivate", headers=make.headers(admin))

    def ids(query):
        return [u["id"] for u in get(client, make, admin, f"/api/users?{query}")["items"]]

    assert ids(f"department={plumbing.id}") == [staff.id]
    assert ids("q=pat%20plumb") == [staff.id]
    assert ids("q=GONE") == [gone.id]
    assert ids("active=false") == [gone.id]
    assert gone.id not in ids("active=true&role=contractor")
    assert set(ids("role=staff")) >= {staff.id}
    assert ids("labour_category=9999") == []


def test_staff_see_contractors_and_the_tenants_of_their_blocks_only(client, make):
    mine, theirs = make.department(), make.department()
    staff = make.user("staff", departments=[mine])
    my_tenant = make.tenant_in(make.unit(make.block(department=mine)))
    other_tenant = make.tenant_in(make.unit(make.block(department=theirs)))
    contractor = make.user("contractor")
    other_staff = make.user("staff", departments=[theirs])
    listed = {u["id"] for u in get(client, make, staff, "/api/users?limit=200")["items"]}
    assert {staff.id, my_tenant.id, contractor.id} <= listed
    assert not {other_tenant.id, other_staff.id} & listed
    assert (
        client.get(f"/api/users/{other_tenant.id}", headers=make.headers(staff)).status_code == 404
    )


def test_unknown_and_out_of_range_list_parameters_answer_422(client, make):
    admin = make.user("admin")
    for query in ("colour=red", "limit=0", "limit=201", "role=king", "cursor=bogus"):
        response = client.get(f"/api/users?{query}", headers=make.headers(admin))
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"


def test_admin_edits_details_departments_and_role(client, make):
    admin = make.user("admin")
    department = make.department()
    user = make.user("staff")
    response = client.patch(
        f"/api/users/{user.id}",
        json={
            "name": "Renamed",
            "email": "Renamed@Example.test",
            "phone": "+44 1",
            "company": "Acme",
            "department_ids": [department.id],
            "role": "admin",
        },
        headers=make.headers(admin),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["email"], body["role"]) == (
        "Renamed",
        "renamed@example.test",
        "admin",
    )
    assert body["department_ids"] == [department.id]
    assert login(client, "renamed@example.test").status_code == 200


def test_a_role_change_ends_the_users_sessions(client, make):
    admin, user = make.user("admin"), make.user("staff")
    headers = make.headers(user)
    client.patch(f"/api/users/{user.id}", json={"role": "tenant"}, headers=make.headers(admin))
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401


def test_staff_may_not_change_roles_or_departments_and_nothing_changes(client, make):
    staff, contractor = make.user("staff"), make.user("contractor", name="Before")
    for body in ({"role": "admin", "name": "After"}, {"department_ids": [], "name": "After"}):
        response = client.patch(
            f"/api/users/{contractor.id}", json=body, headers=make.headers(staff)
        )
        assert response.status_code == 403
    assert get(client, make, make.user("admin"), f"/api/users/{contractor.id}")["name"] == "Before"


def test_anyone_edits_their_own_name_but_not_their_email(client, make):
    tenant = make.user("tenant")
    ok = client.patch(
        f"/api/users/{tenant.id}", json={"name": "New Me"}, headers=make.headers(tenant)
    )
    assert ok.status_code == 200 and ok.get_json()["name"] == "New Me"
    refused = client.patch(
        f"/api/users/{tenant.id}", json={"email": "x@example.test"}, headers=make.headers(tenant)
    )
    assert refused.status_code == 403


def test_an_email_taken_by_another_user_is_409(client, make):
    admin, one, two = make.user("admin"), make.user("tenant"), make.user("tenant")
    response = client.patch(
        f"/api/users/{one.id}", json={"email": two.email}, headers=make.headers(admin)
    )
    assert response.status_code == 409 and response.get_json()["code"] == "email_taken"


def test_the_last_admin_keeps_the_role_and_cannot_be_deactivated(client, make):
    admin = make.user("admin")
    demote = client.patch(
        f"/api/users/{admin.id}", json={"role": "staff"}, headers=make.headers(admin)
    )
    assert demote.status_code == 409 and demote.get_json()["code"] == "last_admin"
    other = make.user("admin")
    myself = client.post(f"/api/users/{other.id}/deactivate", headers=make.headers(other))
    assert myself.status_code == 409 and myself.get_json()["code"] == "self_deactivation"


def test_a_deactivated_user_is_signed_out_everywhere_and_cannot_log_in(client, make):
    admin = make.user("admin")
    department = make.department()
    staff = make.user("staff", departments=[department])
    contractor = make.user("contractor", name="Carl Leaver")
    block = make.block(department=department)
    ticket = make.ticket(staff, block)
    make.assign(ticket, contractor, staff)
    phone = make.tokens(contractor, device_id="handset-1")
    web = make.headers(contractor)
    response = client.post(f"/api/users/{contractor.id}/deactivate", headers=make.headers(admin))
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    assert client.get("/api/me", headers=web).status_code == 401
    device = {"Authorization": f"Bearer {phone['access_token']}"}
    assert client.get("/api/me", headers=device).status_code == 401
    refresh = client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refresh.status_code == 401
    assert login(client, contractor.email).status_code == 401
    # History keeps their name.
    events = get(client, make, staff, f"/api/tickets/{ticket.id}")["events"]
    assert any(e["data"].get("contractor_name") == "Carl Leaver" for e in events)
    back = client.post(f"/api/users/{contractor.id}/reactivate", headers=make.headers(admin))
    assert back.status_code == 200 and back.get_json()["is_active"] is True
    assert login(client, contractor.email).status_code == 200


def test_admin_sends_a_set_password_link_that_works_once(app, client, make):
    admin = make.user("admin")
    user = make.user("contractor")
    with smtp_server() as smtp:
        app.config["SMTP_URL"] = smtp.url
        response = client.post(f"/api/users/{user.id}/password-link", headers=make.headers(admin))
        assert response.status_code == 202
        assert response.get_json()["user_id"] == user.id
        run_once(app)
        [mail] = smtp.inbox.to(user.email)
    text = mail.get_body(("plain",)).get_content()
    token = re.search(r"/set-password\?token=([\w-]+)", text).group(1)
    chosen = {"token": token, "password": "brand new password"}
    assert client.post("/api/auth/set-password", json=chosen).status_code == 200
    assert login(client, user.email, "brand new password").status_code == 200
    assert client.post("/api/auth/set-password", json=chosen).status_code == 400


def test_no_link_for_a_deactivated_user(client, make):
    admin, user = make.user("admin"), make.user("tenant")
    client.post(f"/api/users/{user.id}/deactivate", headers=make.headers(admin))
    response = client.post(f"/api/users/{user.id}/password-link", headers=make.headers(admin))
    assert response.status_code == 409 and response.get_json()["code"] == "user_inactive"


def test_changing_my_password_keeps_this_session_and_ends_the_others(client, make):
    user = make.user("staff")
    this, other = make.headers(user), make.headers(user)
    response = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "another long password"},
        headers=this,
    )
    assert response.status_code == 204
    assert client.get("/api/me", headers=this).status_code == 200
    assert client.get("/api/me", headers=other).status_code == 401
    assert login(client, user.email).status_code == 401
    assert login(client, user.email, "another long password").status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"current_password": "wrong one", "new_password": "another long password"},
            "current_password_wrong",
        ),
        ({"current_password": PASSWORD, "new_password": "x"}, "validation_failed"),
        ({"current_password": PASSWORD, "new_password": "         "}, "validation_failed"),
    ],
)
def test_a_wrong_current_or_a_weak_new_password_changes_nothing(client, make, body, code):
    user = make.user("tenant")
    response = client.post("/api/me/password", json=body, headers=make.headers(user))
    assert response.status_code == 422 and response.get_json()["code"] == code
    assert login(client, user.email).status_code == 200


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [
        ("notanemail", "long enough pw", "is not an email address"),
        ("a@example.test", "x", "at least 8 characters"),
    ],
)
def test_create_user_command_follows_the_api_rules(runner, email, password, says):
    args = ["create-user", "--role", "admin", "--email", email, "--password", password]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert says in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_api_refuses_the_same_email_and_password_as_the_cli(client, make):
    admin = make.user("admin")
    for body in (
        {"email": "notanemail", "password": "long enough pw"},
        {"email": "a@example.test", "password": "x"},
    ):
        response = client.post(
            "/api/users", json={**body, "name": "N", "role": "tenant"}, headers=make.headers(admin)
        )
        assert response.status_code == 422


def test_an_unknown_parameter_without_a_login_is_still_401(client):
    assert client.get("/api/users?colour=red").status_code == 401
    assert client.get("/api/tickets?colour=red").status_code == 401
