"""`manage.py check` fails on a notice kind without its e-mail templates in both languages:
notice_create would fail inside the event's transaction (and roll it back), so a deployment
with a missing template must not start."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

PARTS = ("subject.txt", "txt", "html")


def missing_templates() -> list[str]:
    from .models import Notice

    missing = []
    for kind in Notice.Kind.values:
        for language in Notice.Language.values:
            for part in PARTS:
                name = f"emails/{kind}.{language}.{part}"
                try:
                    get_template(name)
                except TemplateDoesNotExist:
                    missing.append(name)
    return missing


@checks.register(checks.Tags.templates)
def check_notice_templates(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    # Every Notice.Kind is sent by some feature, so every one must render in ja and en.
    missing = missing_templates()
    if not missing:
        return []
    return [
        checks.Error(
            f"{len(missing)} notice e-mail templates are missing: {', '.join(missing)}",
            hint="Every Notice.Kind that is sent needs subject.txt, txt and html in ja and en.",
            id="notices.E001",
        )
    ]
