"""The contracts app's models, one module per part: registration (the application and the
usage contract it forms, Art. 4) and rentals (equipment, fees, payments and
video data deletion, Art. 5, 10, 13)."""

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
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "NORMALIZED_FIELDS",
    "REFUSAL_GROUND_TEXT_JA",
    "REQUIRED_FIELDS",
    "REVIEWERS_GROUP",
    "BackhoeAcknowledgement",
    "Charge",
    "Payment",
    "RefusalGround",
    "RegistrationApplication",
    "Rental",
    "RentalUnit",
    "UsageContract",
    "VideoDeletionRecord",
    "normalize_values",
]
