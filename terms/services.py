"""Writes of the terms app: importing a version, publishing it (Art. 15) and recording
acceptances (Art. 4(1), 15)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, client_ip
from accounts.clauses import Clause
from accounts.models import Customer, User
from accounts.selectors import customer_of
from accounts.staff import require_staff_permission
from notices.models import Notice
from notices.services import notices_create_bulk

from .completeness import StructuralChange, structure_compare
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
from .parsing import ParsedTerms, parse_bytes
from .selectors import current_cache_clear, pending_version_ids, tokyo_today
from .structure import write_structure
from .text import parsed_text

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


class TermsStructureError(TermsImportError):
    """The text lacks or merges part of the version in force (or changes its structure) and
    the change was not confirmed; ``changes`` names every place."""

    def __init__(self, changes: list[StructuralChange], reference: TermsVersion) -> None:
        self.changes = changes
        self.reference = reference
        places = "; ".join(str(change) for change in changes)
        super().__init__(
            f"the text differs in structure from {reference.label} (the version in force): "
            f"{places}. If this is a deliberate change of structure, confirm it "
            "(--structural-change) after reviewing the list."
        )


class TermsPublishError(TermsImportError, ValidationError):
    """Publishing is refused: the effective date is in the past or too close (Art. 15)."""

    def __init__(self, message: str, code: str) -> None:
        TermsImportError.__init__(self, message)
        ValidationError.__init__(self, message, code=code)

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class ImportPreview:
    """What an import would store, checked against the version in force before anything is
    written: the command and the admin show ``changes`` first."""

    parsed: ParsedTerms
    document: TermsDocument
    reference: TermsVersion | None
    changes: list[StructuralChange]


def terms_import_preview(*, document_slug: str, raw: bytes) -> ImportPreview:
    """Parses ``raw`` (TermsParseError on malformed input) and compares its structure with
    the version in force, or with the latest published version when none is in force yet."""
    parsed = parse_bytes(raw)
    try:
        document = TermsDocument.objects.get(slug=document_slug)
    except TermsDocument.DoesNotExist as exc:
        known = ", ".join(TermsDocument.objects.values_list("slug", flat=True))
        raise TermsImportError(
            f"unknown document {document_slug!r} (known: {known or 'none'})"
        ) from exc
    published = TermsVersion.objects.filter(document=document, published=True)
    reference = (
        published.filter(effective__lte=tokyo_today()).order_by("-effective", "-id").first()
        or published.order_by("-effective", "-id").first()
    )
    changes = []
    if reference is not None and reference.sha256 != parsed.sha256:
        changes = structure_compare(old=parsed_text(reference.normalized_text), new=parsed)
    return ImportPreview(parsed=parsed, document=document, reference=reference, changes=changes)


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
    structural_change: bool = False,
    urgent_reason: str = "",
    expected_sha256: str | None = None,
) -> ImportResult:
    """Stores the text ``raw`` as version ``label`` of the document.

    The text is parsed before anything is written, so malformed input (TermsParseError)
    leaves the database as it was. A text whose structure differs from the version in force
    (an article, paragraph, item, annex entry or closing line lost, merged or added) is
    refused with TermsStructureError unless ``structural_change`` confirms it. The same text
    again under the same label is a no-op (it is published if ``publish`` asks and it was a
    draft); a different text replaces a draft but is refused under a published label, since
    acceptances record that text's hash. With ``expected_sha256`` (the digest of the text
    previewed), a different text is refused with TermsImportError.
    """
    preview = terms_import_preview(document_slug=document_slug, raw=raw)
    parsed = preview.parsed
    if expected_sha256 is not None and parsed.sha256 != expected_sha256:
        raise TermsImportError(_("The text changed after the preview."))
    document = TermsDocument.objects.select_for_update().get(pk=preview.document.pk)
    if preview.changes and not structural_change:
        assert preview.reference is not None
        raise TermsStructureError(preview.changes, preview.reference)
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
            extra={
                "sha256": version.sha256,
                "created": created,
                "structural_changes": [str(change) for change in preview.changes],
            },
        )
    published_now = False
    if publish and not version.published:
        version = terms_version_publish(version=version, actor=actor, urgent_reason=urgent_reason)
        published_now = True
    return ImportResult(
        version=version, created=created, changed=changed, published_now=published_now
    )


def _check_effective_date(*, version: TermsVersion, urgent_reason: str) -> None:
    """Art. 15: a change binds customers only from a date they were told of. No version may
    take effect before it is published (the first version of a document, which records the
    text already in force before the portal, excepted); a version that needs acceptance must
    leave TERMS_NOTICE_DAYS of notice unless staff record why the change is urgent."""
    today = tokyo_today()
    earlier = TermsVersion.objects.filter(document=version.document, published=True)
    if version.effective < today and earlier.exists():
        raise TermsPublishError(
            _(
                "The effective date %(effective)s is before today (%(today)s): a version "
                "cannot take effect retroactively. Import it with a later effective date."
            )
            % {"effective": version.effective.isoformat(), "today": today.isoformat()},
            code="effective_in_past",
        )
    notice_days: int = settings.TERMS_NOTICE_DAYS
    if (
        version.document.requires_acceptance
        and earlier.exists()
        and (version.effective - today).days < notice_days
        and not urgent_reason.strip()
    ):
        raise TermsPublishError(
            _(
                "The effective date %(effective)s leaves less than %(days)d days of notice "
                "(earliest: %(earliest)s). Choose a later date, or confirm an urgent change "
                "and record the reason."
            )
            % {
                "effective": version.effective.isoformat(),
                "days": notice_days,
                "earliest": (today + timedelta(days=notice_days)).isoformat(),
            },
            code="notice_too_short",
        )


@transaction.atomic
def terms_version_publish(
    *,
    version: TermsVersion,
    actor: User | None,
    request: HttpRequest | None = None,
    urgent_reason: str = "",
) -> TermsVersion:
    """Publishes a draft; it binds from its effective date (Art. 15), which must not be in
    the past nor, for a version that needs acceptance, closer than TERMS_NOTICE_DAYS unless
    ``urgent_reason`` says why (recorded on the version and in the audit). Every customer
    still bound by the terms gets one terms_changed notice per version, also when this runs
    again (the notice's key is customer, kind, version, label). ``actor`` None is the
    operator at the command line (``import_terms``)."""
    if actor is not None:
        require_staff_permission(
            actor,
            "terms.change_termsversion",
            _("Only staff entitled to edit the terms may publish a version (Art. 15)."),
        )
    version = TermsVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    if not version.published:
        _check_effective_date(version=version, urgent_reason=urgent_reason)
        version.published = True
        version.published_at = timezone.now()
        version.urgent_reason = urgent_reason.strip()
        version.full_clean()
        version.save(update_fields=["published", "published_at", "urgent_reason"])
        audit_record(
            action="terms.version.published",
            actor=actor,
            target=version,
            clause=Clause.ART15,
            request=request,
            extra={
                "effective": version.effective.isoformat(),
                "sha256": version.sha256,
                "urgent_reason": version.urgent_reason,
            },
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
    "ImportPreview",
    "ImportResult",
    "PublishedVersionImmutable",
    "TermsImportError",
    "TermsPublishError",
    "TermsStructureError",
    "acceptance_record",
    "acceptance_record_pending",
    "terms_import",
    "terms_import_preview",
    "terms_version_publish",
]
