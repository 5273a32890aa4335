"""The contracts app's models, one module per part: registration (the application and the
usage contract it forms, Art. 4)."""

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

__all__ = [
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "NORMALIZED_FIELDS",
    "REFUSAL_GROUND_TEXT_JA",
    "REQUIRED_FIELDS",
    "REVIEWERS_GROUP",
    "RefusalGround",
    "RegistrationApplication",
    "UsageContract",
    "normalize_values",
]
