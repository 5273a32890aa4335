"""Who may take the provider's heavy measures (Art. 8, 12): each is a model permission,
declared (``Meta.permissions``) on the model whose row records it, and held by the staff
of the "measures" group (created by a migration; superusers hold every permission). The
services refuse anyone else; the admin offers a measure only to staff who may take it."""

from __future__ import annotations

from enum import StrEnum

MEASURES_GROUP = "measures"


class Measure(StrEnum):
    """The permission a measure needs, as ``User.has_perm`` takes it."""

    # Art. 12(1): suspending a customer and lifting the suspension (Suspension).
    SUSPEND = "contracts.suspend_customer"
    # Art. 12(1), (2), (5): revoking the registration (Revocation).
    REVOKE = "contracts.revoke_registration"
    # Art. 12(3): giving and withdrawing the provider's notice of cancellation (Cancellation).
    CANCEL_FOR_PROVIDER = "contracts.cancel_for_provider"
    # Art. 8(2): announcing the end of the service or of a product line (ServiceEnd).
    ANNOUNCE_SERVICE_END = "contracts.announce_service_end"
    # Art. 8(1): scheduling a maintenance window or outage (ServiceInterruption).
    SCHEDULE_INTERRUPTION = "contracts.schedule_interruption"
    # Art. 12(5): recording the software and manuals returned or destroyed (ReturnChecklist).
    RECORD_RETURNS = "contracts.record_returns"

    @property
    def codename(self) -> str:
        return self.value.partition(".")[2]


# What the group holds besides the measures: the screens the measures are taken on that are
# not open to every member of staff already.
MEASURES_GROUP_VIEWS = (
    "view_returnchecklist",
    "view_serviceend",
    "view_serviceinterruption",
)
