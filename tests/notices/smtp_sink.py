"""A real SMTP server (aiosmtpd) that records which notice each message carried."""

from __future__ import annotations

import asyncio
import socket
import threading
from email.parser import BytesHeaderParser
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RecordingHandler:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.notice_ids: list[int] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            # A slow server keeps deliveries in flight long enough to kill a worker mid-batch.
            await asyncio.sleep(self.delay)
        # The headers are all it records: parsing only them keeps the sink from being what a
        # throughput measurement (bench/notices.py) measures.
        message = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.notice_ids.append(int(message["X-CTS-Notice-ID"]))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.notice_ids)


class SmtpSink:
    def __init__(self, delay: float = 0.0) -> None:
        self.handler = RecordingHandler(delay)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
