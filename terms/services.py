"""Writes of the terms app: importing a version, publishing it (Art. 15) and recording
acceptances (Art. 4(1), 15)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record, client_ip
from accounts.clauses import Clause
from accounts.models import Customer, User
from accounts.selectors import customer_of
from notices.models import Notice
from notices.services import notices_create_bulk

from .models import (
    Acceptance,
    Annex,
    AnnexEntry,
    Article,
    Item,
    Paragraph,
    PublishedVersionImmutable,
    TermsDocument,
    TermsVersion,
)
from .parsing import parse_bytes
from .selectors import current_cache_clear, pending_version_ids
from .structure import write_structure

# Art. 15 changes are notified to every customer still bound by the terms.
NOTIFIED_STATUSES = (
    Customer.Status.ACTIVE,
    Customer.Status.CANCELLATION_SCHEDULED,
    Customer.Status.SUSPENDED,
)

_MODELS = {
    "Article": Article,
    "Paragraph": Paragraph,
    "Item": Item,
    "Annex": Annex,
    "AnnexEntry": AnnexEntry,
}


class TermsImportError(Exception):
    """The import is refused for a reason other than the text itself (which raises
    ``terms.parsing.TermsParseError``)."""


@dataclass(frozen=True)
class ImportResult:
    version: TermsVersion
    created: bool
    changed: bool
    published_now: bool


def _clear_cache_now_and_on_commit() -> None:
    current_cache_clear()
    transaction.on_commit(current_cache_clear)


@transaction.atomic
def terms_import(
    *,
    document_slug: str,
    label: str,
    effective: date,
    raw: bytes,
    enacted: date | None = None,
    change_summary: str = "",
    publish: bool = False,
    actor: User | None = None,
) -> ImportResult:
    """Stores the text ``raw`` as version ``label`` of the document.

    The text is parsed before anything is written, so malformed input (TermsParseError)
    leaves the database as it was. The same text again under the same label is a no-op
    (it is published if ``publish`` asks and it was a draft); a different text replaces a
    draft but is refused under a published label, since acceptances record that text's hash.
    """
    parsed = parse_bytes(raw)
    try:
        document = TermsDocument.objects.select_for_update().get(slug=document_slug)
    except TermsDocument.DoesNotExist as exc:
        known = ", ".join(TermsDocument.objects.values_list("slug", flat=True))
        raise TermsImportError(
            f"unknown document {document_slug!r} (known: {known or 'none'})"
        ) from exc
    if enacted is None and parsed.enacted:
        enacted = date.fromisoformat(parsed.enacted)

    version = (
        TermsVersion.objects.select_for_update().filter(document=document, label=label).first()
    )
    created = changed = False
    if version is not None and version.sha256 == parsed.sha256:
        pass
    elif version is not None and version.published:
        raise TermsImportError(
            f"version {label} of {document_slug} is published with a different text "
            f"(sha256 {version.sha256}); import the new text under a new label"
        )
    else:
        if version is None:
            version = TermsVersion(document=document, label=label)
            created = True
        else:
            # A draft being replaced: its old structure goes first.
            Article.objects.filter(version=version).delete()
            Annex.objects.filter(version=version).delete()
        changed = True
        version.title = parsed.title[:200] or document.title_ja
        version.preamble = parsed.preamble
        version.enacted = enacted
        version.effective = effective
        version.normalized_text = parsed.normalized_text
        version.sha256 = parsed.sha256
        if change_summary:
            version.change_summary = change_summary
        version.full_clean()
        version.save()
        write_structure(version=version, parsed=parsed, models=_MODELS)
        audit_record(
            action="terms.version.imported",
            actor=actor,
            actor_label="import_terms",
            target=version,
            clause=Clause.ART15,
            extra={"sha256": version.sha256, "created": created},
        )
    published_now = False
    if publish and not version.published:
        version = terms_version_publish(version=version, actor=actor)
        published_now = True
    return ImportResult(
        version=version, created=created, changed=changed, published_now=published_now
    )


@transaction.atomic
def terms_version_publish(
    *, version: TermsVersion, actor: User | None, request: HttpRequest | None = None
) -> TermsVersion:
    """Publishes a draft; it binds from its effective date (Art. 15). Every customer still
    bound by the terms gets one terms_changed notice per version, also when this runs again
    (the notice's key is customer, kind, version, label)."""
    version = TermsVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    if not version.published:
        version.published = True
        version.published_at = timezone.now()
        version.full_clean()
        version.save(update_fields=["published", "published_at"])
        audit_record(
            action="terms.version.published",
            actor=actor,
            target=version,
            clause=Clause.ART15,
            request=request,
            extra={"effective": version.effective.isoformat(), "sha256": version.sha256},
        )
        _clear_cache_now_and_on_commit()
    previous = (
        TermsVersion.objects.filter(
            document=version.document, published=True, effective__lt=version.effective
        )
        .order_by("-effective", "-published_at")
        .first()
    )
    diff_url = ""
    if previous is not None:
        diff_url = settings.SITE_URL + reverse(
            "terms:diff", args=[version.document.slug, previous.label, version.label]
        )
    customers = list(Customer.objects.filter(status__in=NOTIFIED_STATUSES).order_by("pk"))
    notices_create_bulk(
        customers=customers,
        kind=Notice.Kind.TERMS_CHANGED,
        clause=Clause.ART15,
        subject=version,
        period=version.label,
        context={
            "document": version.document,
            "version": version,
            "accept_url": settings.SITE_URL + reverse("terms:accept"),
            "version_url": settings.SITE_URL
            + reverse("terms:version", args=[version.document.slug, version.label]),
            "diff_url": diff_url,
        },
        actor=actor,
    )
    return version


@transaction.atomic
def acceptance_record(
    *,
    user: User,
    versions: Iterable[TermsVersion],
    method: str,
    request: HttpRequest | None = None,
) -> list[Acceptance]:
    """Records that ``user`` accepted each of ``versions``, with the evidence: time, IP
    address, user agent and the SHA-256 of the text accepted. An applicant has no approved
    customer yet; the acceptance then carries the customer of their membership if any.
    Accepting a version twice keeps the first record (the evidence of when it happened)."""
    if method not in Acceptance.Method.values:
        raise ValueError(f"Unknown acceptance method: {method}")
    versions = list(versions)
    if not versions:
        return []
    rows = {
        v.pk: v
        for v in TermsVersion.objects.filter(pk__in=[v.pk for v in versions]).select_related(
            "document"
        )
    }
    for version in versions:
        stored = rows.get(version.pk)
        if stored is None or not stored.published:
            raise ValidationError(
                "Only a published terms version can be accepted.", code="not_published"
            )
    customer = customer_of(user=user)
    existing = {
        a.version_id: a for a in Acceptance.objects.filter(user=user, version_id__in=list(rows))
    }
    result = []
    user_agent = (request.META.get("HTTP_USER_AGENT", "") if request else "")[:300]
    for pk, version in rows.items():
        if pk in existing:
            result.append(existing[pk])
            continue
        acceptance = Acceptance(
            user=user,
            customer=customer,
            version=version,
            ip_address=client_ip(request),
            user_agent=user_agent,
            sha256=version.sha256,
            method=method,
        )
        acceptance.full_clean(validate_constraints=False)
        try:
            # The unique (user, version) constraint settles a race between two tabs.
            with transaction.atomic():
                acceptance.save()
        except IntegrityError:
            result.append(Acceptance.objects.get(user=user, version=version))
            continue
        audit_record(
            action="terms.acceptance.recorded",
            actor=user,
            customer=customer,
            target=version,
            clause=Clause.ART4_1 if method == Acceptance.Method.APPLICATION else Clause.ART15,
            request=request,
            extra={"method": method, "sha256": version.sha256},
        )
        result.append(acceptance)
    return result


def acceptance_record_pending(
    *, user: User, method: str, request: HttpRequest | None = None
) -> list[Acceptance]:
    """Accepts every version the user still has to accept (the gate page, the API)."""
    ids = pending_version_ids(user=user)
    versions = list(TermsVersion.objects.filter(pk__in=ids))
    return acceptance_record(user=user, versions=versions, method=method, request=request)


__all__ = [
    "ImportResult",
    "PublishedVersionImmutable",
    "TermsImportError",
    "acceptance_record",
    "acceptance_record_pending",
    "terms_import",
    "terms_version_publish",
]
