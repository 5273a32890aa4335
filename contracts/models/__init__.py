"""The contracts app's models, one module per part: registration (the application and the
usage contract it forms, Art. 4), rentals (equipment, fees, payments and video data
deletion, Art. 5, 10, 13) and lifecycle (suspension, revocation, cancellation, service
interruptions and ends, Art. 8 and 12)."""

from .lifecycle import (
    CANCELLATION_NOTICE,
    INTERRUPTION_REASON_CHOICES,
    PROVIDER_GROUND_CHOICES,
    SERVICE_END_NOTICE,
    Cancellation,
    CustomerStanding,
    ProductCategory,
    ReturnChecklist,
    ReturnItem,
    Revocation,
    RevocationQueueEntry,
    ServiceEnd,
    ServiceInterruption,
    Suspension,
)
from .registration import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    NORMALIZED_FIELDS,
    REFUSAL_GROUND_TEXT_JA,
    REQUIRED_FIELDS,
    REVIEWERS_GROUP,
    RefusalGround,
    RegistrationApplication,
    UsageContract,
    normalize_values,
)
from .rentals import (
    BackhoeAcknowledgement,
    Charge,
    Payment,
    Rental,
    RentalUnit,
    VideoDeletionRecord,
)

__all__ = [
    "CANCELLATION_NOTICE",
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "INTERRUPTION_REASON_CHOICES",
    "NORMALIZED_FIELDS",
    "PROVIDER_GROUND_CHOICES",
    "REFUSAL_GROUND_TEXT_JA",
    "REQUIRED_FIELDS",
    "REVIEWERS_GROUP",
    "SERVICE_END_NOTICE",
    "BackhoeAcknowledgement",
    "Cancellation",
    "Charge",
    "CustomerStanding",
    "Payment",
    "ProductCategory",
    "RefusalGround",
    "RegistrationApplication",
    "Rental",
    "RentalUnit",
    "ReturnChecklist",
    "ReturnItem",
    "Revocation",
    "RevocationQueueEntry",
    "ServiceEnd",
    "ServiceInterruption",
    "Suspension",
    "UsageContract",
    "VideoDeletionRecord",
    "normalize_values",
]
