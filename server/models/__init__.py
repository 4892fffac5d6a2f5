"""Typed SQLAlchemy 2 models of the server package; importing this registers them all."""

from server.models.auth import Device, LoginFailure, RefreshToken, TokenFamily
from server.models.people import ROLES, Department, User, department_members

__all__ = [
    "ROLES",
    "Department",
    "Device",
    "LoginFailure",
    "RefreshToken",
    "TokenFamily",
    "User",
    "department_members",
]
