"""Fixtures of the notices tests. The notices app owns no kind of its own, so its tests
render a test-only set of templates (tests/notices/templates) that take priority over the
project's, and do not depend on another feature's wording."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

TEST_TEMPLATES = Path(__file__).parent / "templates"
KIND = "service_interruption"


@pytest.fixture(autouse=True)
def _notice_test_templates() -> Iterator[None]:
    templates: list[dict[str, Any]] = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [TEST_TEMPLATES, *templates[0]["DIRS"]]
    with override_settings(TEMPLATES=templates):
        yield


def make_notice(customer: Any, *, period: str = "p1", **kwargs: Any) -> Any:
    """A notice of the test kind, created through the service."""
    from notices.services import notice_create

    kwargs.setdefault("clause", "art8.1")
    kwargs.setdefault("context", {"window_label": f"window {period}"})
    return notice_create(customer=customer, kind=KIND, period=period, **kwargs)
