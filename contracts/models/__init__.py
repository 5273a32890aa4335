"""The contracts app's models, one module per part: registration (the application and the
usage contract it forms, Art. 4) and rentals (equipment, fees, payments and
video data deletion, Art. 5, 10, 13) and records (video data records, moderation,
disclosures, transfers and personal data erasure, Art. 7, 10, 11, 17)."""

from .records import (
    ContractTransfer,
    DisclosureGround,
    PersonalDataErasure,
    ProhibitedAct,
    VideoDisclosure,
    VideoModeration,
    VideoRecord,
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
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "NORMALIZED_FIELDS",
    "REFUSAL_GROUND_TEXT_JA",
    "REQUIRED_FIELDS",
    "REVIEWERS_GROUP",
    "BackhoeAcknowledgement",
    "Charge",
    "ContractTransfer",
    "DisclosureGround",
    "Payment",
    "PersonalDataErasure",
    "ProhibitedAct",
    "RefusalGround",
    "RegistrationApplication",
    "Rental",
    "RentalUnit",
    "UsageContract",
    "VideoDeletionRecord",
    "VideoDisclosure",
    "VideoModeration",
    "VideoRecord",
    "normalize_values",
]
