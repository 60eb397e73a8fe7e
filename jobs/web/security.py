"""What keeps the monitor from being a way into someone's Redis.

Monitors for job queues have a long history of holes: pages that run a job name as script,
buttons that delete a queue when another site's page links to them, dashboards left open to
the internet. Each defence here answers one of those:

1. **Headers** on every response of the monitor, also when it is mounted in another app: a
   Content-Security-Policy of ``default-src 'self'`` (scripts and styles only from our own
   files, so even markup that slipped through escaping could not run), no sniffing, no framing.
2. **Who may look** is decided by the app that mounts the monitor (an ``authorize`` callable);
   the standalone monitor uses HTTP basic auth (:mod:`jobs.web.auth`).
3. **Changes** are POSTs only, and each must carry the CSRF token of the visitor's session and
   must not come from another site (``Sec-Fetch-Site`` / ``Origin``). Read-only mode refuses
   them all.

Escaping itself is Jinja's autoescaping: every value is text, and no template marks one safe.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Response, abort, request, session
from werkzeug.wrappers import Response as BaseResponse

CSP = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
SESSION_KEY = "jobs_web_csrf"
FORM_FIELD = "csrf_token"

# True lets the visitor in; False refuses (403); a response (a redirect to a login page, say)
# is sent instead of the page. Anything else refuses too: a check that forgets to return
# something must not open the monitor to everyone.
Authorize = Callable[[], "bool | BaseResponse"]


def allow_everyone() -> bool:
    """An ``authorize`` that lets everyone in: only for a monitor nobody else can reach."""
    return True


def add_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not (request.endpoint or "").endswith(".static"):
        # Pages show live data and may show secrets kept in Redis: keep them out of caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def csrf_token() -> str:
    """This visitor's token, made on first use and kept in the (signed) session."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def is_cross_site() -> bool:
    """True if the browser says the request comes from another site."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc != request.host


def check_change_allowed(read_only: bool) -> None:
    """Abort unless this POST may change something."""
    if read_only:
        abort(403, "The monitor is read-only.")
    if is_cross_site():
        abort(403, "Cross-site request refused.")
    sent = request.form.get(FORM_FIELD, "")
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, "Missing or wrong CSRF token: reload the page and try again.")


def check_authorized(authorize: Authorize) -> BaseResponse | None:
    """None if the visitor may go on; otherwise the response to send instead."""
    verdict = authorize()
    if verdict is True:
        return None
    if isinstance(verdict, BaseResponse):
        return verdict
    abort(403, "You may not see the jobs monitor.")
