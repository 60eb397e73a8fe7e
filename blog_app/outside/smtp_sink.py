"""An SMTP sink: accepts every mail on loopback and keeps it as a file in an outbox directory.

The SMTP side is aiosmtpd's (a well-kept server library); this module only decides where
mail goes. Each message is one ``.eml`` file, written under a temporary name and renamed, so a
reader (the tests, the blog's ``/outbox`` page) never sees half a message.

    python -m blog_app.outside.smtp_sink --port 8026 --outbox var/blog/outbox [--refuse]
                                         [--delay SECONDS]

For the lessons and the tests it can misbehave the way mail servers do: ``--refuse`` answers
every message with a temporary failure (``451``), as a full or overloaded server does, and
``--delay`` waits before it answers. ``SmtpSink.configure`` changes both while it runs, and
``stop``/``start`` take it away and bring it back on the same port.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

from blog_app.outside.outbox import Outbox
from jobs.dev.local_redis import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Behaviour:
    refuse: bool = False  # answer every message "451": a temporary failure, try again later
    delay: float = 0.0  # seconds to wait before answering a message


class _Handler:
    def __init__(self, outbox: Outbox, behaviour: Behaviour) -> None:
        self.outbox = outbox
        self.behaviour = behaviour

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        behaviour = self.behaviour
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if behaviour.refuse:
            return "451 Requested action aborted: the sink is told to refuse mail"
        self.outbox.store(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink as a server in a background thread: ``with SmtpSink(outbox_dir) as sink:``."""

    def __init__(
        self, outbox_dir: Path, port: int | None = None, behaviour: Behaviour | None = None
    ) -> None:
        self.outbox = Outbox(outbox_dir)
        self.port = port or free_port()
        self._handler = _Handler(self.outbox, behaviour or Behaviour())
        self._controller: Controller | None = None

    def configure(self, **changes: Any) -> None:
        """Change how it behaves from the next message on: ``refuse=True``, ``delay=2.0``."""
        self._handler.behaviour = replace(self._handler.behaviour, **changes)

    def start(self) -> None:
        # A new controller each time: stop() followed by start() brings the sink back.
        self._controller = Controller(self._handler, hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="An SMTP sink that keeps every mail.")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--outbox", type=Path, required=True)
    parser.add_argument("--refuse", action="store_true", help="refuse every mail (451)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before answering")
    options = parser.parse_args()
    if options.delay < 0:
        parser.error(f"--delay must be 0 or more seconds, not {options.delay:g}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    behaviour = Behaviour(options.refuse, options.delay)
    with SmtpSink(options.outbox, options.port, behaviour):
        print(f"SMTP sink on {HOST}:{options.port}, mail in {options.outbox}", flush=True)
        if behaviour != Behaviour():
            print(f"  misbehaving on purpose: {_described(behaviour)}", flush=True)
        stop.wait()


def _described(behaviour: Behaviour) -> str:
    said = ["refusing every mail (451)"] if behaviour.refuse else []
    said += [f"answering after {behaviour.delay:g} s"] if behaviour.delay else []
    return ", ".join(said)


if __name__ == "__main__":
    main()
