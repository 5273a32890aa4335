"""Every clause label is shown to Japanese readers in Japanese: in the admin (audit log,
suspensions, revocations), the customer's deletion log and the notice pages."""

import pytest
from django.utils import translation

from accounts.clauses import Clause


@pytest.mark.parametrize("clause", list(Clause), ids=lambda c: c.value)
def test_every_clause_label_has_a_japanese_translation(clause: Clause) -> None:
    with translation.override("ja"):
        label = str(clause.label)
    with translation.override("en"):
        english = str(clause.label)
    assert label != english, f"{clause.value} has no Japanese label: {english!r}"
    article = Clause.label_for(clause.value, "ja")
    assert label.startswith(article + ":"), (clause.value, label)
