"""The accounts app's models, one module per part: ``users`` (the person who signs in),
``customers`` (the tenant, 甲, and its memberships), ``audit`` (the audit log),
``invitations`` and ``security`` (stolen-credential incidents, the sharing signal)."""

from .audit import AuditEntry
from .customers import Customer, Membership
from .invitations import Invitation
from .security import Incident, NetworkSighting, SharingFlag
from .users import User, UserManager

__all__ = [
    "AuditEntry",
    "Customer",
    "Incident",
    "Invitation",
    "Membership",
    "NetworkSighting",
    "SharingFlag",
    "User",
    "UserManager",
]
