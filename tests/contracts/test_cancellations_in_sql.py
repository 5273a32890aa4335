"""Applying the cancellations due is one statement on PostgreSQL (and runs in Python, a chunk
at a time, elsewhere), and so is the end of the rentals it sets in motion (``end_set``):
both paths leave the database exactly alike, row for row, from the same day: rentals ended
or declined, their deletion records and video records, the company closed and its suspension lifted,
the return checklist and its items (units held, materials provided), the members' sessions,
tokens and logins, the notices word for word and the audit entries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import transaction
from knox.models import AuthToken

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
from contracts.models import (
    Cancellation,
    Rental,
    ReturnChecklist,
    ReturnItem,
    Suspension,
    VideoDeletionRecord,
    VideoRecord,
)
from contracts.services import cancellations, jobs, standing
from notices.models import Notice
from tests.contracts.rental_helpers import make_active, make_request
from tests.factories import CustomerFactory, make_owner, make_video_record, sign_in

pytestmark = pytest.mark.django_db


def _notice_text(text: str) -> str:
    # Each run's notices have ids of their own (the sequence is not rolled back).
    return re.sub(r"/notices/\d+/", "/notices/N/", text)


def _state() -> dict[str, Any]:
    notices = list(Notice.objects.filter(kind=Notice.Kind.CANCELLATION_APPLIED).order_by("pk"))
    assert all(n.content_matches_digest() for n in notices)
    items = ReturnItem.objects.select_related("checklist").order_by("pk")
    return {
        "cancellations": list(
            Cancellation.objects.order_by("pk").values_list(
                "pk", "state", "applied_at", "video_data_deleted_at", "rentals_ended"
            )
        ),
        "customers": list(
            Customer.objects.order_by("pk").values_list(
                "pk", "status", "status_changed_at", "updated_at", "inactivity_contacted_at"
            )
        ),
        "suspensions": list(
            Suspension.objects.order_by("pk").values_list("pk", "lifted_at", "lift_note")
        ),
        "rentals": list(
            Rental.objects.order_by("pk").values_list(
                "pk",
                "state",
                "ended_at",
                "end_clause",
                "end_reason",
                "decided_at",
                "decided_by",
                "rejection_reason",
                "updated_at",
            )
        ),
        "video_records": list(
            VideoRecord.objects.order_by("pk").values_list("pk", "state", "state_changed_at")
        ),
        "deletions": sorted(
            VideoDeletionRecord.objects.values_list(
                "customer_id",
                "rental_id",
                "unit_id",
                "storage",
                "deleted_at",
                "clause",
                "actor",
                "actor_label",
            )
        ),
        "checklists": list(
            ReturnChecklist.objects.order_by("customer_id", "opened_at").values_list(
                "customer_id", "reason", "opened_at", "closed_at"
            )
        ),
        "items": [
            (i.checklist.customer_id, i.kind, i.action, i.description, i.unit_ref, i.done_at)
            for i in items
        ],
        "users": list(User.objects.order_by("pk").values_list("pk", "is_active")),
        "sessions": (
            Session.objects.count(),
            UserSession.objects.count(),
            AuthToken.objects.count(),
        ),
        "notices": [
            (
                n.customer_id,
                n.subject_id,
                n.clause,
                n.language,
                n.recipients,
                n.state,
                n.mail_subject,
                _notice_text(n.body_text),
                _notice_text(n.body_html),
            )
            for n in notices
        ],
        "audit": sorted(
            AuditEntry.objects.values_list(
                "action",
                "customer_id",
                "target_type",
                "target_id",
                "target_repr",
                "clause",
                "actor_label",
                "extra",
            ),
            key=repr,
        ),
    }


def test_applying_cancellations_in_sql_leaves_what_the_python_path_leaves(
    customer_a: Customer,
    alice: User,
    bob: User,
    customer_b: Customer,
    charlie: User,
    staff: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A: Japanese, suspended before giving notice, a rental with its unit, two members
    # signed in and an API token. B: English, a name to escape, a rental, an open checklist
    # without items. C: a checklist already filled (left as it is: no list in its notice).
    # D: nothing due (a cancellation further ahead).
    customer_b.name = "B & Sons <Construction>"
    customer_b.language = "en"
    customer_b.save()
    # A's rental has cloud recordings (marked deleted) and one kept on an SD card (not); B
    # also has a request not yet decided (declined).
    rental_a = make_active(customer_a, alice, staff)
    make_video_record(rental_a)
    make_video_record(rental_a, storage="sd_card")
    make_active(customer_b, charlie, staff)
    make_request(customer_b, charlie)
    standing.customer_suspend(customer=customer_a, actor=staff, ground=Clause.ART12_1_1, note="x")
    sign_in("alice@a.example.jp")
    sign_in("bob@a.example.jp")
    sign_in("charlie@b.example.jp")
    AuthToken.objects.create(user=alice)
    customer_c = CustomerFactory(name="シー工務店")
    carol = make_owner(email="carol@c.example.jp", customer=customer_c)
    customer_d = CustomerFactory(name="ディー建設")
    dave = make_owner(email="dave@d.example.jp", customer=customer_d)
    ReturnChecklist.objects.create(customer=customer_b, reason=ReturnChecklist.Reason.REVOCATION)
    filled = ReturnChecklist.objects.create(
        customer=customer_c, reason=ReturnChecklist.Reason.REVOCATION
    )
    ReturnItem.objects.create(
        checklist=filled, kind="manual", action="return_or_destroy", description="manuals"
    )
    given = [
        cancellations.cancellation_give(customer=c, actor=u)
        for c, u in ((customer_a, alice), (customer_b, charlie), (customer_c, carol))
    ]
    later = cancellations.cancellation_give(
        customer=customer_d,
        actor=dave,
        effective_at=given[0].effective_at + timedelta(days=3),
    )
    day = max(c.effective_at for c in given) + timedelta(minutes=1)
    assert later.effective_at > day

    outcomes = {}
    for in_sql in (True, False):
        monkeypatch.setattr(jobs, "in_sql", lambda in_sql=in_sql: in_sql)
        with transaction.atomic(), time_machine.travel(day, tick=False):
            done = cancellations.cancellations_apply_due()
            outcomes[in_sql] = (done, _state())
            transaction.set_rollback(True)
    (sql_done, by_sql), (python_done, by_python) = outcomes[True], outcomes[False]
    assert sql_done == python_done == jobs.JobResult(3, 3)
    for part in by_python:
        assert by_sql[part] == by_python[part], part
    # What the two agree on is what the terms ask for.
    notices = {n[0]: n for n in by_sql["notices"]}
    assert "レンタル機材: " in notices[customer_a.pk][7]
    assert "終了したレンタル契約: 1件" in notices[customer_a.pk][7]
    assert "Rented unit: " in notices[customer_b.pk][7]
    assert "B &amp; Sons &lt;Construction&gt;" in notices[customer_b.pk][8]
    assert "To return or destroy" in notices[customer_b.pk][8]
    assert "返還・廃棄" not in notices[customer_c.pk][7]
    assert by_sql["sessions"] == (0, 0, 0)
    assert sorted(c for c, *_rest in by_sql["items"]) == sorted(
        [customer_a.pk] * 3 + [customer_b.pk] * 3 + [customer_c.pk]
    )
    assert any(s[1] is not None and s[2] == "Ended by cancellation." for s in by_sql["suspensions"])
