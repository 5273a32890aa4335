"""Writes a parsed text's articles, paragraphs, items and annex under a draft version.

Takes the model classes as arguments so that the seed data migration (historical models) and
``terms.services.terms_import`` (real models) store a text in exactly the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

from .parsing import ParsedTerms


def write_structure(*, version: Any, parsed: ParsedTerms, models: dict[str, Any]) -> None:
    """Bulk-inserts the structure: four or five queries for the 20 articles of the seed."""
    Article, Paragraph, Item = models["Article"], models["Paragraph"], models["Item"]
    Annex, AnnexEntry = models["Annex"], models["AnnexEntry"]
    articles = Article.objects.bulk_create(
        [
            Article(version=version, number=a.number, title=a.title, body=a.body, order=position)
            for position, a in enumerate(parsed.articles, start=1)
        ]
    )
    paragraphs = []
    parsed_paragraphs = []
    for article, parsed_article in zip(articles, parsed.articles, strict=True):
        for p in parsed_article.paragraphs:
            paragraphs.append(
                Paragraph(article=article, number=p.number, text=p.text, numbered=p.numbered)
            )
            parsed_paragraphs.append(p)
    paragraphs = Paragraph.objects.bulk_create(paragraphs)
    Item.objects.bulk_create(
        [
            Item(paragraph=paragraph, number=i.number, text=i.text)
            for paragraph, p in zip(paragraphs, parsed_paragraphs, strict=True)
            for i in p.items
        ]
    )
    if parsed.annex is not None:
        annex = Annex.objects.create(
            version=version,
            title=parsed.annex.title,
            intro=parsed.annex.intro,
            as_of=date.fromisoformat(parsed.annex.as_of) if parsed.annex.as_of else None,
        )
        AnnexEntry.objects.bulk_create(
            [AnnexEntry(annex=annex, number=e.number, text=e.text) for e in parsed.annex.entries]
        )
