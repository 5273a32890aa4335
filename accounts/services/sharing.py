"""The credential-sharing signal (Art. 6(1)/(2): no lending of IDs) and unseen devices. The signal
is evidence for staff; it locks nobody out."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.clauses import Clause
from accounts.models import (
    NetworkSighting,
    SharingFlag,
    User,
)
from accounts.selectors import customer_of

# --- Credential-sharing signal and unseen devices (Art. 6(1)) ---------------------------------


def network_of(ip: str) -> str:
    """The network an address belongs to: /24 for IPv4, /48 for IPv6, so that a device
    hopping between addresses of one provider counts once."""
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@transaction.atomic
def sighting_record(
    *, user: User, ip: str | None, user_agent: str, source: str
) -> NetworkSighting | None:
    """Notes that ``user`` was active from ``ip``, and raises (or adds evidence to) a
    sharing flag when the user is seen from more than SHARING_MAX_NETWORKS networks within
    SHARING_WINDOW_MINUTES. Called at sign-in and when a session's address changes, so it
    costs a few queries per sign-in, not per request. Never locks anyone out."""
    if not ip:
        return None
    try:
        network = network_of(ip)
    except ValueError:
        return None
    now = timezone.now()
    NetworkSighting.objects.filter(
        user=user, seen_at__lt=now - timedelta(days=settings.SIGHTING_RETENTION_DAYS)
    ).delete()
    sighting = NetworkSighting.objects.create(
        user=user,
        network=network,
        ip_address=ip,
        user_agent=user_agent[:300],
        device_key=device_key(user_agent),
        source=source,
        seen_at=now,
    )
    window = NetworkSighting.objects.filter(
        user=user, seen_at__gte=now - timedelta(minutes=settings.SHARING_WINDOW_MINUTES)
    ).order_by("seen_at")
    networks = set(window.values_list("network", flat=True))
    if len(networks) > settings.SHARING_MAX_NETWORKS:
        _sharing_flag_raise(user=user, networks=networks, window=window)
    return sighting


def _sharing_flag_raise(
    *, user: User, networks: set[str], window: models.QuerySet[NetworkSighting]
) -> SharingFlag:
    evidence = [
        {
            "network": s.network,
            "ip": s.ip_address,
            "user_agent": s.user_agent,
            "seen_at": s.seen_at.isoformat(),
            "source": s.source,
        }
        for s in window[:100]
    ]
    User.objects.select_for_update().get(pk=user.pk)
    flag = SharingFlag.objects.filter(user=user, reviewed_at__isnull=True).first()
    now = timezone.now()
    if flag is not None:
        known = {(e["ip"], e["seen_at"]) for e in flag.evidence}
        flag.evidence = [
            *flag.evidence,
            *(e for e in evidence if (e["ip"], e["seen_at"]) not in known),
        ][-300:]
        flag.network_count = max(flag.network_count, len(networks))
        flag.updated_at = now
        flag.save(update_fields=["evidence", "network_count", "updated_at"])
        return flag
    customer = customer_of(user=user)
    flag = SharingFlag(
        user=user,
        customer=customer,
        created_at=now,
        updated_at=now,
        network_count=len(networks),
        evidence=evidence,
    )
    flag.full_clean()
    flag.save()
    audit_record(
        action="accounts.sharing.flagged",
        actor_label="sharing signal",
        customer=customer,
        target=flag,
        clause=Clause.ART6_1,
        extra={"networks": sorted(networks)},
    )
    return flag


@transaction.atomic
def sharing_flag_review(
    *, flag: SharingFlag, actor: User, note: str = "", request: HttpRequest | None = None
) -> SharingFlag:
    flag = SharingFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        raise ValidationError(_("This flag has already been reviewed."), code="reviewed")
    flag.reviewed_at = timezone.now()
    flag.reviewed_by = actor
    flag.review_note = note.strip()
    flag.full_clean()
    flag.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    audit_record(
        action="accounts.sharing.reviewed",
        actor=actor,
        customer=flag.customer,
        target=flag,
        clause=Clause.ART6_1,
        request=request,
        extra={"note": flag.review_note},
    )
    return flag


def device_key(user_agent: str) -> str:
    """The browser and system named by a user agent, without version numbers."""
    family = re.sub(r"[0-9][0-9._]*", "", user_agent).strip().lower()
    return hashlib.sha256(family.encode("utf-8")).hexdigest()[:32]


def device_is_unseen(*, user: User, user_agent: str) -> bool:
    """True when the user has signed in before, but never from this kind of browser and
    system. The first sign-in of a new login is not an alert."""
    seen = NetworkSighting.objects.filter(user=user)
    if not seen.exists():
        return False
    return not seen.filter(device_key=device_key(user_agent)).exists()
