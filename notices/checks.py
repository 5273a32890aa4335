"""`manage.py check` reports a notice kind without its e-mail templates in both
languages: notice_create would fail inside the event's transaction (and roll it back)."""

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
    # A kind with no template at all is one no feature sends yet; listing its six files on
    # every start-up (`make run`, the worker) only buried real output, so it is not reported.
    # A kind with some of its templates but not all is a mistake in a feature that sends it.
    missing = set(missing_templates())
    messages: list[checks.CheckMessage] = []
    for kind in _kinds():
        names = {f"emails/{kind}.{lang}.{part}" for lang in _languages() for part in PARTS}
        absent = names & missing
        if absent and absent != names:
            messages.append(
                checks.Warning(
                    f"notice kind {kind!r} lacks {len(absent)} of its e-mail templates: "
                    + ", ".join(sorted(absent)),
                    hint="A kind that is sent needs subject.txt, txt and html in ja and en.",
                    id="notices.W001",
                )
            )
    return messages


def _kinds() -> list[str]:
    from .models import Notice

    return list(Notice.Kind.values)


def _languages() -> list[str]:
    from .models import Notice

    return list(Notice.Language.values)
