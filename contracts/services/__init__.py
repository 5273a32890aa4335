"""Writes of the contracts app, one module per workflow, imported by module
(``from contracts.services import cancellations``):

- ``registration`` (the applicant's draft and submission, Art. 4(1)) and
  ``registration_review`` (approval and refusal, Art. 4(2)(3))
- ``rentals`` (requests, units, delivery, returns, ends: Art. 3, 10(6)(7)) and ``billing``
  (charges, payments, balance: Art. 5, 12(2), 13(9))
- ``records`` (video data records and their deletion, Art. 10), ``moderation`` (Art. 7(2),
  10(5)), ``disclosures`` (Art. 10(3)), ``transfers`` (Art. 17), ``privacy`` (Art. 11)
- ``standing`` (suspension, revocation: Art. 12(1)(2)(5)), ``cancellations`` (Art. 12(3)),
  ``inactivity`` (Art. 12(1)(5)), with ``lifecycle_common`` for what they share
- ``service_events`` (interruptions and ends of the service, Art. 8)
- ``jobs``: ``JobResult`` and the set-based audit of the scheduled services"""
