"""The contracts app's models, one module per part: registration (the application and the
usage contract it forms, Art. 4), rentals (equipment, fees, payments and video data
deletion, Art. 5, 10, 13), lifecycle (suspension, revocation, cancellation, the return
checklist, Art. 12), service_events (interruptions and ends of the service, Art. 8),
measures (the permission each of the provider's measures needs, and its group) and records
(video data records, moderation, disclosures, transfers and personal data erasure, Art. 7,
10, 11, 17)."""

from .lifecycle import (
    CANCELLATION_NOTICE,
    PROVIDER_GROUND_CHOICES,
    Cancellation,
    CustomerStanding,
    ReturnChecklist,
    ReturnItem,
    Revocation,
    RevocationQueueEntry,
    Suspension,
)
from .measures import MEASURES_GROUP, MEASURES_GROUP_VIEWS, Measure
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
from .service_events import (
    INTERRUPTION_REASON_CHOICES,
    SERVICE_END_NOTICE,
    ProductCategory,
    ServiceEnd,
    ServiceInterruption,
)

__all__ = [
    "CANCELLATION_NOTICE",
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "INTERRUPTION_REASON_CHOICES",
    "MEASURES_GROUP",
    "MEASURES_GROUP_VIEWS",
    "NORMALIZED_FIELDS",
    "PROVIDER_GROUND_CHOICES",
    "REFUSAL_GROUND_TEXT_JA",
    "REQUIRED_FIELDS",
    "REVIEWERS_GROUP",
    "SERVICE_END_NOTICE",
    "BackhoeAcknowledgement",
    "Cancellation",
    "Charge",
    "ContractTransfer",
    "CustomerStanding",
    "DisclosureGround",
    "Measure",
    "Payment",
    "PersonalDataErasure",
    "ProductCategory",
    "ProhibitedAct",
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
    "VideoDisclosure",
    "VideoModeration",
    "VideoRecord",
    "normalize_values",
]
