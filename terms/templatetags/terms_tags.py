"""``{% article_link "terms-of-use" 12 3 %}`` → a link to Art. 12(3) (第12条第3項) of the
version in force, for use on any page (Art. 15)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from terms.selectors import current_version_refs

register = template.Library()

_ZENKAKU = str.maketrans("0123456789", "０１２３４５６７８９")


def clause_text(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    if (get_language() or "ja").startswith("en"):
        return f"Art. {article}" + "".join(f"({n})" for n in (paragraph, item) if n)
    text = f"第{article}条"
    if paragraph:
        text += f"第{paragraph}項"
    if item:
        text += f"第{item}号"
    return text


def clause_anchor(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    return "art-" + "-".join(str(n) for n in (article, paragraph, item) if n)


def clause_url(
    slug: str, article: int, paragraph: int | None = None, item: int | None = None
) -> str:
    """The version in force by its label, so the link keeps pointing at the wording that
    applied when the page was shown; the document page if nothing is in force."""
    ref = next((r for r in current_version_refs() if r.slug == slug), None)
    if ref is None:
        base = reverse("terms:document", args=[slug])
    else:
        base = reverse("terms:version", args=[slug, ref.label])
    return f"{base}#{clause_anchor(article, paragraph, item)}"


@register.simple_tag
def article_link(
    slug: str,
    article: int,
    paragraph: int | None = None,
    item: int | None = None,
    text: str = "",
) -> SafeString:
    return format_html(
        '<a class="clause-link" href="{}">{}</a>',
        clause_url(slug, int(article), paragraph and int(paragraph), item and int(item)),
        text or clause_text(int(article), paragraph and int(paragraph), item and int(item)),
    )


@register.simple_tag
def article_url(
    slug: str, article: int, paragraph: int | None = None, item: int | None = None
) -> str:
    return clause_url(slug, int(article), paragraph and int(paragraph), item and int(item))


@register.filter
def zenkaku(value: object) -> str:
    """Full-width digits, as the provider writes paragraph numbers (１．)."""
    return str(value).translate(_ZENKAKU)
