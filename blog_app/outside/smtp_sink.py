"""An SMTP sink: accepts every mail on loopback and keeps it as a file in an outbox directory.

The SMTP side is aiosmtpd's (a well-kept server library); this module only decides where
mail goes. Each message is one ``.eml`` file, written under a temporary name and renamed, so a
reader (the tests, the blog's ``/outbox`` page) never sees half a message.

    python -m blog_app.outside.smtp_sink --port 8026 --outbox var/blog/outbox
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

from blog_app.outside.outbox import Outbox
from jobs.dev.local_redis import free_port

HOST = "127.0.0.1"


class _Handler:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.outbox.store(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink as a server in a background thread: ``with SmtpSink(outbox_dir) as sink:``."""

    def __init__(self, outbox_dir: Path, port: int | None = None) -> None:
        self.outbox = Outbox(outbox_dir)
        self.port = port or free_port()
        self._controller = Controller(_Handler(self.outbox), hostname=HOST, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="An SMTP sink that keeps every mail.")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--outbox", type=Path, required=True)
    options = parser.parse_args()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with SmtpSink(options.outbox, options.port):
        print(f"SMTP sink on {HOST}:{options.port}, mail in {options.outbox}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
