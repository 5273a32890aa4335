"""The reference pages of the HTTP benchmark: a Django hello, and a typical Django page
(a session read from the database, its user, 20 rows and a template). Served only by
bench.urls under bench.settings."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import AuditEntry, User
from ctsportal.access import access

# The typical page reads this cookie's session from the database itself, whatever the
# portal's session engine, so that it stays the same yardstick.
SESSION_COOKIE = "bench_session"


@access(public=True, reason="benchmark reference page (bench.settings only)")
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


@access(public=True, reason="benchmark reference page (bench.settings only)")
def typical(request: HttpRequest) -> HttpResponse:
    session = SessionStore(session_key=request.COOKIES.get(SESSION_COOKIE))
    user_id = str(session.get("_auth_user_id") or "0")
    user = User.objects.filter(pk=user_id).first()
    rows = list(AuditEntry.objects.order_by("-pk")[:20])
    return render(request, "bench/typical.html", {"person": user, "rows": rows})
