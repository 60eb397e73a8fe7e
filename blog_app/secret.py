"""The key that signs the blog's session cookie: made on the first run, never a known default.

Flask signs the session cookie (it carries the CSRF token and flashed messages) with
``SECRET_KEY``. A key that ships in the source is no key at all: anyone who reads the repository
can forge a session and mint their own CSRF token. So:

- ``SECRET_KEY`` from the environment wins, unless it is a known default;
- otherwise the blog makes a random key on its first run and keeps it in
  ``var/blog/secret_key`` (readable by its owner only), so that every process of the blog (the
  web server, a worker, ``flask`` commands) and every restart uses the same one;
- tests (``testing=True``) without a key get a random one for the app they build.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from blog_app.config import BlogConfig, default_blog_dir

# Keys that were once defaults here or are in Flask's docs: refused outside tests.
KNOWN_DEFAULTS = frozenset({"dev-only-secret-change-me", "dev", "change-me", "secret"})


class WeakSecretKey(RuntimeError):
    """The configured SECRET_KEY is a known default."""


def secret_key_file() -> Path:
    return default_blog_dir() / "secret_key"


def resolve_secret_key(config: BlogConfig) -> str:
    """The key this app signs with (see the module docstring)."""
    if config.secret_key in KNOWN_DEFAULTS and not config.testing:
        raise WeakSecretKey(
            f"SECRET_KEY is set to a published default ({config.secret_key!r}): anyone could "
            "forge a session. Unset it (the blog then makes its own in var/blog/secret_key) "
            "or set a long random value."
        )
    if config.secret_key:
        return config.secret_key
    if config.testing:
        return secrets.token_hex(32)
    return load_or_create(secret_key_file())


def load_or_create(path: Path) -> str:
    """The key stored in ``path``; made there first if missing. Two processes starting at once
    agree: the file appears whole (a hard link of a finished file) and only once."""
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):  # another process was first: use theirs
            os.link(temp, path)
    finally:
        os.unlink(temp)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise WeakSecretKey(f"{path} is empty: delete it and the blog makes a new key.")
    return key
