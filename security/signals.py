"""Where a sign-in came from: it feeds the credential-sharing signal (Art. 6(1)) and warns the
user of a sign-in from a browser never seen before (Art. 6(3))."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.audit import client_ip
from accounts.models import NetworkSighting, User
from accounts.services.sharing import device_is_unseen, sighting_record

from .services.alerts import security_alert_send


@receiver(user_logged_in)
def _note_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    ip = client_ip(request)
    if request is None or not ip:
        return
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    unseen = device_is_unseen(user=user, user_agent=user_agent)
    sighting_record(user=user, ip=ip, user_agent=user_agent, source=NetworkSighting.Source.LOGIN)
    if unseen:
        security_alert_send(user=user, event="new_device", request=request)
