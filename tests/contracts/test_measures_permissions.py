"""Only the staff entitled to them take the provider's heavy measures (Art. 8, 12): suspending
and lifting, revoking, the provider's notice of cancellation and its withdrawal, announcing
a service end, scheduling an interruption and recording returns. Staff without the measure's
permission are refused by the service (nothing changes: no row, no audit entry, no notice)
and by the admin (the action is not offered, its POST is not run, the add page answers
403); staff of the "measures" group, and superusers, take them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, User
from contracts.models import (
    MEASURES_GROUP,
    Cancellation,
    Measure,
    ReturnChecklist,
    ReturnItem,
    Revocation,
    ServiceEnd,
    ServiceInterruption,
    Suspension,
)
from contracts.services import cancellations, returns, service_events, standing
from notices.models import Notice
from tests.contracts.conftest import interruption_form, login
from tests.factories import CustomerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Customer.Status
STANDING = "/admin/contracts/customerstanding/"
QUEUE = "/admin/contracts/revocationqueueentry/"
CHECKLISTS = "/admin/contracts/returnchecklist/"
INTERRUPTIONS = "/admin/contracts/serviceinterruption/"
SERVICE_ENDS = "/admin/contracts/serviceend/"


@pytest.fixture
def officer(db: None) -> User:
    """Provider staff of the "measures" group (not a superuser)."""
    user = StaffFactory(email="officer@cts.example.jp")
    user.groups.add(Group.objects.get(name=MEASURES_GROUP))
    return user


@pytest.fixture
def clerk(db: None) -> User:
    """Provider staff outside the group: may look, may not take a measure."""
    return StaffFactory(email="clerk@cts.example.jp")


def grant(user: User, *codenames: str) -> User:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="contracts", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)  # a fresh instance: has_perm caches what it read


def snapshot(customer: Customer) -> dict[str, Any]:
    """Everything a measure writes."""
    customer.refresh_from_db()
    return {
        "customer": (
            customer.status,
            customer.status_changed_at,
            customer.cancellation_effective_at,
        ),
        "suspensions": list(Suspension.objects.order_by("pk").values_list("pk", "lifted_at")),
        "revocations": Revocation.objects.count(),
        "cancellations": list(Cancellation.objects.order_by("pk").values_list("pk", "state")),
        "service_ends": ServiceEnd.objects.count(),
        "interruptions": ServiceInterruption.objects.count(),
        "returns_done": ReturnItem.objects.filter(done_at__isnull=False).count(),
        "audit": AuditEntry.objects.count(),
        "notices": Notice.objects.count(),
    }


# --- the services -----------------------------------------------------------------------------
# Each measure: what a superuser sets up first, how it is taken, the audit entry it leaves,
# and the refusal's words (Japanese).

Run = Callable[[User, Customer], object]


def _suspended(staff: User, customer: Customer) -> None:
    standing.customer_suspend(customer=customer, actor=staff, ground=Clause.ART12_1_6, note="x")


def _given(staff: User, customer: Customer) -> None:
    cancellations.cancellation_give(customer=customer, actor=staff, note="契約整理")


def _revoked(staff: User, customer: Customer) -> None:
    standing.customer_revoke(customer=customer, actor=staff, ground=Clause.ART12_1_2, note="x")


def _nothing(staff: User, customer: Customer) -> None:
    return None


MEASURES: dict[str, tuple[Callable[[User, Customer], None], Run, str, str]] = {
    "suspend": (
        _nothing,
        lambda actor, c: standing.customer_suspend(
            customer=c, actor=actor, ground=Clause.ART12_1_6, note="未払い"
        ),
        "contracts.customer.suspended",
        "お客様の利用停止とその解除は、その権限を持つ当社担当者のみが行えます（第12条第1項）。",
    ),
    "lift": (
        _suspended,
        lambda actor, c: standing.customer_unsuspend(customer=c, actor=actor, note="入金確認"),
        "contracts.customer.unsuspended",
        "お客様の利用停止とその解除は、その権限を持つ当社担当者のみが行えます（第12条第1項）。",
    ),
    "revoke": (
        _nothing,
        lambda actor, c: standing.customer_revoke(
            customer=c, actor=actor, ground=Clause.ART12_1_2, note="虚偽の申告"
        ),
        "contracts.customer.revoked",
        "お客様の登録の取消しは、その権限を持つ当社担当者のみが行えます（第12条第1項）。",
    ),
    "give notice": (
        _nothing,
        lambda actor, c: cancellations.cancellation_give(customer=c, actor=actor, note="契約整理"),
        "contracts.cancellation.given",
        "当社からの登録取消の通知とその撤回は、その権限を持つ当社担当者のみが行えます"
        "（第12条第3項）。",
    ),
    "withdraw notice": (
        _given,
        lambda actor, c: cancellations.cancellation_withdraw(
            cancellation=Cancellation.objects.get(customer=c), actor=actor
        ),
        "contracts.cancellation.withdrawn",
        "当社からの登録取消の通知とその撤回は、その権限を持つ当社担当者のみが行えます"
        "（第12条第3項）。",
    ),
    "announce a service end": (
        _nothing,
        lambda actor, c: service_events.service_end_announce(
            actor=actor,
            scope=ServiceEnd.Scope.ALL,
            title="サービス終了",
            effective_at=timezone.now() + timedelta(days=40),
        ),
        "contracts.service_end.announced",
        "サービス提供終了の告知は、その権限を持つ当社担当者のみが行えます（第8条第2項）。",
    ),
    "schedule an interruption": (
        _nothing,
        lambda actor, c: service_events.interruption_schedule(
            actor=actor,
            scope=ServiceInterruption.Scope.ALL,
            reason=Clause.ART8_1_1,
            title="定期保守",
            starts_at=timezone.now() + timedelta(days=3),
            ends_at=timezone.now() + timedelta(days=3, hours=2),
        ),
        "contracts.interruption.scheduled",
        "サービス停止の予定登録は、その権限を持つ当社担当者のみが行えます（第8条第1項）。",
    ),
    "record returns": (
        _revoked,
        lambda actor, c: returns.return_checklist_materials_done(
            checklist=ReturnChecklist.objects.get(customer=c), actor=actor, note="廃棄証明書"
        ),
        "contracts.return_checklist.materials_done",
        "ソフトウェア・マニュアルの返還または廃棄の記録は、その権限を持つ当社担当者のみが"
        "行えます（第12条第5項）。",
    ),
}


@pytest.mark.parametrize("name", MEASURES)
def test_staff_without_the_permission_are_refused_and_nothing_changes(
    name: str, customer_a: Customer, alice: User, staff: User, clerk: User
) -> None:
    prepare, run, _action, refusal = MEASURES[name]
    prepare(staff, customer_a)
    before = snapshot(customer_a)
    with translation.override("ja"), pytest.raises(PermissionDenied) as refused:
        run(clerk, customer_a)
    assert str(refused.value) == refusal
    assert snapshot(customer_a) == before


@pytest.mark.parametrize("name", MEASURES)
def test_staff_of_the_measures_group_take_the_measure(
    name: str, customer_a: Customer, alice: User, staff: User, officer: User
) -> None:
    prepare, run, action, _refusal = MEASURES[name]
    prepare(staff, customer_a)
    run(officer, customer_a)
    assert AuditEntry.objects.filter(action=action, actor=officer).count() == 1


def test_a_superuser_outside_the_group_takes_every_measure(staff: User) -> None:
    assert staff.is_superuser and not staff.groups.exists()
    for prepare, run, action, _refusal in MEASURES.values():
        customer = CustomerFactory()
        prepare(staff, customer)
        run(staff, customer)
        assert AuditEntry.objects.filter(action=action, actor=staff).exists()


def test_each_permission_allows_its_own_measure_and_no_other(
    customer_a: Customer, alice: User, clerk: User
) -> None:
    suspender = grant(clerk, Measure.SUSPEND.codename)
    standing.customer_suspend(
        customer=customer_a, actor=suspender, ground=Clause.ART12_1_6, note="x"
    )
    with pytest.raises(PermissionDenied):
        standing.customer_revoke(
            customer=customer_a, actor=suspender, ground=Clause.ART12_1_6, note="x"
        )
    with pytest.raises(PermissionDenied):
        cancellations.cancellation_give(customer=customer_a, actor=suspender)
    customer_a.refresh_from_db()
    assert customer_a.status == S.SUSPENDED
    assert not Revocation.objects.exists() and not Cancellation.objects.exists()


def test_the_permission_without_being_staff_is_not_enough(customer_a: Customer) -> None:
    former = grant(UserFactory(email="former@cts.example.jp"), "suspend_customer")
    with pytest.raises(PermissionDenied):
        standing.customer_suspend(
            customer=customer_a, actor=former, ground=Clause.ART12_1_6, note="x"
        )
    assert not Suspension.objects.exists()


def test_the_group_holds_the_measures_and_the_screens_they_are_taken_on() -> None:
    group = Group.objects.get(name=MEASURES_GROUP)
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        ("contracts", measure.codename) for measure in Measure
    } | {
        ("contracts", "view_returnchecklist"),
        ("contracts", "view_serviceend"),
        ("contracts", "view_serviceinterruption"),
    }


def test_the_demo_staff_may_take_every_measure() -> None:
    call_command("seed_demo", stdout=StringIO())
    reviewer = User.objects.get(email="reviewer@cts.example.jp")
    assert not reviewer.is_superuser
    assert all(reviewer.has_perm(measure) for measure in Measure)


# --- the admin --------------------------------------------------------------------------------


def act(client: Client, url: str, action: str, pks: list[int], **data: str) -> Any:
    payload = {"action": action, ACTION_CHECKBOX_NAME: pks, **data}
    return client.post(url, payload, follow=True)


def _on_the_queue(customer: Customer) -> None:
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(
        last_activity_at=now - timedelta(days=200),
        inactivity_contacted_at=now - timedelta(days=40),
        inactivity_escalated_at=now - timedelta(days=10),
    )


STANDING_ACTIONS = (
    "suspend",
    "unsuspend",
    "revoke",
    "cancel_for_provider",
    "withdraw_provider_cancellation",
)


def _offered(body: str, action: str) -> bool:
    return f'<option value="{action}">' in body


def test_the_measures_are_not_offered_to_staff_without_the_permission(
    customer_a: Customer, clerk: User, officer: User
) -> None:
    _on_the_queue(customer_a)
    for url, offered in ((STANDING, STANDING_ACTIONS), (QUEUE, ("suspend", "revoke"))):
        body = login(clerk).get(url).content.decode()
        assert customer_a.name in body  # every member of staff may look
        assert not any(_offered(body, action) for action in offered), url
        body = login(officer).get(url).content.decode()
        assert all(_offered(body, action) for action in offered), url


def test_staff_see_only_the_measures_they_hold(customer_a: Customer, clerk: User) -> None:
    body = login(grant(clerk, "suspend_customer")).get(STANDING).content.decode()
    assert _offered(body, "suspend") and _offered(body, "unsuspend")
    assert not _offered(body, "revoke") and not _offered(body, "cancel_for_provider")


# action → (set up by a superuser, the confirmed form's fields, another measure's permission)
POSTED: dict[str, tuple[Callable[[User, Customer], None], dict[str, str], str]] = {
    "suspend": (_nothing, {"ground": "art12.1.6", "note": "未払い"}, "revoke_registration"),
    "unsuspend": (_suspended, {"note": "入金確認"}, "revoke_registration"),
    "revoke": (_nothing, {"ground": "art12.1.2", "note": "虚偽"}, "suspend_customer"),
    "cancel_for_provider": (_nothing, {"note": "契約整理"}, "suspend_customer"),
    "withdraw_provider_cancellation": (_given, {"note": "撤回"}, "suspend_customer"),
}


@pytest.mark.parametrize(
    ("url", "action"),
    [(STANDING, action) for action in POSTED] + [(QUEUE, "suspend"), (QUEUE, "revoke")],
)
def test_a_posted_measure_is_not_run_for_staff_without_the_permission(
    url: str, action: str, customer_a: Customer, alice: User, staff: User, clerk: User
) -> None:
    """Posted as the confirmed intermediate page would post it, by staff who hold no
    measure, then by staff who hold another one (so the list of actions is not empty)."""
    _on_the_queue(customer_a)
    prepare, fields, other = POSTED[action]
    prepare(staff, customer_a)
    clients = [login(clerk), login(grant(clerk, other))]
    before = snapshot(customer_a)
    for client in clients:
        response = act(client, url, action, [customer_a.pk], confirm="1", **fields)
        assert response.status_code == 200
        assert snapshot(customer_a) == before


def test_staff_of_the_group_take_each_measure_in_the_admin(
    customer_a: Customer, alice: User, customer_b: Customer, charlie: User, officer: User
) -> None:
    client = login(officer)
    act(client, STANDING, "suspend", [customer_a.pk], confirm="1", ground="art12.1.6", note="x")
    act(client, STANDING, "unsuspend", [customer_a.pk], confirm="1", note="入金確認")
    act(client, STANDING, "cancel_for_provider", [customer_b.pk], confirm="1", note="整理")
    act(
        client,
        STANDING,
        "withdraw_provider_cancellation",
        [customer_b.pk],
        confirm="1",
        note="撤回",
    )
    act(client, STANDING, "revoke", [customer_a.pk], confirm="1", ground="art12.1.2", note="x")
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    act(client, CHECKLISTS, "materials_done", [checklist.pk], apply="1", note="廃棄証明書")
    customer_a.refresh_from_db()
    customer_b.refresh_from_db()
    assert (customer_a.status, customer_b.status) == (S.REVOKED, S.ACTIVE)
    assert set(AuditEntry.objects.filter(actor=officer).values_list("action", flat=True)) >= {
        "contracts.customer.suspended",
        "contracts.customer.unsuspended",
        "contracts.cancellation.given",
        "contracts.cancellation.withdrawn",
        "contracts.customer.revoked",
        "contracts.return_checklist.materials_done",
    }


def test_recording_returns_is_not_offered_nor_run_without_the_permission(
    customer_a: Customer, alice: User, staff: User, clerk: User, officer: User
) -> None:
    _revoked(staff, customer_a)
    checklist = ReturnChecklist.objects.get(customer=customer_a)
    viewer = grant(clerk, "view_returnchecklist")  # may open the screen, not take the measure
    client = login(viewer)
    body = client.get(CHECKLISTS).content.decode()
    assert customer_a.name in body and not _offered(body, "materials_done")
    before = snapshot(customer_a)
    response = act(client, CHECKLISTS, "materials_done", [checklist.pk], apply="1", note="x")
    assert response.status_code == 200
    assert snapshot(customer_a) == before
    assert _offered(login(officer).get(CHECKLISTS).content.decode(), "materials_done")


def _service_end_form() -> dict[str, str]:
    later = timezone.localtime(timezone.now() + timedelta(days=40))
    return {
        "title": "サービス終了",
        "scope": "all",
        "category": "",
        "effective_at_0": later.strftime("%Y-%m-%d"),
        "effective_at_1": "00:00:00",
        "note": "",
        "confirm": "on",
    }


SCREENS = {
    INTERRUPTIONS: ("serviceinterruption", interruption_form, ServiceInterruption),
    SERVICE_ENDS: ("serviceend", _service_end_form, ServiceEnd),
}


@pytest.mark.parametrize("url", SCREENS)
def test_the_add_button_and_page_are_refused_without_the_permission(
    url: str, customer_a: Customer, alice: User, clerk: User
) -> None:
    """Django's own "add" permission is not enough: adding one is the measure itself."""
    model_name, form, model = SCREENS[url]
    viewer = grant(clerk, f"view_{model_name}", f"add_{model_name}")
    client = login(viewer)
    page = client.get(url)
    assert page.status_code == 200  # the screen opens, without its button
    body = page.content.decode()
    assert f'href="{url}add/"' not in body
    assert client.get(f"{url}add/").status_code == 403
    before = snapshot(customer_a)
    assert client.post(f"{url}add/", form()).status_code == 403
    assert snapshot(customer_a) == before
    assert not model.objects.exists()


@pytest.mark.parametrize("url", SCREENS)
def test_staff_of_the_group_add_them(
    url: str, customer_a: Customer, alice: User, officer: User
) -> None:
    _model_name, form, model = SCREENS[url]
    client = login(officer)
    assert f'href="{url}add/"' in client.get(url).content.decode()
    response = client.post(f"{url}add/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert model.objects.get().pk
    assert Notice.objects.filter(customer=customer_a).count() == 1


def test_a_reviewer_refused_a_measure_is_not_told_it_is_reserved_to_reviewers(
    reviewer: User,
) -> None:
    """The staff 403 page said decisions on customers "are reserved to reviewers" to every
    staff member refused anything, a reviewer refused the interruptions screen included; it
    now only says the permission is missing and who grants it."""
    client = login(reviewer)
    page = client.get(f"{INTERRUPTIONS}add/")
    assert page.status_code == 403
    body = page.content.decode()
    assert "スタッフアカウントにこの操作の権限がありません。" in body
    assert "審査担当者" not in body


def test_a_group_and_a_periodic_task_are_named_not_given_a_persons_name(
    staff: User, alice_client: Client
) -> None:
    """The measures are granted in Admin → Groups, but the group's name was labelled 氏名 (a
    person's full name), as was a periodic task's: the portal's own "name" of a person
    translated every other app's "name" too. People keep 氏名; the rest read 名前."""
    client = login(staff)
    group = Group.objects.get(name=MEASURES_GROUP)
    page = client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    assert "名前:" in page and "氏名" not in page
    page = client.get("/admin/django_celery_beat/periodictask/add/").content.decode()
    assert "名前:" in page and "氏名" not in page
    page = client.get("/admin/accounts/user/").content.decode()
    assert "氏名" in page
    assert "<th>氏名</th>" in alice_client.get("/dashboard/").content.decode()
