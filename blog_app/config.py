"""The blog's settings: one small object built from the environment and passed to create_app.

Every process of the blog (the web server, a worker running the blog's jobs, the seed command)
builds its settings the same way, so a job sees the same database, uploads and outside services
as the request that enqueued it. Nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

from jobs.dev.project_redis import default_var_dir

MB = 1024 * 1024


def default_blog_dir() -> Path:
    """Where the dev blog keeps its database, uploads and outbox: ``var/blog``."""
    return default_var_dir() / "blog"


@dataclass(frozen=True)
class BlogConfig:
    database_url: str = ""
    # Signs the session cookie that holds the CSRF token and flashed messages. Empty: the blog
    # makes one on its first run and keeps it in var/blog/secret_key (see blog_app.secret).
    secret_key: str = ""
    upload_dir: Path = field(default_factory=lambda: default_blog_dir() / "uploads")
    outbox_dir: Path = field(default_factory=lambda: default_blog_dir() / "outbox")
    spam_api_url: str = "http://127.0.0.1:8025"
    spam_api_timeout: float = 2.0
    spam_threshold: float = 0.5
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8026
    smtp_timeout: float = 5.0
    mail_from: str = "blog@localhost"
    # Chapter 6: the sweep mails again what nobody tried to send for this long (seconds).
    mail_sweep_after: float = 600.0
    # Chapter 6's switches for breaking things on purpose (blog_app.workshop.lab): a job class name.
    crash_after_job: str = ""  # kill the worker after this job's perform, before the ack
    crash_before_enqueue: str = ""  # the request dies between its commit and this enqueue
    # The fake delay: seconds that publishing an article takes (PUBLISH_DELAY).
    # chapter 1 -----------------------------------------------------------------------------
    publish_delay: float = 2.0
    # chapter 1 start: step 2: make the fake delay two seconds
    # publish_delay: float = 0.0
    # chapter 1 end -------------------------------------------------------------------------
    session_lifetime: float = 14 * 24 * 3600.0  # seconds since last seen
    # Werkzeug's default (scrypt) is slow on purpose, against guessing; tests pick a quick one.
    password_hash_method: str = "scrypt"
    # Failed logins before logging in is refused for a while (blog_app.login_limiter).
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_failure_window: float = 15 * 60.0  # seconds, from the first failure
    max_upload_bytes: int = 20 * MB
    max_image_pixels: int = 40_000_000  # 4000x3000 is 12 M; a bomb claims far more
    thumbnail_sizes: tuple[int, ...] = (1600, 800, 400, 160)
    # The queue's Redis, for the monitor at /jobs; empty: the project's own, if it is running.
    redis_url: str = ""
    jobs_namespace: str = "resque"
    testing: bool = False

    def __post_init__(self) -> None:
        if not self.database_url:
            url = f"sqlite:///{default_blog_dir() / 'blog.sqlite3'}"
            object.__setattr__(self, "database_url", url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        base = cls()
        overrides: dict[str, Any] = {}
        for name, variable, kind in _ENVIRONMENT:
            if variable in env:
                overrides[name] = kind(env[variable])
        return replace(base, **overrides)

    def with_changes(self, **changes: Any) -> Self:
        return replace(self, **changes)

    def environment(self) -> dict[str, str]:
        """These settings as environment variables, for a worker or server we start."""
        return {variable: str(getattr(self, name)) for name, variable, _ in _ENVIRONMENT}


_ENVIRONMENT: list[tuple[str, str, Any]] = [
    ("database_url", "DATABASE_URL", str),
    ("secret_key", "SECRET_KEY", str),
    ("upload_dir", "BLOG_UPLOAD_DIR", Path),
    ("outbox_dir", "BLOG_OUTBOX_DIR", Path),
    ("spam_api_url", "SPAM_API_URL", str),
    ("spam_api_timeout", "SPAM_API_TIMEOUT", float),
    ("smtp_host", "SMTP_HOST", str),
    ("smtp_port", "SMTP_PORT", int),
    ("mail_sweep_after", "MAIL_SWEEP_AFTER", float),
    ("crash_after_job", "BLOG_CRASH_AFTER_JOB", str),
    ("crash_before_enqueue", "BLOG_CRASH_BEFORE_ENQUEUE", str),
    ("publish_delay", "PUBLISH_DELAY", float),
    ("session_lifetime", "SESSION_LIFETIME", float),
    ("redis_url", "REDIS_URL", str),
    ("jobs_namespace", "JOBS_NAMESPACE", str),
]
