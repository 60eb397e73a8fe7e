"""Security headers on every response of the blog: the policy the queue's monitor already has.

- ``Content-Security-Policy``: scripts, styles, images and forms only from this site, no
  plugins, and no framing by other sites (``frame-ancestors 'none'``). The blog has no inline
  script or style, so markup that slipped past escaping could not run either.
- ``X-Frame-Options: DENY`` says the same to browsers that predate ``frame-ancestors``.
- ``X-Content-Type-Options: nosniff``: an upload is shown as what its type says, never run.
- ``Referrer-Policy: same-origin``: links to other sites do not learn which article (or draft)
  the reader came from.

An image opened on its own gets a policy of its own, ``IMAGE_CSP``: nothing may load or run in
it, but the browser may style the page it wraps an image in (Chromium does so inline, which
the pages' policy would refuse).

The monitor at ``/jobs`` sets the same headers itself (:mod:`jobs.web.security`), so a page
there gets the same values twice over, never two different policies.
"""

from __future__ import annotations

from flask import Response

from jobs.web.security import CSP

IMAGE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
