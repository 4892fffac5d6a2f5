"""People in the console: the directory in the API's scope, a person's page, and each
action exactly as the API allows it per role (admins only where it says admins only)."""

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Department, Device, PasswordToken, User
from tests.web.pages import csrf, post, sign_in


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def load(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_tenants_and_contractors_get_the_403_page(app, people):
    for user in (people.tenant, people.contractor):
        client = signed_in(app, user)
        for path in ("/people", f"/people/{user.id}", f"/people/{user.id}/edit", "/people/new"):
            assert client.get(path).status_code == 403, path


def test_staff_see_their_directory_and_admins_see_everyone(app, make, people):
    stranger = make.tenant_in(make.unit(make.block()), name="Sam Stranger")
    staff_html = signed_in(app, people.manager).get("/people").get_data(as_text=True)
    assert people.tenant.name in staff_html and people.contractor.name in staff_html
    assert "Sam Stranger" not in staff_html and people.admin.name not in staff_html
    assert "Add a person" not in staff_html
    assert signed_in(app, people.manager).get(f"/people/{stranger.id}").status_code == 404
    admin_html = signed_in(app, people.admin).get("/people").get_data(as_text=True)
    assert "Sam Stranger" in admin_html and "Add a person" in admin_html


def test_search_and_filters(app, make, people):
    make.user("contractor", name="Ella Electric", company="Spark & Co")
    client = signed_in(app, people.admin)
    html = client.get("/people?q=spark").get_data(as_text=True)
    assert "Ella Electric" in html and people.contractor.name not in html
    html = client.get("/people?role=tenant").get_data(as_text=True)
    assert people.tenant.name in html and people.contractor.name not in html
    html = client.get(f"/people?department={people.department.id}").get_data(as_text=True)
    assert people.manager.name in html and people.tenant.name not in html
    html = client.get("/people?active=false").get_data(as_text=True)
    assert "Nobody matches." in html


@pytest.mark.parametrize(
    "query", ["role=king", "active=maybe", "department=abc", "q=" + "x" * 201, "cursor=zz"]
)
def test_bogus_filters_are_explained(app, people, query):
    answer = signed_in(app, people.admin).get(f"/people?{query}")
    assert answer.status_code == 422
    assert "There is a problem" in answer.get_data(as_text=True)


def test_a_persons_page_shows_details_tickets_and_devices(app, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Cracked window")
    make.tokens(people.contractor, device_id="handheld-1")
    html = signed_in(app, people.manager).get(f"/people/{people.tenant.id}").get_data(as_text=True)
    assert people.tenant.email in html and "Cracked window" in html
    assert (
        f'href="/tickets/{ticket.id}"' in html and f"/tickets?reporter={people.tenant.id}" in html
    )
    html = (
        signed_in(app, people.manager).get(f"/people/{people.contractor.id}").get_data(as_text=True)
    )
    assert "handheld-1" in html and "Revoke" in html
    assert "Deactivate" not in html and "Send a set-password link" not in html  # staff
    assert "Unlock sign-in" not in html
    admin_html = (
        signed_in(app, people.admin).get(f"/people/{people.contractor.id}").get_data(as_text=True)
    )
    assert "Deactivate" in admin_html and "Unlock sign-in" in admin_html


def test_staff_revoke_a_device(app, make, people):
    make.tokens(people.contractor, device_id="lost-phone")
    with app.app_context():
        device = db.session.scalar(select(Device))
    client = signed_in(app, people.manager)
    path = f"/people/{people.contractor.id}/devices/{device.id}/revoke"
    answer = post(client, path, token_from=f"/people/{people.contractor.id}")
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(Device, device.id).revoked_at is not None
    wrong = post(client, f"/people/{people.tenant.id}/devices/{device.id}/revoke")
    assert wrong.status_code == 404


def test_admins_deactivate_and_reactivate_and_staff_cannot(app, people):
    staff = signed_in(app, people.manager)
    for action in ("deactivate", "reactivate", "password-link", "unlock"):
        answer = post(staff, f"/people/{people.contractor.id}/{action}", token_from="/people")
        assert answer.status_code == 403, action
        assert "not for your role" in answer.get_data(as_text=True)
    assert load(app, people.contractor.id).is_active
    admin = signed_in(app, people.admin)
    answer = post(admin, f"/people/{people.contractor.id}/deactivate", token_from="/people")
    assert answer.status_code == 303
    assert not load(app, people.contractor.id).is_active
    html = admin.get(f"/people/{people.contractor.id}").get_data(as_text=True)
    assert "Deactivated: they can no longer sign in." in html and "Reactivate" in html
    post(admin, f"/people/{people.contractor.id}/reactivate", token_from="/people")
    assert load(app, people.contractor.id).is_active


def test_an_admin_cannot_deactivate_themselves(app, people):
    admin = signed_in(app, people.admin)
    answer = post(admin, f"/people/{people.admin.id}/deactivate", token_from="/people")
    assert answer.status_code == 303
    assert "You cannot deactivate yourself." in admin.get(f"/people/{people.admin.id}").get_data(
        as_text=True
    )
    assert load(app, people.admin.id).is_active


def test_admins_send_a_set_password_link_and_unlock(app, people):
    admin = signed_in(app, people.admin)
    answer = post(admin, f"/people/{people.tenant.id}/password-link", token_from="/people")
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(PasswordToken.user_id)) == people.tenant.id
    answer = post(admin, f"/people/{people.tenant.id}/unlock", token_from="/people")
    assert answer.status_code == 303
    assert "Sign-in blocks lifted." in admin.get(f"/people/{people.tenant.id}").get_data(
        as_text=True
    )
    assert post(admin, "/people/99999999/unlock", token_from="/people").status_code == 404


def test_staff_edit_what_the_api_lets_them_and_nothing_more(app, people):
    client = signed_in(app, people.manager)
    html = client.get(f"/people/{people.contractor.id}/edit").get_data(as_text=True)
    assert 'name="company"' in html and 'name="role"' not in html
    answer = post(
        client,
        f"/people/{people.contractor.id}/edit",
        {"name": "Carl P. Plumber", "company": "Plumb Perfect"},
        token_from=f"/people/{people.contractor.id}/edit",
    )
    assert answer.status_code == 303
    assert load(app, people.contractor.id).company == "Plumb Perfect"
    forced = post(
        client,
        f"/people/{people.contractor.id}/edit",
        {"name": "Carl", "role": "admin"},
        token_from=f"/people/{people.contractor.id}/edit",
    )
    assert forced.status_code == 403
    assert load(app, people.contractor.id).role == "contractor"
    assert load(app, people.contractor.id).name == "Carl P. Plumber"


def test_admins_change_roles_and_departments(app, make, people):
    other = make.department(name="Lettings")
    client = signed_in(app, people.admin)
    answer = post(
        client,
        f"/people/{people.manager.id}/edit",
        {
            "name": people.manager.name,
            "email": people.manager.email,
            "role": "staff",
            "departments_shown": "1",
            "department_ids": str(other.id),
        },
        token_from=f"/people/{people.manager.id}/edit",
    )
    assert answer.status_code == 303
    with app.app_context():
        user = db.session.get(User, people.manager.id)
        assert [d.name for d in user.departments] == ["Lettings"]
    post(
        client,
        f"/people/{people.manager.id}/edit",
        {"name": people.manager.name, "departments_shown": "1"},
        token_from=f"/people/{people.manager.id}/edit",
    )
    with app.app_context():
        assert db.session.get(User, people.manager.id).departments == []
        assert db.session.scalar(select(Department.id).where(Department.name == "Lettings"))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": "x" * 201}, "Length must be between 1 and 200."),
        ({"email": "not-an-email"}, "Not a valid email address."),
        ({"labour_category": "99999"}, "unknown"),
        ({"department_ids": "abc", "departments_shown": "1"}, "Not a valid integer."),
    ],
)
def test_hostile_edits_are_explained_and_change_nothing(app, people, changes, message):
    client = signed_in(app, people.admin)
    path = f"/people/{people.contractor.id}/edit"
    answer = post(client, path, changes, token_from=path)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert load(app, people.contractor.id).name == "Carl Plumber"


def test_only_admins_add_people(app, people):
    staff = signed_in(app, people.manager)
    data = {
        "name": "New Tenant",
        "email": "new@example.test",
        "role": "tenant",
        "password": "a long enough password",
    }
    assert post(staff, "/people/new", data, token_from="/people").status_code == 403
    admin = signed_in(app, people.admin)
    answer = post(admin, "/people/new", data, token_from="/people/new")
    assert answer.status_code == 303
    again = post(admin, "/people/new", data, token_from="/people/new")
    assert again.status_code == 409
    assert "A user with this email already exists." in again.get_data(as_text=True)
    short = post(
        admin,
        "/people/new",
        {**data, "email": "b@example.test", "password": "x"},
        token_from="/people/new",
    )
    assert short.status_code == 422 and 'href="#field-password"' in short.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "b@example.test")) is None


def test_people_actions_need_the_csrf_token(app, people):
    client = signed_in(app, people.admin)
    assert client.post(f"/people/{people.contractor.id}/deactivate").status_code == 400
    assert load(app, people.contractor.id).is_active


def test_bad_ids_are_404_pages(app, people):
    client = signed_in(app, people.admin)
    assert client.get("/people/99999999").status_code == 404
    assert client.get("/people/abc").status_code == 404
    token = csrf(client, "/people")
    answer = client.post("/people/99999999/deactivate", data={"csrf_token": token})
    assert answer.status_code == 404


def test_the_directory_runs_the_same_queries_for_5_or_40_people(app, make, people, queries):
    client = signed_in(app, people.admin)
    made = []

    def count(rows):
        while len(made) < rows:
            made.append(make.user("staff", departments=[people.department]))
        with queries() as counted:
            assert client.get("/people?limit=50").status_code == 200
        return counted.count

    assert count(5) == count(40)
