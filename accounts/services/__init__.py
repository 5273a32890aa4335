"""Writes of the accounts app, one module per concern: ``customers`` (creation, activity,
staff corrections), ``members`` (removal, ownership), ``users`` (staff edits of a login),
``mfa`` (the owner's two-factor rule), ``sessions``, ``tokens`` (API tokens) and ``sharing``
(the credential-sharing signal). Workflows that send
notices (invitations, stolen credentials, security e-mails) live in ``security.services``,
above the notices app. The audit log is ``accounts.audit``.

The names below are the package's public interface, so ``from accounts.services import
customer_create_with_owner`` works as well as importing the module."""

from .customers import customer_create_with_owner, customer_touch_activity, customer_update
from .members import (
    member_remove,
    membership_require_owner,
    ownership_transfer,
    ownership_transfer_by_staff,
)
from .mfa import customer_set_mfa_required, user_has_mfa
from .sessions import user_session_end, user_sessions_end, user_sessions_end_all
from .sharing import (
    device_is_unseen,
    device_key,
    network_of,
    sharing_flag_review,
    sighting_record,
)
from .tokens import api_token_create, api_token_list, api_token_revoke, user_tokens_revoke_all
from .users import user_update

__all__ = [
    "api_token_create",
    "api_token_list",
    "api_token_revoke",
    "customer_create_with_owner",
    "customer_set_mfa_required",
    "customer_touch_activity",
    "customer_update",
    "device_is_unseen",
    "device_key",
    "member_remove",
    "membership_require_owner",
    "network_of",
    "ownership_transfer",
    "ownership_transfer_by_staff",
    "sharing_flag_review",
    "sighting_record",
    "user_has_mfa",
    "user_session_end",
    "user_sessions_end",
    "user_sessions_end_all",
    "user_tokens_revoke_all",
    "user_update",
]
