"""Ships the provider's documents and the 2023-04-01 terms of use, published, so that a
fresh `migrate` serves them (issue 4). The text is parsed by terms.parsing, the same code
the import_terms command uses, so the stored hash is the one the command would store."""

from datetime import date
from pathlib import Path

from django.db import migrations
from django.utils import timezone

SEED = Path(__file__).resolve().parent.parent / "data" / "terms-of-use-2023-04-01.ja.txt"

# Art. 1 and 18 name three documents; the terms of use prevail on a conflict (Art. 18).
DOCUMENTS = [
    ("terms-of-use", "ネットワークカメラ製品 ご利用規約", "Network Camera Products Terms of Use", 1),
    ("rental-basic-terms", "レンタル基本約款", "Rental Basic Terms", 2),
    ("subscription-clauses", "サブスクリプション契約条項", "Subscription Clauses", 3),
]


def forward(apps, schema_editor):
    from terms.parsing import parse_bytes
    from terms.structure import write_structure

    TermsDocument = apps.get_model("terms", "TermsDocument")
    TermsVersion = apps.get_model("terms", "TermsVersion")
    for slug, title_ja, title_en, precedence in DOCUMENTS:
        TermsDocument.objects.get_or_create(
            slug=slug,
            defaults={
                "title_ja": title_ja,
                "title_en": title_en,
                "precedence": precedence,
                "requires_acceptance": True,
            },
        )
    document = TermsDocument.objects.get(slug="terms-of-use")
    if TermsVersion.objects.filter(document=document, label="2023-04-01").exists():
        return
    parsed = parse_bytes(SEED.read_bytes())
    version = TermsVersion.objects.create(
        document=document,
        label="2023-04-01",
        title=parsed.title,
        preamble=parsed.preamble,
        enacted=date(2020, 10, 1),
        effective=date(2023, 4, 1),
        normalized_text=parsed.normalized_text,
        sha256=parsed.sha256,
        change_summary="",
        published=False,
    )
    write_structure(
        version=version,
        parsed=parsed,
        models={
            name: apps.get_model("terms", name)
            for name in ("Article", "Paragraph", "Item", "Annex", "AnnexEntry")
        },
    )
    TermsVersion.objects.filter(pk=version.pk).update(published=True, published_at=timezone.now())


def backward(apps, schema_editor):
    TermsVersion = apps.get_model("terms", "TermsVersion")
    Acceptance = apps.get_model("terms", "Acceptance")
    TermsDocument = apps.get_model("terms", "TermsDocument")
    versions = TermsVersion.objects.filter(document__slug="terms-of-use", label="2023-04-01")
    Acceptance.objects.filter(version__in=versions).delete()
    versions.delete()
    TermsDocument.objects.filter(versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("terms", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
