"""Typed SQLAlchemy 2 models of the server package; importing this registers them all."""

from server.models.auth import Device, LoginThrottle, RefreshToken, TokenFamily
from server.models.idempotency import IdempotencyKey
from server.models.mail import InboundMail
from server.models.notifications import (
    Counter,
    Holiday,
    Notification,
    OutboxMessage,
    SlaPolicy,
    WorkerJob,
)
from server.models.people import ROLES, Department, User, department_members
from server.models.properties import (
    CERTIFICATE_KINDS,
    Block,
    Certificate,
    CertificateReminder,
    Tenancy,
    Unit,
)
from server.models.saved_filters import SavedFilter
from server.models.signup import PasswordToken, SignupRequest
from server.models.tickets import (
    BUILT_IN_TYPES,
    MESSAGE_VISIBILITIES,
    Assignment,
    Attachment,
    CannedResponse,
    Message,
    PendingUpload,
    Ticket,
    TicketContractor,
    TicketEvent,
    TicketStatusCount,
    TicketType,
)
from server.models.work import HeldWork, Material, TimeEntry

__all__ = [
    "BUILT_IN_TYPES",
    "CERTIFICATE_KINDS",
    "MESSAGE_VISIBILITIES",
    "ROLES",
    "Assignment",
    "Attachment",
    "Block",
    "CannedResponse",
    "Certificate",
    "CertificateReminder",
    "Counter",
    "Department",
    "Device",
    "HeldWork",
    "Holiday",
    "IdempotencyKey",
    "InboundMail",
    "LoginThrottle",
    "Material",
    "Message",
    "Notification",
    "OutboxMessage",
    "PasswordToken",
    "PendingUpload",
    "RefreshToken",
    "SavedFilter",
    "SignupRequest",
    "SlaPolicy",
    "Tenancy",
    "TokenFamily",
    "Ticket",
    "TicketContractor",
    "TicketEvent",
    "TicketStatusCount",
    "TicketType",
    "TimeEntry",
    "Unit",
    "User",
    "WorkerJob",
    "department_members",
]
