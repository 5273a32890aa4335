"""The declaration of non-affiliation with anti-social forces (Art. 4(2)(4)).

It is a legal text, so its wording is fixed here per language rather than left to a
translator's catalogue: the SHA-256 recorded as evidence must identify exactly the words the
applicant saw. A change of wording is a new ``VERSION``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils import translation

VERSION = "2023-04-01"

TEXTS = {
    "ja": (
        "当社は、当社並びに当社の役員及び従業員が、現在、暴力団、暴力団員、暴力団員でなくなった時から"
        "5年を経過しない者、暴力団準構成員、暴力団関係企業、総会屋等、社会運動等標ぼうゴロ、"
        "特殊知能暴力集団等その他これらに準ずる者（以下「反社会的勢力」といいます。）に該当しないこと、"
        "反社会的勢力と社会的に非難されるべき関係を有しないこと、並びに将来にわたってもこれらに"
        "該当しないことを表明し、確約します。"
    ),
    "en": (
        "We declare and undertake that our company, its officers and its employees are not, "
        "and will not in the future be, an organised crime group (暴力団), a member of one, a "
        "person for whom five years have not passed since ceasing to be a member, a quasi-member, "
        "a company related to an organised crime group, a corporate racketeer (総会屋), a person "
        "feigning social movements, a special intelligence violence group or any person "
        'equivalent to these ("anti-social forces"), and that we have no relationship with '
        "anti-social forces that would be socially condemned."
    ),
}


@dataclass(frozen=True)
class Declaration:
    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def declaration_current(language: str | None = None) -> Declaration:
    """The declaration in ``language`` (default: the active language; Japanese otherwise)."""
    lang = (language or translation.get_language() or "ja")[:2]
    if lang not in TEXTS:
        lang = "ja"
    return Declaration(version=VERSION, language=lang, text=TEXTS[lang])
