"""Staff edits in the admin go through the services and leave audit records: company details
are corrected (audited with old and new values), the status and the role are read-only and
change only through workflows (ownership by an action with a note), and a login's flags are
changed by the audited user service (a deactivated login is signed out at once)."""

import pytest
from django.test import Client
from knox.models import AuthToken

from accounts.clauses import Clause
from accounts.models import AuditEntry, Customer, Membership, User
from tests.conftest import viewing_staff_client
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


def _change_form(client: Client, url: str) -> dict[str, str]:
    """The values the admin's change form would post back unchanged."""
    form = client.get(url).context["adminform"].form
    data: dict[str, str] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, field.initial)
        if isinstance(value, list | tuple):
            continue
        data[name] = "" if value is None else str(value)
    return data


def _inline_management(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(total),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _customer_post(client: Client, customer: Customer, **changes: str) -> None:
    url = f"/admin/accounts/customer/{customer.pk}/change/"
    data = _change_form(client, url)
    data.update(_inline_management("memberships", customer.memberships.count()))
    for i, membership in enumerate(customer.memberships.order_by("pk")):
        data[f"memberships-{i}-id"] = str(membership.pk)
        data[f"memberships-{i}-customer"] = str(customer.pk)
    data.update(_inline_management("audit_entries", 0))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_staff_correct_company_details_through_the_audited_service(
    staff_client: Client, staff: User, customer_a: Customer, alice: User
) -> None:
    old_name = customer_a.name
    _customer_post(
        staff_client, customer_a, name="株式会社エー建設ホールディングス", status="suspended"
    )
    customer_a.refresh_from_db()
    assert customer_a.name == "株式会社エー建設ホールディングス"
    # The status is read-only: a posted value changes nothing.
    assert customer_a.status == Customer.Status.ACTIVE
    entry = AuditEntry.objects.get(action="accounts.customer.updated")
    assert entry.actor == staff
    assert entry.customer == customer_a
    assert entry.extra["changes"] == {"name": [old_name, "株式会社エー建設ホールディングス"]}


def test_the_customer_admin_cannot_add_or_delete(
    staff_client: Client, customer_a: Customer
) -> None:
    assert staff_client.get("/admin/accounts/customer/add/").status_code == 403
    assert staff_client.get(f"/admin/accounts/customer/{customer_a.pk}/delete/").status_code == 403


def test_the_role_is_read_only_and_ownership_moves_by_an_action_with_a_note(
    staff_client: Client, staff: User, customer_a: Customer, alice: User, bob: User
) -> None:
    bob_membership = Membership.objects.get(user=bob)
    form = staff_client.get(f"/admin/accounts/membership/{bob_membership.pk}/change/")
    assert "role" not in form.context["adminform"].form.fields
    response = staff_client.post(
        "/admin/accounts/membership/",
        {
            "action": "make_owner",
            "_selected_action": [bob_membership.pk],
            "apply": "1",
            "note": "The owner left the company; the president asked by phone.",
        },
    )
    assert response.status_code == 302
    roles = dict(Membership.objects.filter(customer=customer_a).values_list("user__email", "role"))
    assert roles == {alice.email: "member", bob.email: "owner"}
    entry = AuditEntry.objects.get(action="accounts.customer.ownership_transferred")
    assert entry.actor == staff
    assert entry.clause == Clause.ART6_1
    assert entry.extra["by_staff"] is True
    assert "president" in entry.extra["note"]


def test_staff_who_may_only_view_memberships_cannot_hand_over_ownership(
    customer_a: Customer, alice: User, bob: User
) -> None:
    bob_membership = Membership.objects.get(user=bob)
    client = viewing_staff_client(Membership)
    changelist = "/admin/accounts/membership/"
    assert 'value="make_owner"' not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {
            "action": "make_owner",
            "_selected_action": [bob_membership.pk],
            "apply": "1",
            "note": "x",
        },
    )
    roles = dict(Membership.objects.filter(customer=customer_a).values_list("user__email", "role"))
    assert roles == {alice.email: "owner", bob.email: "member"}


def test_making_the_owner_the_owner_again_is_refused_and_reported(
    staff_client: Client, customer_a: Customer, alice: User
) -> None:
    alice_membership = Membership.objects.get(user=alice)
    response = staff_client.post(
        "/admin/accounts/membership/",
        {
            "action": "make_owner",
            "_selected_action": [alice_membership.pk],
            "apply": "1",
            "note": "",
        },
        follow=True,
        headers={"Accept-Language": "en"},
    )
    assert "already the owner" in response.content.decode()
    assert not AuditEntry.objects.filter(action="accounts.customer.ownership_transferred").exists()


def test_deactivating_a_login_is_audited_and_signs_it_out_everywhere(
    staff_client: Client, staff: User, customer_a: Customer, bob: User
) -> None:
    bob_client = sign_in(bob.email)
    AuthToken.objects.create(user=bob)
    url = f"/admin/accounts/user/{bob.pk}/change/"
    data = _change_form(staff_client, url)
    data.pop("is_active", None)  # an unticked box is not posted
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bob.refresh_from_db()
    assert not bob.is_active
    assert not AuthToken.objects.filter(user=bob).exists()
    assert bob_client.get("/dashboard/").status_code == 302
    entry = AuditEntry.objects.get(action="accounts.user.updated")
    assert entry.actor == staff
    assert entry.customer == customer_a
    assert entry.clause == Clause.ART6_1
    assert entry.extra["changes"] == {"is_active": [True, False]}
    assert entry.extra["tokens_revoked"] == 1


def test_making_a_login_staff_is_audited(staff_client: Client, staff: User, bob: User) -> None:
    url = f"/admin/accounts/user/{bob.pk}/change/"
    data = _change_form(staff_client, url)
    data["is_staff"] = "on"
    staff_client.post(url, data)
    bob.refresh_from_db()
    assert bob.is_staff
    entry = AuditEntry.objects.get(action="accounts.user.updated")
    assert entry.extra["changes"] == {"is_staff": [False, True]}


def test_a_customer_cannot_reach_the_admin(alice_client: Client, customer_b: Customer) -> None:
    # Cross-tenant and cross-role: a customer's owner sees no company in the admin.
    response = alice_client.get(f"/admin/accounts/customer/{customer_b.pk}/change/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_signed_in_sessions_screen_searches_by_email(staff_client: Client, alice: User) -> None:
    """allauth's screen searched ``user__username``, which this user model lacks: a 500."""
    from allauth.usersessions.models import UserSession

    UserSession.objects.create(
        user=alice, ip="192.0.2.7", session_key="qa2-search", user_agent="pytest"
    )
    for query in (alice.email, "山田", "192.0.2.7"):
        response = staff_client.get("/admin/usersessions/usersession/", {"q": query})
        assert response.status_code == 200, query
    found = staff_client.get("/admin/usersessions/usersession/", {"q": alice.email})
    assert "192.0.2.7" in found.content.decode()


def test_an_audit_entry_reads_in_japanese(staff_client: Client, alice: User) -> None:
    from accounts.audit import audit_record

    entry = audit_record(action="accounts.test.viewed", actor=alice, target=alice)
    body = staff_client.get(f"/admin/accounts/auditentry/{entry.pk}/change/").content.decode()
    assert "対象の種類" in body and "Target type" not in body


def test_the_memberships_are_labelled_in_japanese(
    staff_client: Client, customer_a: Customer, bob: User
) -> None:
    """The membership's person and company read "USER" / "User:" and "CUSTOMER" /
    "Customer:" on the Japanese memberships list and membership page."""
    membership = Membership.objects.get(user=bob)
    pages = {
        "/admin/accounts/membership/": ("ユーザー", "お客様"),
        f"/admin/accounts/membership/{membership.pk}/change/": ("ユーザー:", "お客様:"),
    }
    for url, labels in pages.items():
        body = staff_client.get(url, headers={"Accept-Language": "ja"}).content.decode()
        for label in labels:
            assert label in body, (url, label)
        assert ">User<" not in body and ">Customer<" not in body, url
        assert "User:" not in body and "Customer:" not in body, url


def test_the_company_page_lists_its_members_without_a_query_each(
    staff_client: Client, customer_a: Customer, alice: User, bob: User
) -> None:
    """Each member row names its membership by the person's e-mail: one query per member
    (an N+1, an error under the test suite's detector) before the inline joined them."""
    response = staff_client.get(
        f"/admin/accounts/customer/{customer_a.pk}/change/", headers={"Accept-Language": "ja"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert alice.email in body and bob.email in body
    assert "ユーザー" in body and ">User<" not in body
