"""Set-wise rendering of the lifecycle jobs' notices (notices_fill_many): each notice gets
exactly the text a notice rendered on its own gets, with the same escaping, whatever differs
from one customer to the next (the name, the link, a date, a list)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.template import Template

from accounts.clauses import Clause
from accounts.models import Customer
from contracts.models import Cancellation, ReturnItem, ServiceEnd, ServiceInterruption
from contracts.services.return_lists import return_list_context
from notices.models import Notice
from notices.services.rendering import _skeleton, notice_fill, notices_fill_many

T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _customers() -> list[Customer]:
    return [
        Customer(pk=1, name="株式会社エー建設 <&>", language="ja"),
        Customer(pk=2, name="B & Sons Construction", language="en"),
        Customer(pk=3, name="株式会社シー工務店", language="ja"),
    ]


def _contexts(kind: str, customers: list[Customer]) -> list[dict[str, Any]]:
    if kind == Notice.Kind.SERVICE_END:
        end = ServiceEnd(pk=5, scope="all", title="旧型 <終了>", note="a\nb", effective_at=T0)
        end.announced_at = T0 - timedelta(days=40)
        return [{"service_end": end, "reminder": True} for _c in customers]
    if kind == Notice.Kind.SERVICE_INTERRUPTION:
        outage = ServiceInterruption(
            pk=6, scope="customers", reason=Clause.ART8_1_2, title="停止 <x>", emergency=True
        )
        outage.starts_at, outage.ends_at = T0, T0 + timedelta(hours=2)
        return [{"interruption": outage} for _c in customers]
    if kind == Notice.Kind.INACTIVITY_CONTACT:
        return [
            {
                "last_use": T0 - timedelta(days=93, hours=c.pk),
                "reply_by": T0 + timedelta(days=30),
                "confirm_url": f"https://cts.example.jp/still-using/{c.pk}?a=1&b=<2>",
            }
            for c in customers
        ]
    contexts = []
    for c in customers:
        cancellation = Cancellation(
            pk=10 + c.pk,
            customer=c,
            side="customer",
            given_at=T0 - timedelta(days=20 + c.pk),
            effective_at=T0 + timedelta(days=c.pk, minutes=c.pk),
            rentals_ended=c.pk,
        )
        cancellation.video_data_deleted_at = T0
        items = [
            ReturnItem(kind="unit", action="return", description=f"NC-{c.pk} <#{c.pk}>"),
            ReturnItem(kind="manual", action="return_or_destroy", description="manuals"),
        ]
        contexts.append(
            {
                "cancellation": cancellation,
                **return_list_context(items[: c.pk - 1], c.language or "ja"),
            }
        )
    return contexts


@pytest.mark.parametrize(
    "kind",
    [
        Notice.Kind.SERVICE_END,
        Notice.Kind.SERVICE_INTERRUPTION,
        Notice.Kind.INACTIVITY_CONTACT,
        Notice.Kind.CANCELLATION_REMINDER,
        Notice.Kind.CANCELLATION_APPLIED,
    ],
)
def test_each_notice_of_a_batch_reads_as_if_rendered_alone(kind: str) -> None:
    customers = _customers()
    clause = Clause.ART8_1_2 if kind == Notice.Kind.SERVICE_INTERRUPTION else Clause.ART12_3
    rows = []
    for customer, context in zip(customers, _contexts(kind, customers), strict=True):
        notice = Notice(
            pk=100 + customer.pk,
            customer=customer,
            kind=kind,
            clause=clause,
            language=customer.language,
            recipients=["x@example.jp"] if customer.pk != 3 else [],
        )
        rows.append((notice, customer, context))
    alone = []
    for notice, customer, context in rows:
        single = copy.copy(notice)
        notice_fill(single, customer=customer, context=context)
        alone.append(single)

    notices_fill_many(rows)

    for (batched, _customer, _context), single in zip(rows, alone, strict=True):
        assert batched.mail_subject == single.mail_subject
        assert batched.body_text == single.body_text
        assert batched.body_html == single.body_html
        assert batched.content_sha256 == single.content_sha256
        assert (batched.state, batched.last_error) == (single.state, single.last_error)
    first = rows[0][0]
    assert "株式会社エー建設 &lt;&amp;&gt; 御中" in first.body_html
    assert "株式会社エー建設 <&> 御中" in first.body_text
    # Each notice's own link (the cancellation's readers can no longer sign in: none there).
    assert ("/notices/101/" in first.body_text) == (kind != Notice.Kind.CANCELLATION_APPLIED)
    assert rows[2][0].state == Notice.State.FAILED


def test_a_per_notice_value_inside_a_filter_tag_is_rendered_in_full() -> None:
    # {% filter upper %} changes its children's text: a hole filled afterwards would escape
    # it, so the shared render gives up and the template is rendered per notice.
    template = Template("{% filter upper %}{{ customer.name }}{% endfilter %} / {{ shared }}")
    per_notice = frozenset({"customer"})
    assert _skeleton(template, {"shared": "s"}, per_notice, autoescape=False) is None
    plain = Template("{% if shared %}{{ customer.name|upper }}{% endif %} / {{ shared }}")
    skeleton = _skeleton(plain, {"shared": "s"}, per_notice, autoescape=False)
    assert skeleton is not None
    assert skeleton.fill({"customer": Customer(name="abc")}, {}) == "ABC / s"
