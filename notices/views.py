"""Customer pages: the company's notices and one notice as it was sent (Art. 16)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User

from . import selectors, services


@login_required
def notice_list_view(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    section = request.GET.get("section", "company")
    if section not in selectors.NOTICE_SECTIONS:
        section = "company"
    page = None
    if membership:
        notices = selectors.notice_list_section(
            customer=membership.customer,
            user=User.objects.get(pk=request.user.pk or 0),
            section=section,
        )
        page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "notices/notice_list.html", {"page": page, "section": section})


@login_required
def notice_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if not membership:
        raise Http404
    notice = selectors.notice_get(customer=membership.customer, pk=pk)
    services.notice_mark_read(notice=notice, user=request.user)  # type: ignore[arg-type]
    return render(request, "notices/notice_detail.html", {"notice": notice})
