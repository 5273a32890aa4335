"""What registration needs from the terms app (Art. 4(1): the applicant applies by agreeing to
the terms), in one place: which versions still need the applicant's acceptance, recording
it with method "application", and the snapshot of accepted versions kept with the
application and the usage contract."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

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
