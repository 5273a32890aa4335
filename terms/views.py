"""Pages of the terms app. The terms themselves are public (no sign-in); the accept page
and the company view are for signed-in users."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.current import membership_of, user_of
from ctsportal.access import access
from ctsportal.pagecache import cached_page

from . import selectors, services
from .diff import versions_diff
from .forms import AcceptForm
from .models import Acceptance, TermsDocument, TermsVersion
from .text import TextSection, text_lines, text_sections


@functools.lru_cache(maxsize=16)
def _parsed_sections(pk: int, sha256: str, normalized_text: str) -> tuple[TextSection, ...]:
    # A version's text never changes once imported (its SHA-256 is in the key), so each
    # process parses it once, not on every request.
    return tuple(text_sections(text_lines(normalized_text)))


def text_context(version: TermsVersion) -> dict[str, Any]:
    """What ``terms/_articles.html`` renders: the version's lines as customers read them."""
    sections = _parsed_sections(version.pk, version.sha256, version.normalized_text)
    title = next((s.lines[0] for s in sections if s.kind == "title"), None)
    return {
        "version": version,
        "title_line": title,
        "sections": [s for s in sections if s.kind != "title"],
    }


@access(
    public=True,
    reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
)
def index(request: HttpRequest) -> HttpResponse:
    current = {v.document_id: v for v in selectors.version_current_list()}
    documents = [
        {"document": document, "version": current.get(document.pk)}
        for document in TermsDocument.objects.order_by("precedence", "slug")
    ]
    return render(
        request,
        "terms/index.html",
        {"documents": documents, "provider_email": settings.PROVIDER_EMAIL},
    )


def _printing(request: HttpRequest) -> bool:
    url_name = request.resolver_match.url_name if request.resolver_match else None
    return request.GET.get("print") == "1" or url_name in {"print", "version_print"}


def _version_context(
    document: TermsDocument, version: TermsVersion, *, is_current: bool, printing: bool
) -> dict[str, Any]:
    return {
        **text_context(version),
        "document": document,
        "is_current": is_current,
        "in_force": version.is_in_force(),
        "printing": printing,
    }


def _version_body(
    document: TermsDocument, version: TermsVersion, *, is_current: bool
) -> dict[str, str]:
    """The page of a version without the site's frame (header, messages, footer), which
    depends on the visitor: its title and HTML in the current language."""
    context = {
        **_version_context(document, version, is_current=is_current, printing=False),
        "LANGUAGE_CODE": get_language(),
    }
    return {
        "title": f"{version.title} ({version.label})",
        "html": render_to_string("terms/_version_body.html", context),
    }


def _version_page(request: HttpRequest, body: dict[str, str]) -> HttpResponse:
    # The body was rendered from the version's own fields and the translations only.
    html = mark_safe(body["html"])  # noqa: S308
    return render(request, "terms/version.html", {"page_title": body["title"], "body": html})


def _render_version(
    request: HttpRequest, document: TermsDocument, version: TermsVersion, *, is_current: bool
) -> HttpResponse:
    if _printing(request):
        context = _version_context(document, version, is_current=is_current, printing=True)
        return render(request, "terms/print.html", context)
    return _version_page(request, _version_body(document, version, is_current=is_current))


# A version in force's page body, per language: rendered once, then read from the cache in
# one round trip. Keyed on the stamp of the versions in force (terms.selectors), which a save
# of any version or document, or a new day, replaces.
VERSION_BODY_SECONDS = 24 * 3600


def _document_page_cached(request: HttpRequest, slug: str) -> HttpResponse | None:
    stamp, refs = selectors.current_versions_stamped(request)
    ref = next((r for r in refs if r.slug == slug), None)
    if ref is None:
        return None
    key = f"terms:page:{stamp}:{ref.id}:{get_language()}"
    body = cache.get(key)
    if body is None:
        version = selectors.version_get(pk=ref.id)
        body = _version_body(version.document, version, is_current=True)
        cache.set(key, body, VERSION_BODY_SECONDS)
    return _version_page(request, body)


def _terms_in_force(request: HttpRequest) -> str:
    return selectors.current_versions_stamped(request)[0]


@access(
    public=True,
    reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
)
@cached_page(vary=_terms_in_force)
def document(request: HttpRequest, slug: str) -> HttpResponse:
    if not _printing(request):
        cached = _document_page_cached(request, slug)
        if cached is not None:
            return cached
    doc = selectors.document_get(slug=slug)
    version = selectors.version_in_force(document=doc)
    if version is None:
        # The document exists; the page says where a customer obtains it (Art. 1, 18).
        return render(
            request,
            "terms/no_version.html",
            {"document": doc, "provider_email": settings.PROVIDER_EMAIL},
        )
    return _render_version(request, doc, version, is_current=True)


@access(
    public=True,
    reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
)
def version(request: HttpRequest, slug: str, label: str) -> HttpResponse:
    doc = selectors.document_get(slug=slug)
    found = selectors.version_published_get(document=doc, label=label)
    current = selectors.version_in_force(document=doc)
    return _render_version(
        request, doc, found, is_current=current is not None and current.pk == found.pk
    )


@access(
    public=True,
    reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
)
def versions(request: HttpRequest, slug: str) -> HttpResponse:
    doc = selectors.document_get(slug=slug)
    current = selectors.version_in_force(document=doc)
    history = selectors.version_published_list(document=doc)
    pairs = list(zip(history[1:], history, strict=False))
    return render(
        request,
        "terms/versions.html",
        {
            "document": doc,
            "history": history,
            "current": current,
            "diffs": {newer.pk: older for older, newer in pairs},
        },
    )


def _diff_context(old: TermsVersion, new: TermsVersion) -> dict[str, Any]:
    sections = versions_diff(
        old=text_lines(old.normalized_text), new=text_lines(new.normalized_text)
    )
    return {
        "old": old,
        "new": new,
        "sections": sections,
        "changed_sections": [s for s in sections if s.status != "unchanged"],
    }


@access(
    public=True,
    reason="the terms of use are public (Art. 15: anyone may read them before agreeing)",
)
def diff(request: HttpRequest, slug: str, a: str, b: str) -> HttpResponse:
    doc = selectors.document_get(slug=slug)
    old = selectors.version_published_get(document=doc, label=a)
    new = selectors.version_published_get(document=doc, label=b)
    context = _diff_context(old, new)
    context["document"] = doc
    context["show_unchanged"] = request.GET.get("all") == "1"
    return render(request, "terms/diff.html", context)


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("dashboard")


@access(
    onboarding=True,
    terms_exempt=True,
    mfa_exempt=True,
    # Accepting changes no company data; a suspended company must still be able to read.
    while_suspended=True,
    reason="Art. 15: accepting the terms in force is what the policy asks first",
)
@never_cache
@login_required
def accept(request: HttpRequest) -> HttpResponse:
    """Art. 15: the user accepts the versions in force before going on; for a document
    they accepted before, the page shows what changed since, otherwise the full text."""
    user = user_of(request)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    pending = selectors.versions_pending_acceptance(user=user)
    if not pending:
        if request.method == "POST":
            return redirect(next_url)
        return render(request, "terms/accept.html", {"pending": [], "next": next_url})
    form = AcceptForm(request.POST or None, versions=pending)
    if request.method == "POST" and form.is_valid():
        accepted_before = {
            a.version.document_id
            for a in Acceptance.objects.filter(user=user).select_related("version")
        }
        for version in pending:
            method = (
                Acceptance.Method.REACCEPTANCE
                if version.document_id in accepted_before
                else Acceptance.Method.SIGNUP
            )
            services.acceptance_record(
                user=user,
                versions=[version],
                method=method,
                request=request,
            )
        messages.success(request, _("Thank you. Your acceptance has been recorded."))
        return redirect(next_url)
    entries = []
    for version in pending:
        previous = selectors.last_accepted_version(user=user, document=version.document)
        entry: dict[str, Any] = {"version": version, "previous": previous}
        if previous is not None and previous.pk != version.pk:
            entry.update(_diff_context(previous, version))
        else:
            entry.update(text_context(version))
        entries.append(entry)
    return render(
        request,
        "terms/accept.html",
        {"pending": pending, "entries": entries, "form": form, "next": next_url},
    )


@access(
    onboarding=True,
    terms_exempt=True,
    mfa_exempt=True,
    reason="Art. 15: who in the company accepted which version, next to the terms",
)
@login_required
def company(request: HttpRequest) -> HttpResponse:
    """The owner sees which member accepted which version and when; a member may not."""
    membership = membership_of(request)
    if not membership:
        raise Http404
    if not membership.is_owner:
        raise PermissionDenied
    return render(
        request,
        "terms/company.html",
        {
            "customer": membership.customer,
            "current": [
                v for v in selectors.version_current_list() if v.document.requires_acceptance
            ],
            "members": selectors.company_acceptance_list(customer=membership.customer),
        },
    )
