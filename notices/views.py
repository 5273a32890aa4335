"""Customer pages: the company's notices and one notice as it was sent (Art. 16)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.current import membership_of, user_of
from ctsportal.access import access
from ctsportal.pagecache import cached_page
from ctsportal.paging import page_of

from . import selectors, services


@access(
    onboarding=True,
    ended=True,
    reason="Art. 12(5), 16: the notices sent to the company, before approval and after the end too",
)
@login_required
@cached_page
def notice_list_view(request: HttpRequest) -> HttpResponse:
    membership = membership_of(request)
    section = request.GET.get("section", "company")
    if section not in selectors.NOTICE_SECTIONS:
        section = "company"
    page = None
    if membership:
        notices = selectors.notice_list_section(
            customer=membership.customer, user=user_of(request), section=section
        )
        page = page_of(request, notices)
    return render(request, "notices/notice_list.html", {"page": page, "section": section})


@access(
    onboarding=True,
    ended=True,
    reason="Art. 12(5), 16: the notices sent to the company, before approval and after the end too",
)
@login_required
def notice_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_of(request)
    if not membership:
        raise Http404
    user = user_of(request)
    notice = selectors.notice_get(customer=membership.customer, user=user, pk=pk)
    services.notice_mark_read(notice=notice, user=user)
    return render(request, "notices/notice_detail.html", {"notice": notice})
