"""The contracts app's staff screens, loaded by Django's admin through this module; one module
per topic registers its own:

- ``registration_admin``: applications and their review, usage contracts (Art. 4)
- ``rentals_admin``: rentals, units per rental, deletion records (Art. 3, 10(6)(7))
- ``billing_admin``: payments and charges (Art. 5, 13(9))
- ``records_admin``: video data records, moderation, disclosures, transfers (Art. 7, 10, 17)
- ``lifecycle_admin``: suspension, revocation, cancellation, the revocation queue, service
  events (Art. 8, 12)

``home_admin`` builds the queues and charts of the admin index; ``common_admin`` holds what
the screens share."""

from . import (  # noqa: F401  (each module registers its screens)
    billing_admin,
    lifecycle_admin,
    records_admin,
    registration_admin,
    rentals_admin,
)
