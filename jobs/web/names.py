"""Queue names in URLs: every queue gets a link that leads to it, whatever its name.

A queue's name is whatever someone wrote: ``x/../../failed``, ``..``, or bytes that are not
UTF-8. Put in a path as it is, the first becomes a link that the browser tidies into
``/failed``, and the last cannot be carried at all (paths are read as UTF-8). So:

1. A name that is UTF-8, holds no ``/`` and is not ``.`` or ``..`` is its own path segment,
   percent-encoded: ``/queues/mail``, ``/queues/a%20b``.
2. Any other name travels as the hex of its bytes: ``/queues/-?hex=2e2e``. The path is then a
   placeholder; ``hex`` decides.

Forms name a queue the same way (a ``queue_hex`` field), so the buttons act on exactly the
queue the page shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort, url_for

PLACEHOLDER = "-"


@dataclass(frozen=True)
class QueueName:
    raw: bytes

    @property
    def text(self) -> str:
        """The name to show (bytes that are not UTF-8 are replaced)."""
        return self.raw.decode("utf-8", "replace")

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def fits_a_path(self) -> bool:
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return bool(text) and "/" not in text and text not in (".", "..")


def queue_url(name: QueueName) -> str:
    """The URL of a queue's page."""
    if name.fits_a_path:
        return url_for(".queue", name=name.text)
    return url_for(".queue", name=PLACEHOLDER, hex=name.hex)


def from_hex(text: str) -> QueueName:
    try:
        return QueueName(bytes.fromhex(text))
    except ValueError:
        abort(400, "The queue's name is given in hex.")


def queue_in_url(path_name: str, args: Mapping[str, str]) -> QueueName:
    """The queue a page's URL names (see the module doc)."""
    if "hex" in args:
        return from_hex(args["hex"])
    return QueueName(path_name.encode())


def queue_in_form(form: Mapping[str, str]) -> QueueName:
    """The queue a button's form names: ``queue_hex``, or else ``queue`` as text."""
    if "queue_hex" in form:
        return from_hex(form["queue_hex"])
    return QueueName(form.get("queue", "").encode())
