"""Who may use the standalone monitor: HTTP basic auth, or nobody beyond this machine.

``JOBS_WEB_USER`` and ``JOBS_WEB_PASSWORD`` set the one user. With neither, the monitor has
no password, so it only listens on loopback (127.0.0.1, ::1), where only people logged in to
this machine can reach it; it refuses any other address. Setting only one of the two is a
mistake we say out loud rather than guess about.

Listening on loopback is not enough on its own: with *DNS rebinding*, a web page on
``attacker.example`` makes its name point at 127.0.0.1, and the visitor's browser then talks
to the monitor as if it were that site, reading pages and sending their forms. Such requests
carry the attacker's name in their ``Host`` header, so a monitor without a password answers
only requests addressed to a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``, with any
port), as Jupyter and other local web tools do. To reach it by another name (through an SSH
tunnel with an alias, say), list that name in ``JOBS_WEB_ALLOWED_HOSTS`` (comma-separated).

Inside another app (the blog), that app decides who may look: see :mod:`jobs.web.blueprint`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Response, abort, request
from werkzeug.wrappers import Response as BaseResponse

from jobs.web.security import Authorize

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class AuthSetupError(ValueError):
    """The user/password environment does not make sense, or no password on a public address."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials | None:
        user = environ.get("JOBS_WEB_USER", "")
        password = environ.get("JOBS_WEB_PASSWORD", "")
        if bool(user) != bool(password):
            raise AuthSetupError("set both JOBS_WEB_USER and JOBS_WEB_PASSWORD, or neither")
        return cls(user, password) if user else None

    def accepts(self, user: str, password: str) -> bool:
        # Compare both, always, in constant time: how long a wrong guess takes tells nothing.
        user_ok = hmac.compare_digest(user.encode(), self.user.encode())
        password_ok = hmac.compare_digest(password.encode(), self.password.encode())
        return user_ok and password_ok


def basic_auth(credentials: Credentials) -> Authorize:
    """An ``authorize`` check that asks the browser for this user and password."""

    def check() -> bool:
        given = request.authorization
        if given is None or given.type != "basic":
            _challenge()
        assert given is not None
        if not credentials.accepts(given.username or "", given.password or ""):
            _challenge()
        return True

    return check


def _challenge() -> None:
    response = Response("Log in to see the jobs monitor.\n", 401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = 'Basic realm="jobs monitor", charset="UTF-8"'
    abort(response)


def allowed_hosts_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """Loopback names, and those listed in ``JOBS_WEB_ALLOWED_HOSTS``."""
    listed = environ.get("JOBS_WEB_ALLOWED_HOSTS", "").split(",")
    return LOOPBACK | {name.strip().lower() for name in listed if name.strip()}


def host_name(host_header: str) -> str:
    """The name in a ``Host`` header, without its port or an IPv6 address's brackets."""
    try:
        return urlsplit("//" + host_header).hostname or ""
    except ValueError:
        return ""


def only_hosts(allowed: frozenset[str]) -> Authorize:
    """An ``authorize`` check that answers only requests addressed to one of these names."""

    def check() -> bool | BaseResponse:
        if host_name(request.host) in allowed:
            return True
        return Response(
            "This jobs monitor has no password, so it only answers requests addressed to"
            " localhost, 127.0.0.1 or [::1] (or a name in JOBS_WEB_ALLOWED_HOSTS).\n",
            403,
            mimetype="text/plain",
        )

    return check


def standalone_authorize(
    credentials: Credentials | None, host: str, allowed_hosts: frozenset[str] = LOOPBACK
) -> Authorize:
    """Basic auth if there are credentials; without, only a loopback address is allowed, and
    only requests addressed to ``allowed_hosts`` are answered."""
    if credentials is not None:
        return basic_auth(credentials)
    if host not in LOOPBACK:
        raise AuthSetupError(
            f"refusing to listen on {host} without a password: set JOBS_WEB_USER and"
            " JOBS_WEB_PASSWORD, or listen on 127.0.0.1"
        )
    return only_hosts(allowed_hosts | LOOPBACK)
