"""Where to go after logging in: the ``next`` parameter, accepted only as a path on this site.

``next`` comes from the URL, so anyone can write a link that sets it. Judging it as a string
is not enough, because a browser reads a ``Location`` header more loosely than Python does: it
drops tabs and newlines anywhere, trims control characters and spaces at both ends, and takes
a backslash for a slash. ``/\\t/evil.example`` looks like a path to ``startswith("/")``, but
Werkzeug drops the tab and the browser follows ``//evil.example``: another site.

So a target is refused if it holds anything a browser would rewrite (any control character,
space, backslash or non-ASCII character); what remains must be a path (one leading slash, not
two) with no scheme and no host. A refused target is not an error: the author goes to the
front page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Printable ASCII without the space and the backslash: nothing a browser would drop or rewrite.
PLAIN = re.compile(r"[!-\[\]-~]*")


def is_local_path(target: str) -> bool:
    """True if a browser sent to ``target`` stays on this site, at a path of it."""
    if not PLAIN.fullmatch(target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    return target if target and is_local_path(target) else fallback
