"""Admin endpoints for users and departments."""

from tests.factories import PASSWORD


def test_admin_creates_a_user_who_can_then_log_in(client, make):
    admin = make.user("admin")
    department = make.department()
    response = client.post(
        "/api/users",
        json={
            "email": "New.Person@Example.test",
            "name": "New Person",
            "role": "staff",
            "password": PASSWORD,
            "department_ids": [department.id],
        },
        headers=make.headers(admin),
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["email"] == "new.person@example.test"
    assert created["department_ids"] == [department.id]
    assert "password" not in created and "password_hash" not in created
    login = client.post(
        "/api/auth/token", json={"email": "new.person@example.test", "password": PASSWORD}
    )
    assert login.status_code == 200


def test_creating_a_user_with_an_unknown_department_writes_nothing(client, make):
    admin = make.user("admin")
    response = client.post(
        "/api/users",
        json={
            "email": "a@b.test",
            "name": "A",
            "role": "staff",
            "password": PASSWORD,
            "department_ids": [424242],
        },
        headers=make.headers(admin),
    )
    assert response.status_code == 422
    assert "department_ids" in response.get_json()["errors"]
    login = client.post("/api/auth/token", json={"email": "a@b.test", "password": PASSWORD})
    assert login.status_code == 401


def test_email_is_unique_regardless_of_case(client, make):
    admin = make.user("admin")
    make.user("tenant", email="taken@example.test")
    response = client.post(
        "/api/users",
        json={"email": "TAKEN@example.test", "name": "B", "role": "tenant", "password": PASSWORD},
        headers=make.headers(admin),
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "email_taken"


def test_staff_cannot_create_users(client, make):
    staff = make.user("staff")
    response = client.post(
        "/api/users",
        json={"email": "c@d.test", "name": "C", "role": "admin", "password": PASSWORD},
        headers=make.headers(staff),
    )
    assert response.status_code == 403
