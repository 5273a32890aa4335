"""The labels of the clauses a service rests on: what staff choose from (the grounds of a
suspension or revocation, the reason of an interruption) and read in the audit log, in the
staff member's language, naming the item the terms of use give that number."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from accounts.clauses import Clause
from contracts.models import INTERRUPTION_REASON_CHOICES, PROVIDER_GROUND_CHOICES


@pytest.mark.parametrize("clause", list(Clause))
def test_every_clause_label_has_japanese_starting_with_its_article(clause: Clause) -> None:
    with translation.override("ja"):
        label = str(clause.label)
    assert label.startswith(Clause.label_for(clause.value, "ja") + "："), label
    assert not re.search(r"[a-z]{2,}", label), label  # SD, NAS, ID stay


def test_the_grounds_of_article_12_1_name_the_items_of_the_terms() -> None:
    """Terms of use, Art. 12(1): (3) use likely to damage others, (4) obstruction of the
    service, (6) default under the Rental Basic Terms; Art. 4(2): (1) risk of breach, (2)
    false registration information. A staff member suspending for unpaid fees picks (6)."""
    with translation.override("ja"):
        grounds = {value: str(label) for value, label in PROVIDER_GROUND_CHOICES}
        assert "債務不履行" in grounds["art12.1.6"]
        assert "損害" in grounds["art12.1.3"]
        assert "妨害" in grounds["art12.1.4"]
        assert "違反するおそれ" in str(Clause.ART4_2_1.label)
        assert "虚偽" in str(Clause.ART4_2_2.label)
        assert all("第8条第1項" in str(label) for _value, label in INTERRUPTION_REASON_CHOICES)
    with translation.override("en"):
        assert "default" in str(Clause.ART12_1_6.label)
        assert "payment" not in str(Clause.ART12_1_3.label)
