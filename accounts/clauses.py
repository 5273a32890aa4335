"""The clauses of the terms of use that the portal's actions rest on. Audit entries, notices
and services name their basis with a ``Clause`` value (stored as text such as ``art12.1.5``),
never a bare string, so that a typo is an error and every basis can be listed."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

_CLAUSE_RE = re.compile(r"^art(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


class Clause(models.TextChoices):
    ART1 = "art1", _("Art. 1: application of these terms")
    ART3 = "art3", _("Art. 3: the service")
    ART4_1 = "art4.1", _("Art. 4(1): application for registration")
    ART4_2 = "art4.2", _("Art. 4(2): refusal of registration")
    ART4_2_1 = "art4.2.1", _("Art. 4(2)(1): risk of breaching these terms")
    ART4_2_2 = "art4.2.2", _("Art. 4(2)(2): false, wrong or missing registration information")
    ART4_2_3 = "art4.2.3", _("Art. 4(2)(3): previously revoked")
    ART4_2_4 = "art4.2.4", _("Art. 4(2)(4): anti-social forces")
    ART4_2_5 = "art4.2.5", _("Art. 4(2)(5): otherwise inappropriate")
    ART4_3 = "art4.3", _("Art. 4(3): approval notice forms the usage contract")
    ART5 = "art5", _("Art. 5: fees")
    ART6_1 = "art6.1", _("Art. 6(1): IDs and passwords are the customer's responsibility")
    ART6_2 = "art6.2", _("Art. 6(2): damage from the use of IDs is the customer's responsibility")
    ART6_3 = "art6.3", _("Art. 6(3): stolen or misused credentials")
    ART7_1 = "art7.1", _("Art. 7(1): prohibited acts")
    ART7_2 = "art7.2", _("Art. 7(2): deletion of offending information")
    ART8_1 = "art8.1", _("Art. 8(1): suspension of the service")
    ART8_1_1 = "art8.1.1", _("Art. 8(1)(1): maintenance or inspection")
    ART8_1_2 = "art8.1.2", _("Art. 8(1)(2): failure of equipment or lines")
    ART8_1_3 = "art8.1.3", _("Art. 8(1)(3): force majeure")
    ART8_1_4 = "art8.1.4", _("Art. 8(1)(4): telecommunications carrier's suspension")
    ART8_1_5 = "art8.1.5", _("Art. 8(1)(5): otherwise necessary")
    ART8_2 = "art8.2", _("Art. 8(2): end of the service with 30 days' notice")
    ART9 = "art9", _("Art. 9: the customer's equipment and environment")
    ART10_3 = "art10.3", _("Art. 10(3): disclosure of video data to third parties")
    ART10_4 = "art10.4", _("Art. 10(4): backups are the customer's responsibility")
    ART10_5 = "art10.5", _("Art. 10(5): deletion of video data")
    ART10_6 = "art10.6", _("Art. 10(6): video data deleted at the end of the contract")
    ART10_7 = "art10.7", _("Art. 10(7): SD card and NAS data wiped on return")
    ART11 = "art11", _("Art. 11: personal information")
    ART12_1 = "art12.1", _("Art. 12(1): suspension or revocation by the provider")
    ART12_1_1 = "art12.1.1", _("Art. 12(1)(1): breach of these terms")
    ART12_1_2 = "art12.1.2", _("Art. 12(1)(2): false registration information")
    ART12_1_3 = "art12.1.3", _("Art. 12(1)(3): use likely to cause damage to others")
    ART12_1_4 = "art12.1.4", _("Art. 12(1)(4): obstruction of the service")
    ART12_1_5 = "art12.1.5", _("Art. 12(1)(5): no use for three months and no answer")
    ART12_1_6 = (
        "art12.1.6",
        _("Art. 12(1)(6): default under the Rental Basic Terms or Subscription Clauses"),
    )
    ART12_1_7 = "art12.1.7", _("Art. 12(1)(7): otherwise inappropriate")
    ART12_2 = "art12.2", _("Art. 12(2): all debts fall due")
    ART12_3 = "art12.3", _("Art. 12(3): cancellation with 7 days' notice")
    ART12_5 = "art12.5", _("Art. 12(5): return or disposal of software and manuals")
    ART13_9 = "art13.9", _("Art. 13(9): liability cap")
    ART13_10 = "art13.10", _("Art. 13(10): the backhoe camera system is not a safety device")
    ART15 = "art15", _("Art. 15: changes to these terms")
    ART16 = "art16", _("Art. 16: notices")
    ART17 = "art17", _("Art. 17: no assignment without consent")
    ART20 = "art20", _("Art. 20: matters not provided for are settled by consultation")

    @classmethod
    def label_for(cls, clause: str, language: str) -> str:
        """``art12.1.5`` → 第12条第1項第5号 (ja) / Art. 12(1)(5) (en); anything else unchanged."""
        match = _CLAUSE_RE.match(str(clause))
        if not match:
            return str(clause)
        article, paragraph, item = match.groups()
        if language == "ja":
            label = f"第{article}条"
            if paragraph:
                label += f"第{paragraph}項"
            if item:
                label += f"第{item}号"
            return label
        return f"Art. {article}" + "".join(f"({part})" for part in (paragraph, item) if part)
