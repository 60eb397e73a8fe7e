"""Failed logins, counted in Redis, so that guessing a password is slow for anyone who tries.

Two counters, and a login is refused while either is full:

- **per account**: failures for one email address (``login_failures_per_account``, 5 by
  default), whatever address they come from: guessing one author's password;
- **per address**: failures from one client address (``login_failures_per_address``, 20),
  whatever email they name: trying one password on many accounts.

Each counter starts at the first failure and empties ``login_failure_window`` seconds later
(15 minutes). While it is full, even the right password is refused, without being checked, or a
guesser would learn when a guess was right. A successful login empties that account's counter,
not the address's (an attacker with an account of their own could otherwise reset it between
guesses). Unknown emails are counted exactly like known ones, so the counters say nothing about
who has an account.

The keys are the blog's own, outside the queue's namespace (the queue's key map,
``jobs/store/keys.py``, does not cover them). A learner sees them in the monitor's Stats tab:

    blog:login-failures:account:<sha256 of the email, lower case>   a count, with an expiry
    blog:login-failures:address:<the client's IP address>           a count, with an expiry

The email is hashed so that Redis, and the monitor's key browser, never list who tried to log
in. Redis is the one the blog already uses (``REDIS_URL``, else the project's own). A blog with
no Redis at all (``make blog`` before ``make redis``) does not count, and logs that once; a Redis
that is configured but does not answer refuses logins (a 503 page) rather than stop counting.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis
from flask import Flask, current_app

from blog_app.config import BlogConfig
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.store import connect

PREFIX = "blog:login-failures"
EXTENSION = "blog_login_limiter"
log = logging.getLogger(__name__)


def account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"{PREFIX}:account:{digest}"


def address_key(address: str) -> str:
    return f"{PREFIX}:address:{address}"


@dataclass(frozen=True)
class Limit:
    key: str
    allowed: int


class LoginLimiter:
    def __init__(self, config: BlogConfig) -> None:
        self.config = config
        self._client: redis.Redis | None = None
        self._warned = False

    def _redis(self) -> redis.Redis | None:
        # Looked up until found: the project's Redis may start after the blog.
        if self._client is None:
            url = self.config.redis_url or ProjectRedis(default_var_dir()).running_url()
            if url is None:
                if not self._warned:
                    log.warning("No Redis: failed logins are not counted until one runs.")
                    self._warned = True
                return None
            self._client = connect(url)  # any URL the queue takes, redis+sentinel:// too
        return self._client

    def _limits(self, email: str, address: str) -> list[Limit]:
        return [
            Limit(account_key(email), self.config.login_failures_per_account),
            Limit(address_key(address), self.config.login_failures_per_address),
        ]

    def seconds_blocked(self, email: str, address: str) -> int:
        """0 if this login may be tried; else how long until it may."""
        client = self._redis()
        if client is None:
            return 0
        limits = self._limits(email, address)
        with client.pipeline(transaction=False) as pipe:
            for limit in limits:
                pipe.get(limit.key)
                pipe.ttl(limit.key)
            answers = pipe.execute()
        waits = [
            max(int(ttl), 1)
            for limit, count, ttl in zip(limits, answers[::2], answers[1::2], strict=True)
            if count is not None and int(count) >= limit.allowed
        ]
        return max(waits, default=0)

    def record_failure(self, email: str, address: str) -> None:
        client = self._redis()
        if client is None:
            return
        window = int(self.config.login_failure_window)
        with client.pipeline(transaction=True) as pipe:
            for limit in self._limits(email, address):
                # SET NX EX then INCR, in one transaction: the expiry is set once, at the
                # first failure, and a counter never lives on without one.
                pipe.set(limit.key, 0, ex=window, nx=True)
                pipe.incr(limit.key)
            pipe.execute()

    def record_success(self, email: str) -> None:
        client = self._redis()
        if client is not None:
            client.delete(account_key(email))


def init_app(app: Flask, config: BlogConfig) -> None:
    app.extensions[EXTENSION] = LoginLimiter(config)


def login_limiter() -> LoginLimiter:
    limiter: LoginLimiter = current_app.extensions[EXTENSION]
    return limiter
