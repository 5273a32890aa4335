"""What registration needs from the terms app (Art. 4(1): the applicant applies by agreeing to
the terms), in one place: which versions still need the applicant's acceptance, recording
it with method "application", and the snapshot of accepted versions kept with the
application and the usage contract."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User


def pending_versions(*, user: User) -> list[Any]:
    """The versions in force that require acceptance and that ``user`` has not accepted."""
    from terms.selectors import versions_pending_acceptance

    return list(versions_pending_acceptance(user=user))


def acceptance_record(
    *, user: User, versions: Iterable[Any], request: HttpRequest | None = None
) -> None:
    from terms.models import Acceptance
    from terms.services import acceptance_record as record

    record(
        user=user,
        versions=list(versions),
        method=Acceptance.Method.APPLICATION,
        request=request,
    )


def accepted_snapshot(*, user: User) -> list[dict[str, str]]:
    """The user's acceptances of the versions in force that require acceptance, as
    ``[{"document", "label", "sha256", "accepted_at"}]`` (the evidence of Art. 4(1))."""
    from terms.models import Acceptance
    from terms.selectors import version_current_list

    versions = [v for v in version_current_list() if v.document.requires_acceptance]
    acceptances = {
        a.version_id: a
        for a in Acceptance.objects.filter(user=user, version__in=[v.pk for v in versions])
    }
    snapshot = []
    for version in versions:
        acceptance = acceptances.get(version.pk)
        if acceptance is None:
            continue
        snapshot.append(
            {
                "document": version.document.slug,
                "label": version.label,
                "sha256": acceptance.sha256,
                "accepted_at": acceptance.accepted_at.isoformat(),
            }
        )
    return snapshot


def snapshot_in_local_time(snapshot: Any) -> Any:
    """A stored snapshot (``accepted_snapshot``: each ``accepted_at`` written in UTC) with each
    time in Japan time and its offset, as the API gives every other time; anything else in
    it is left as stored."""
    if not isinstance(snapshot, list):
        return snapshot
    items = []
    for item in snapshot:
        if isinstance(item, dict):
            when = parse_datetime(str(item.get("accepted_at") or ""))
            if when is not None and timezone.is_aware(when):
                item = {**item, "accepted_at": timezone.localtime(when).isoformat()}
        items.append(item)
    return items
