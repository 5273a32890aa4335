"""Reads of the terms app: which versions are in force, which a user still has to accept,
and who in a company accepted what.

"In force" means published with an effective date on or before today in Asia/Tokyo, the
provider's time zone: a version published for a future date binds from that date (Art. 15)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import models
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest

from accounts.models import Customer, Membership, User
from accounts.sessions import session_fact_get, session_fact_keep, shared_fact

from .models import (
    Acceptance,
    Annex,
    Article,
    TermsDocument,
    TermsVersion,
    tokyo_today,
)

CURRENT_CACHE_SECONDS = 300


def _in_force(on: date) -> models.QuerySet[TermsVersion]:
    """The version in force of each document on ``on``: one row per document, one query."""
    latest = (
        TermsVersion.objects.filter(
            document=OuterRef("document"), published=True, effective__lte=on
        )
        .order_by("-effective", "-published_at", "-pk")
        .values("pk")[:1]
    )
    return TermsVersion.objects.filter(
        published=True, effective__lte=on, pk=Subquery(latest)
    ).select_related("document")


def version_current_list() -> list[TermsVersion]:
    """The version in force of every document that has one, by precedence (Art. 18)."""
    return list(_in_force(tokyo_today()).order_by("document__precedence", "document__slug"))


@dataclass(frozen=True)
class CurrentVersion:
    """What the gate and links need of a version in force; small enough to cache."""

    id: int
    document_id: int
    slug: str
    label: str
    requires_acceptance: bool


CURRENT_CACHE_KEY = "terms:current"


def current_version_refs() -> list[CurrentVersion]:
    """``version_current_list`` reduced to ids and cached, so that the gate costs no query
    for it. The entry records the Tokyo date it was computed for, so a future-dated version
    binds at midnight; ``current_cache_clear`` (on every save of a version or document) makes
    a publication show at once."""
    return _current_refs(cache.get(CURRENT_CACHE_KEY))


def current_versions_stamped(
    request: HttpRequest | None = None,
) -> tuple[str, list[CurrentVersion]]:
    """``current_version_refs`` with the stamp of the cache entry they come from (as read with
    the request's session, if any). A new entry gets a new stamp: after every save of a
    version or document (``current_cache_clear``) and every new day. What is cached from the
    versions in force (the public terms page) is keyed on the stamp, so it never outlives
    them."""
    entry = shared_fact(request, CURRENT_CACHE_KEY)
    entry = _current_entry(entry if entry is not None else cache.get(CURRENT_CACHE_KEY))
    return str(entry["stamp"]), [CurrentVersion(**ref) for ref in entry["refs"]]


def _current_refs(entry: dict[str, Any] | None) -> list[CurrentVersion]:
    """The refs of a cache entry read by the caller, recomputed if missing or stale."""
    return [CurrentVersion(**ref) for ref in _current_entry(entry)["refs"]]


def _current_entry(entry: dict[str, Any] | None) -> dict[str, Any]:
    today = tokyo_today().isoformat()
    if entry is None or entry.get("on") != today or "stamp" not in entry:
        entry = {
            "on": today,
            "stamp": secrets.token_hex(8),
            "refs": [
                {
                    "id": v.pk,
                    "document_id": v.document_id,
                    "slug": v.document.slug,
                    "label": v.label,
                    "requires_acceptance": v.document.requires_acceptance,
                }
                for v in _in_force(tokyo_today())
            ],
        }
        cache.set(CURRENT_CACHE_KEY, entry, CURRENT_CACHE_SECONDS)
    return entry


def current_cache_clear() -> None:
    cache.delete(CURRENT_CACHE_KEY)


def _accepted_key(user_id: int) -> str:
    return f"terms:accepted:{user_id}"


# The fact "accepted all of these ids", kept in the person's signed-in session.
ACCEPTED_SESSION_KEY = "terms_accepted_ids"


def pending_version_ids(*, user: User, request: HttpRequest | None = None) -> list[int]:
    """Ids of the versions in force that require acceptance and that ``user`` has not
    accepted. At most one query; none once the user is known to have accepted the versions
    in force, which is cached per user until those versions change. Only the fact "accepted
    all of these ids" is cached, and acceptances are never withdrawn, so it cannot go stale.

    With the ``request`` of a signed-in session (the request policy's), no round trip at
    all on most requests: the versions in force come with the session
    (``accounts.sessions``) and the fact is kept in the session as well."""
    key = _accepted_key(user.pk)
    current = shared_fact(request, CURRENT_CACHE_KEY)
    remembered = session_fact_get(request, user.pk, ACCEPTED_SESSION_KEY)
    if current is None or remembered is None:
        # Both facts in one round trip to the cache.
        found = cache.get_many([CURRENT_CACHE_KEY, key])
        current = current if current is not None else found.get(CURRENT_CACHE_KEY)
        remembered = remembered if remembered is not None else found.get(key)
    required = [ref.id for ref in _current_refs(current) if ref.requires_acceptance]
    if not required:
        return []
    if remembered == required:
        session_fact_keep(request, user.pk, ACCEPTED_SESSION_KEY, required)
        return []
    accepted = set(
        Acceptance.objects.filter(user=user, version_id__in=required).values_list(
            "version_id", flat=True
        )
    )
    pending = [pk for pk in required if pk not in accepted]
    if not pending:
        cache.set(key, required, CURRENT_CACHE_SECONDS)
        session_fact_keep(request, user.pk, ACCEPTED_SESSION_KEY, required)
    return pending


def versions_pending_acceptance(*, user: User) -> list[TermsVersion]:
    """The version in force of every document requiring acceptance that ``user`` has not
    accepted, by precedence."""
    ids = pending_version_ids(user=user)
    if not ids:
        return []
    return list(
        TermsVersion.objects.filter(pk__in=ids)
        .select_related("document")
        .order_by("document__precedence", "document__slug")
    )


def last_accepted_version(*, user: User, document: TermsDocument) -> TermsVersion | None:
    """The newest version of ``document`` the user accepted, for showing what changed."""
    acceptance = (
        Acceptance.objects.filter(user=user, version__document=document)
        .select_related("version__document")
        .order_by("-version__effective", "-accepted_at")
        .first()
    )
    return acceptance.version if acceptance else None


# --- public pages -------------------------------------------------------------------------------


def document_get(*, slug: str) -> TermsDocument:
    try:
        return TermsDocument.objects.get(slug=slug)
    except TermsDocument.DoesNotExist as exc:
        raise Http404 from exc


def version_get(*, pk: int) -> TermsVersion:
    """A published version with its document (the public pages never show a draft)."""
    try:
        return TermsVersion.objects.select_related("document").get(pk=pk, published=True)
    except TermsVersion.DoesNotExist as exc:
        raise Http404 from exc


def version_in_force(*, document: TermsDocument) -> TermsVersion | None:
    return _in_force(tokyo_today()).filter(document=document).first()


def version_published_list(*, document: TermsDocument) -> list[TermsVersion]:
    """Every published version, newest effective date first (future-dated ones included)."""
    return list(
        TermsVersion.objects.filter(document=document, published=True)
        .select_related("document")
        .order_by("-effective", "-published_at")
    )


def version_published_get(*, document: TermsDocument, label: str) -> TermsVersion:
    """A published version by label; drafts are not public, so they are a 404."""
    try:
        return TermsVersion.objects.select_related("document").get(
            document=document, label=label, published=True
        )
    except TermsVersion.DoesNotExist as exc:
        raise Http404 from exc


def version_published_get_by_id(*, pk: int) -> TermsVersion | None:
    return TermsVersion.objects.select_related("document").filter(pk=pk, published=True).first()


def article_list(*, version: TermsVersion) -> list[Article]:
    """The articles of a version with their paragraphs and items: three queries."""
    return list(
        Article.objects.filter(version=version)
        .prefetch_related("paragraphs__items")
        .order_by("order")
    )


def annex_get(*, version: TermsVersion) -> Annex | None:
    return Annex.objects.filter(version=version).prefetch_related("entries").first()


# --- company view -------------------------------------------------------------------------------


@dataclass
class MemberAcceptances:
    membership: Membership
    by_version: dict[int, Acceptance]
    history: list[Acceptance]


def company_acceptance_list(*, customer: Customer) -> list[MemberAcceptances]:
    """For each current member of ``customer``: their acceptances, newest first. Only
    acceptances of the company's own members are read (two queries)."""
    memberships = list(
        Membership.objects.filter(customer=customer)
        .select_related("user")
        .order_by("-role", "user__email")
    )
    acceptances = (
        Acceptance.objects.filter(
            user_id__in=[m.user_id for m in memberships], user__membership__customer=customer
        )
        .select_related("version__document")
        .order_by("-accepted_at")
    )
    per_user: dict[int, list[Acceptance]] = {}
    for acceptance in acceptances:
        per_user.setdefault(acceptance.user_id, []).append(acceptance)
    result = []
    for membership in memberships:
        history = per_user.get(membership.user_id, [])
        result.append(
            MemberAcceptances(
                membership=membership,
                by_version={a.version_id: a for a in history},
                history=history,
            )
        )
    return result
