"""Demo data for `fieldline demo`: a small agency anyone can log in to."""

from sqlalchemy import select

from server.extensions import db
from server.models import User
from server.services.people import create_department, create_user

DEMO_PASSWORD = "fieldline-demo"


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create the demo agency once; return (role, email, name) of every demo login."""
    people = [
        ("admin", "admin@demo.fieldline", "Ada Admin"),
        ("staff", "maria.manager@demo.fieldline", "Maria Manager"),
        ("staff", "sam.support@demo.fieldline", "Sam Support"),
        ("contractor", "carl.plumber@demo.fieldline", "Carl Plumber"),
        ("contractor", "eve.electric@demo.fieldline", "Eve Electric"),
        ("tenant", "zoe@demo.fieldline", "Zoë Łukasiewicz"),
        ("tenant", "obrien@demo.fieldline", "Pat O'Brien"),
        ("tenant", "nina@demo.fieldline", "Nina Núñez"),
    ]
    if db.session.scalar(select(User.id).where(User.email == people[0][1])) is None:
        maintenance = create_department(None, name="Maintenance")
        lettings = create_department(None, name="Lettings")
        departments = {
            "maria.manager@demo.fieldline": [maintenance.id],
            "sam.support@demo.fieldline": [lettings.id],
        }
        for role, email, name in people:
            create_user(
                None,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                department_ids=departments.get(email, []),
                company="Plumb Perfect Ltd" if email.startswith("carl") else None,
            )
    return people
