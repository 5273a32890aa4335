"""What the sweep puts in each path parameter of the urlconf: a real object, registered here
by URL name. A route whose parameters have no entry fails the sweep (``values_for``), so a
new route is covered the day it is added.

Kinds:
- OWNED: a customer's object. Another customer's person gets 404 on every method (405 where
  the method does not exist); the sweep fills it with customer B's object.
- SHARED: the provider's own data with no customer (catalogue, terms): the same for
  everyone who may see it at all.
- LINK: a secret or signed link from an e-mail; the value is the capability and the view is
  declared public. The sweep fills it with B's real link and checks it reveals nothing to
  a GET and fails cleanly when forged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from terms.selectors import version_current_list
from tests.isolation.routes import Route
from tests.isolation.world import Tenant, World


class Kind(StrEnum):
    OWNED = "owned"
    SHARED = "shared"
    LINK = "link"


Values = Callable[[Tenant, World], dict[str, object]]


@dataclass(frozen=True)
class Param:
    kind: Kind
    values: Values


def _terms(_t: Tenant, _w: World) -> dict[str, object]:
    version = version_current_list()[0]
    return {
        "slug": version.document.slug,
        "label": version.label,
        "a": version.label,
        "b": version.label,
    }


def _owned(values: Values) -> Param:
    return Param(Kind.OWNED, values)


OBJECTS: dict[str, Param] = {
    # allauth: the person's own second factors; links of its e-mails.
    "mfa_remove_webauthn": _owned(lambda t, w: {"pk": t.webauthn.pk}),
    "mfa_edit_webauthn": _owned(lambda t, w: {"pk": t.webauthn.pk}),
    "account_confirm_email": Param(Kind.LINK, lambda t, w: {"key": t.email_key}),
    "account_reset_password_from_key": Param(
        Kind.LINK, lambda t, w: {"uidb36": t.reset_uidb36, "key": t.reset_key}
    ),
    # accounts, security
    "account_token_revoke": _owned(lambda t, w: {"token_key": t.token_key}),
    "account_member_remove": _owned(lambda t, w: {"pk": t.member_membership.pk}),
    "account_member_make_owner": _owned(lambda t, w: {"pk": t.member_membership.pk}),
    "account_invitation_revoke": _owned(lambda t, w: {"pk": t.invitation_pk}),
    "account_invitation": Param(Kind.LINK, lambda t, w: {"token": t.invitation_token}),
    "account_compromised_link": Param(Kind.LINK, lambda t, w: {"token": t.compromise_token}),
    "api-token-detail": _owned(lambda t, w: {"token_key": t.token_key}),
    "api-member-detail": _owned(lambda t, w: {"pk": t.member_membership.pk}),
    "api-session-detail": _owned(lambda t, w: {"pk": t.user_session.pk}),
    # contracts
    "contracts:application_detail": _owned(lambda t, w: {"pk": t.application.pk}),
    "lifecycle:inactivity_confirm": Param(Kind.LINK, lambda t, w: {"token": t.inactivity_token}),
    "rentals:detail": _owned(lambda t, w: {"pk": t.rental.pk}),
    "rentals:unit_detail": _owned(lambda t, w: {"pk": t.rental_unit.pk}),
    "api-rental": _owned(lambda t, w: {"pk": t.rental.pk}),
    "api-unit": _owned(lambda t, w: {"pk": t.rental_unit.pk}),
    "api-charge": _owned(lambda t, w: {"pk": t.charge.pk}),
    "api-payment": _owned(lambda t, w: {"pk": t.payment.pk}),
    "api-video-record": _owned(lambda t, w: {"pk": t.video_record.pk}),
    # notices
    "notices:detail": _owned(lambda t, w: {"pk": t.notice.pk}),
    "api-notice-detail": _owned(lambda t, w: {"pk": t.notice.pk}),
    # The catalogue (Art. 3) and the terms belong to no customer.
    "cameras:product_detail": Param(Kind.SHARED, lambda t, w: {"pk": w.product.pk}),
    "rentals:request": Param(Kind.SHARED, lambda t, w: {"product_pk": w.product.pk}),
    "api-product": Param(Kind.SHARED, lambda t, w: {"pk": w.product.pk}),
    "terms:document": Param(Kind.SHARED, _terms),
    "terms:print": Param(Kind.SHARED, _terms),
    "terms:versions": Param(Kind.SHARED, _terms),
    "terms:version": Param(Kind.SHARED, _terms),
    "terms:version_print": Param(Kind.SHARED, _terms),
    "terms:diff": Param(Kind.SHARED, _terms),
    "api-terms-version": Param(Kind.SHARED, _terms),
}


def _admin_model(route: Route) -> type | None:
    parts = route.pattern.strip("/").split("/")
    try:
        return apps.get_model(parts[1], parts[2])
    except (IndexError, LookupError, ValueError):
        return None


def _admin_values(route: Route, tenant: Tenant) -> dict[str, object]:
    """The staff admin checks staff before it reads a parameter (``AdminSite.admin_view``);
    its parameters are filled from B's objects of the route's model all the same, so that
    a custom admin view that forgot the check would show B's data and fail."""
    model = _admin_model(route)
    row = None
    if model is not None:
        rows = model._default_manager.order_by("-pk")
        owned = [f.name for f in model._meta.fields if f.name == "customer"]
        row = (rows.filter(customer=tenant.customer) if owned else rows).first()
    generic: dict[str, object] = {
        "object_id": row.pk if row is not None else tenant.customer.pk,
        "pk": row.pk if row is not None else tenant.customer.pk,
        "id": tenant.owner.pk,
        "assignment": tenant.rental_unit.pk,
        "customer_id": tenant.customer.pk,
        "content_type_id": ContentType.objects.get_for_model(type(tenant.rental)).pk,
        "app_label": "contracts",
        "url": "no-such-page/",
    }
    if model is not None and model._meta.label_lower == "contracts.rental":
        generic["object_id"] = generic["pk"] = tenant.rental.pk
    missing = [p for p in route.params if p not in generic]
    if missing:
        raise LookupError(
            f"{route}: the admin parameter(s) {missing} have no value; add them to "
            "tests/isolation/objects.py _admin_values."
        )
    return {p: generic[p] for p in route.params}


def param_of(route: Route) -> Param | None:
    return OBJECTS.get(route.name)


def values_for(route: Route, tenant: Tenant, world: World) -> dict[str, object]:
    """The path parameters of ``route`` filled with ``tenant``'s real objects. A parameter
    the sweep cannot fill is a failure that says where to register it."""
    if not route.params:
        return {}
    if route.is_admin:
        return _admin_values(route, tenant)
    param = param_of(route)
    if param is None:
        raise LookupError(
            f"{route} ({route.name}) has path parameters {list(route.params)} that the "
            "isolation sweep cannot fill. Register an object factory for it in "
            "tests/isolation/objects.py OBJECTS: "
            f'"{route.name}": Param(Kind.OWNED, lambda t, w: {{"pk": t.<object>.pk}}) '
            "(build the object in tests/isolation/world.py _tenant)."
        )
    values = param.values(tenant, world)
    assert set(route.params) <= set(values), (route, values)
    return values
