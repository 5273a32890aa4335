"""Fields a client is not meant to set (customer, status or state, role, user, id) sent in
the body of every create or update operation of the API and every form of the portal are
ignored: the object lands on the caller's own customer, made by the caller, in the state the
service chooses, and nothing of customer B changes (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Customer, Incident, Invitation, Membership, User
from contracts.models import Cancellation, ContractTransfer, RegistrationApplication, Rental
from contracts.services.cancellations import cancellation_earliest_date
from terms.models import Acceptance
from terms.selectors import version_current_list
from tests.contracts.conftest import application_data, make_draft
from tests.factories import MembershipFactory, UserFactory, valid_corporate_number
from tests.isolation.routes import Route, api_bodies, routes
from tests.isolation.support import signed_in, tenant_rows
from tests.isolation.world import World

pytestmark = pytest.mark.django_db


def injected(world: World) -> dict[str, Any]:
    """What a client might try to set: customer B, B's owner, a privileged state and role."""
    b = world.b
    return {
        "customer": b.customer.pk,
        "customer_id": b.customer.pk,
        "user": b.owner.pk,
        "user_id": b.owner.pk,
        "requested_by": b.owner.pk,
        "invited_by": b.owner.pk,
        "id": b.rental.pk,
        "pk": b.rental.pk,
        "status": Customer.Status.ACTIVE,
        "state": "approved",
        "role": Membership.Role.OWNER,
        "side": Cancellation.Side.PROVIDER,
    }


@dataclass(frozen=True)
class Case:
    # Who sends it: "owner" (alice, customer A), "newcomer" (a fresh member of A with no
    # terms accepted), "applicant" (a fresh sign-up with a draft application).
    actor: str
    body: Callable[[World], dict[str, Any]]
    # Asserts where the object landed and in which state; gets the world and the actor.
    landed: Callable[[World, User], None]


def _invited(email: str) -> Callable[[World, User], None]:
    def check(world: World, actor: User) -> None:
        invitation = Invitation.objects.get(email=email)
        assert (invitation.customer, invitation.invited_by) == (world.a.customer, actor)
        assert invitation.accepted_at is None and invitation.revoked_at is None

    return check


def _rental(site: str) -> Callable[[World, User], None]:
    def check(world: World, actor: User) -> None:
        rental = Rental.objects.get(site_name=site)
        assert (rental.customer, rental.requested_by) == (world.a.customer, actor)
        assert rental.state == Rental.State.REQUESTED

    return check


def _rental_body(site: str, *, api: bool) -> Callable[[World], dict[str, Any]]:
    def body(world: World) -> dict[str, Any]:
        values: dict[str, Any] = {
            "quantity": 1,
            "site_name": site,
            "site_address": "東京都新宿区西新宿2-8-1",
            "desired_start": (timezone.localdate() + timedelta(days=10)).isoformat(),
        }
        if api:
            values["product"] = world.product.pk
        return values

    return body


def _token_made(world: World, actor: User) -> None:
    assert AuthToken.objects.filter(user=actor).count() == 2  # the world's and this one


def _accepted(world: World, actor: User) -> None:
    assert Acceptance.objects.filter(user=actor).count() == len(version_current_list())


def _reported(world: World, actor: User) -> None:
    incident = Incident.objects.get()
    assert (incident.user, incident.customer) == (actor, world.a.customer)


def _cancelled(world: World, actor: User) -> None:
    cancellation = Cancellation.objects.get(customer=world.a.customer)
    assert (cancellation.given_by, cancellation.side) == (actor, Cancellation.Side.CUSTOMER)
    assert cancellation.state == Cancellation.State.SCHEDULED


def _transfer(world: World, actor: User) -> None:
    transfer = ContractTransfer.objects.get(customer=world.a.customer)
    assert (transfer.requested_by, transfer.state) == (actor, ContractTransfer.State.REQUESTED)


def _mfa_not_required(world: World, actor: User) -> None:
    # Both companies required two-factor authentication; the owner of A turned it off.
    assert not Customer.objects.get(pk=world.a.customer.pk).mfa_required


def _applied(state: str) -> Callable[[World, User], None]:
    def check(world: World, actor: User) -> None:
        # The application's company is the applicant's own, not yet approved (Art. 4).
        application = RegistrationApplication.objects.select_related("customer").get(
            applicant=actor
        )
        assert application.state == state
        assert application.customer.status == Customer.Status.APPLICANT
        assert Membership.objects.get(user=actor).customer == application.customer

    return check


_draft = _applied(RegistrationApplication.State.DRAFT)
_submitted = _applied(RegistrationApplication.State.SUBMITTED)


def _current_ids() -> list[int]:
    return [v.pk for v in version_current_list()]


# Every create or update operation of the API with a request body, by (method, path).
API_CASES: dict[tuple[str, str], Case] = {
    ("post", "/api/v1/members/invitations"): Case(
        "owner", lambda w: {"email": "api-new@a.example.jp"}, _invited("api-new@a.example.jp")
    ),
    ("post", "/api/v1/rentals"): Case(
        "owner", _rental_body("API現場", api=True), _rental("API現場")
    ),
    ("post", "/api/v1/tokens"): Case("owner", lambda w: {"days": 30}, _token_made),
    ("post", "/api/v1/terms/accept"): Case("newcomer", lambda w: {"all_pending": True}, _accepted),
    ("post", "/api/v1/account/compromised"): Case("owner", lambda w: {}, _reported),
    ("post", "/api/v1/cancellation"): Case("owner", lambda w: {}, _cancelled),
    ("put", "/api/v1/application"): Case(
        "applicant", lambda w: {"company_name": "株式会社新規"}, _draft
    ),
    ("post", "/api/v1/application/submit"): Case(
        "applicant", lambda w: {"declaration": True, "accept_terms": _current_ids()}, _submitted
    ),
}
# Operations a customer's person may not call at all, with the reason.
NOT_FOR_CUSTOMERS = {
    ("post", "/api/v1/video-records/import"): (
        "the camera platform's import with a provider staff token: its rows name the rental "
        "they belong to, by design; a customer's person is refused (403)"
    ),
}

# Every form of the portal's own pages that creates or changes something, by URL name.
PAGE_CASES: dict[str, Case] = {
    "account_member_invite": Case(
        "owner", lambda w: {"email": "page-new@a.example.jp"}, _invited("page-new@a.example.jp")
    ),
    "account_tokens": Case("owner", lambda w: {"days": 30}, _token_made),
    "account_mfa_required": Case("owner", lambda w: {}, _mfa_not_required),
    "account_compromised": Case("owner", lambda w: {"scope": "user", "confirm": "on"}, _reported),
    "rentals:request": Case("owner", _rental_body("ページ現場", api=False), _rental("ページ現場")),
    "lifecycle:cancellation": Case(
        "owner",
        lambda w: {
            "give": "1",
            "effective_date": (cancellation_earliest_date() + timedelta(days=1)).isoformat(),
            "confirm": "on",
        },
        _cancelled,
    ),
    "records:transfer": Case(
        "owner",
        lambda w: {
            "successor_name": "株式会社承継先",
            "successor_corporate_number": valid_corporate_number(990001),
            "successor_address": "大阪府大阪市北区1-1",
            "successor_contact_name": "承継 花子",
            "successor_contact_email": "hanako@succ.example.jp",
            "reason": "合併",
        },
        _transfer,
    ),
    "terms:accept": Case(
        "newcomer",
        lambda w: {"agree": "on", "versions": ",".join(str(pk) for pk in _current_ids())},
        _accepted,
    ),
    "contracts:apply": Case(
        "applicant", lambda w: {**application_data(), "action": "save"}, _draft
    ),
}
# The portal's other pages under the policy: nothing in their bodies names an object.
NO_FORM = {
    "dashboard": "reads",
    "customer_ended": "reads",
    "account_overview": "reads",
    "account_members": "reads",
    "account_token_revoke": "a button: the token is in the path, the person is the caller",
    "account_member_remove": "a confirmation button: the member is in the path (swept)",
    "account_member_make_owner": "a confirmation button: the member is in the path (swept)",
    "account_invitation_revoke": "a button: the invitation is in the path (swept)",
    "contracts:reopen": "a button: reopens the caller's own refused application",
    "contracts:application_detail": "reads",
    "cameras:catalogue": "reads",
    "cameras:product_detail": "reads",
    "rentals:overview": "reads",
    "rentals:detail": "reads",
    "rentals:units": "reads",
    "rentals:unit_detail": "reads",
    "rentals:billing": "reads",
    "rentals:deletions": "reads",
    "notices:list": "reads",
    "notices:detail": "reads",
    "terms:company": "reads",
    "records:video": "reads",
    "records:video_csv": "reads",
    "records:personal_data": "reads",
    "records:personal_data_download": "reads (a download)",
}
OWN_APPS = ("accounts.", "security.", "contracts.", "cameras.", "notices.", "terms.", "ctsportal.")
OWN_PAGES = [
    r
    for r in routes()
    if not r.is_api
    and not r.is_admin
    and not r.access.public
    and (r.match.func.__module__ or "").startswith(OWN_APPS)
]


def _actor(kind: str, world: World) -> User:
    if kind == "owner":
        return world.a.owner
    if kind == "newcomer":
        user = UserFactory(email="newcomer@a.example.jp")
        MembershipFactory(user=user, customer=world.a.customer, role=Membership.Role.MEMBER)
        return user
    applicant = UserFactory(email="fresh-applicant@example.jp")
    make_draft(applicant, corporate_number=valid_corporate_number(990077))
    return applicant


def _b_untouched_by(world: World, send: Callable[[Client, dict[str, Any]], Any], case: Case):
    # A person of B with nothing accepted yet: an acceptance sent "as" them would show.
    erin = UserFactory(email="erin@b.example.jp")
    MembershipFactory(user=erin, customer=world.b.customer, role=Membership.Role.MEMBER)
    actor = _actor(case.actor, world)
    client = signed_in(actor)
    before = tenant_rows(world.b.customer.pk)
    body = {**case.body(world), **injected(world), "user": erin.pk, "user_id": erin.pk}
    response = send(client, body)
    assert response.status_code < 400, response.content.decode()[:800]
    case.landed(world, actor)
    assert tenant_rows(world.b.customer.pk) == before


def test_every_create_or_update_operation_of_the_api_has_a_case() -> None:
    assert set(api_bodies()) == set(API_CASES) | set(NOT_FOR_CUSTOMERS)


@pytest.mark.parametrize(
    ("method", "path"), sorted(API_CASES), ids=[f"{m} {p}" for m, p in sorted(API_CASES)]
)
def test_api_bodies_cannot_choose_the_customer_state_role_or_user(
    method: str, path: str, world: World
) -> None:
    _b_untouched_by(
        world,
        lambda client, body: getattr(client, method)(path, body, content_type="application/json"),
        API_CASES[(method, path)],
    )


@pytest.mark.parametrize(("method", "path"), sorted(NOT_FOR_CUSTOMERS))
def test_operations_not_for_customers_refuse_them(method: str, path: str, world: World) -> None:
    before = tenant_rows(world.b.customer.pk)
    response = getattr(signed_in(world.a.owner), method)(
        path, {"records": [{**injected(world)}]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert tenant_rows(world.b.customer.pk) == before


def test_every_page_of_the_portal_is_a_form_case_or_has_no_form() -> None:
    names = {r.name for r in OWN_PAGES}
    assert names == set(PAGE_CASES) | set(NO_FORM)


@pytest.mark.parametrize("name", sorted(PAGE_CASES))
def test_page_forms_cannot_choose_the_customer_state_role_or_user(name: str, world: World) -> None:
    route: Route = next(r for r in OWN_PAGES if r.name == name)
    values = {"product_pk": world.product.pk} if route.params else {}
    _b_untouched_by(
        world, lambda client, body: client.post(route.path(values), body), PAGE_CASES[name]
    )
