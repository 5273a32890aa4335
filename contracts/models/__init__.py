"""The contracts app's models, one module per part: registration (the application and the
usage contract it forms, Art. 4)."""

from .registration import (
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
    "NORMALIZED_FIELDS",
    "REFUSAL_GROUND_TEXT_JA",
    "REQUIRED_FIELDS",
    "REVIEWERS_GROUP",
    "RefusalGround",
    "RegistrationApplication",
    "UsageContract",
    "normalize_values",
]
