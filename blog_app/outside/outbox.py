"""The outbox: a directory of received mail, one ``.eml`` file per message.

The SMTP sink (:mod:`.smtp_sink`) writes it; the tests and the blog's ``/outbox`` page read
it. Each file is written under a temporary name and renamed, so a reader never sees half a
message.

The same mail received twice is easy to miss in a list, so :func:`count_copies` says how many
times each was received: the same ``Message-ID``, or, for mail without one, the same
recipient, subject and text (chapter 6 shows such duplicates, then removes them).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

NAME = re.compile(r"^\d+-[0-9a-f]{8}\.eml$")


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    sender: str
    to: str
    subject: str
    body: str
    message_id: str = ""

    def received_at(self, shown: str = "%Y-%m-%d %H:%M:%S") -> str:
        """When the sink stored it (UTC, to the second), from the file name it chose then."""
        nanoseconds = int(self.name.split("-")[0])
        return time.strftime(shown, time.gmtime(nanoseconds / 1e9))

    @property
    def identity(self) -> tuple[str, ...]:
        """What makes two received messages the same mail."""
        if self.message_id:
            return ("message-id", self.message_id)
        return ("content", self.to, self.subject, self.body)

    def is_addressed_to(self, address: str) -> bool:
        wanted = address.strip().lower()
        return any(found.lower() == wanted for _, found in email.utils.getaddresses([self.to]))


class Outbox:
    """A directory of received mail, one ``.eml`` file per message, oldest name first."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def store(self, content: bytes) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temp, self.directory / name)
        return name

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if NAME.match(p.name))

    def messages(self) -> list[OutboxMessage]:
        """Every message, newest first."""
        return [self._read(name) for name in reversed(self.names())]

    def find(self, name: str) -> OutboxMessage | None:
        # The name comes from a URL: only our own file names, never a path.
        if not NAME.match(name) or not (self.directory / name).is_file():
            return None
        return self._read(name)

    def _read(self, name: str) -> OutboxMessage:
        raw = (self.directory / name).read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        return OutboxMessage(
            name, str(message["From"]), str(message["To"]), str(message["Subject"]), body,
            str(message["Message-ID"] or ""),
        )  # fmt: skip


def count_copies(messages: list[OutboxMessage]) -> dict[tuple[str, ...], int]:
    """How many times each mail in ``messages`` was received, by :attr:`identity`."""
    return dict(Counter(message.identity for message in messages))
