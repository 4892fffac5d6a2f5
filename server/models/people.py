"""Users, their roles and the departments staff belong to."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow

ROLES = ("tenant", "contractor", "staff", "admin")

department_members = Table(
    "department_members",
    Base.metadata,
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["User"]] = relationship(
        secondary=department_members, back_populates="departments"
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str | None] = mapped_column(String(200))
    labour_category_id: Mapped[int | None] = mapped_column()
    notify_me: Mapped[bool] = mapped_column(default=True)
    # Admins only: also mail me every new ticket (docs/NOTIFICATIONS.md).
    notify_new_tickets: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    departments: Mapped[list[Department]] = relationship(
        secondary=department_members, back_populates="members"
    )

    @property
    def department_ids(self) -> list[int]:
        return sorted(d.id for d in self.departments)
