"""E-mail for `make run`: the console shows each message as a person reads it (sender,
recipient, subject and the plain-text body, decoded) with every link in it repeated on its
own marked line, instead of the raw MIME in which a verification link is hard to find."""

from __future__ import annotations

import re
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend

_LINK = re.compile(r"https?://[^\s<>\"']+")


def readable(message: EmailMessage) -> str:
    body = str(message.body or "")
    links = list(dict.fromkeys(_LINK.findall(body)))
    lines = [
        "=" * 72,
        f"E-MAIL  to: {', '.join(message.to)}",
        f"      from: {message.from_email}",
        f"   subject: {message.subject}",
        "-" * 72,
        body.rstrip(),
        "-" * 72,
    ]
    lines += [f">>> LINK: {link}" for link in links] or [">>> (no links)"]
    lines.append("=" * 72)
    return "\n".join(lines) + "\n"


class ReadableConsoleBackend(ConsoleBackend):
    def write_message(self, message: Any) -> None:
        self.stream.write(readable(message))
