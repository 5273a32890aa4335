"""E-mail backends that fail the way SMTP servers do."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class DisconnectingBackend(BaseEmailBackend):
    """A transient failure: the server hangs up."""

    calls = 0

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        DisconnectingBackend.calls += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RejectingBackend(BaseEmailBackend):
    """A permanent failure: every recipient refused with a 5xx."""

    calls = 0

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        RejectingBackend.calls += 1
        raise smtplib.SMTPRecipientsRefused({"x@example.jp": (550, b"No such user")})
