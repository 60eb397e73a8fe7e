"""Helpers for the blog's tests: a browser that fills in forms with their CSRF token, and
images made on the fly."""

from __future__ import annotations

import io
import re
import struct
import zlib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import PIL.Image
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session as DbSession
from werkzeug.test import TestResponse

from blog_app.models import Article, Author, Comment
from blog_app.outside.outbox import Outbox

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Browser:
    """The Flask test client, plus what a person's browser does with forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def csrf_token(self, page: str) -> str:
        match = CSRF.search(self.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(
        self, page: str, data: dict[str, Any], action: str | None = None, **kwargs: Any
    ) -> TestResponse:
        """Open ``page``, then post ``data`` with the page's CSRF token to ``action``."""
        fields = {**data, "csrf_token": self.csrf_token(page)}
        return self.client.post(action or page, data=fields, **kwargs)

    def log_in(self, email: str, password: str) -> TestResponse:
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def text(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, response.status
        return response.get_data(as_text=True)


def published_article(db: DbSession, author: Author) -> Article:
    """A published article by ``author``, committed."""
    article = Article(author=author, title="On queues", body="Workers take jobs.")
    article.publish()
    db.add(article)
    db.commit()
    return article


def image_bytes(width: int = 64, height: int = 48, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", (width, height), (200, 80, 40)).save(out, fmt)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_header(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims these dimensions, with no real pixel data behind it."""
    return _png_header(width, height) + _png_chunk(b"IDAT", b"garbage")


def solid_png(width: int, height: int) -> bytes:
    """A real, valid PNG of one colour: tiny on disk, huge once decoded. Compressed a row at a
    time, so that making it never holds the decoded pixels."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x30\x60\x90" * width  # filter type 0, then the pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return _png_header(width, height) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def broken_png() -> bytes:
    """A real PNG header and the start of its data, cut short: fine until decoded."""
    whole = image_bytes(300, 200)
    return whole[: len(whole) // 2]


def mail_in_outbox(outbox_dir: Path, address: str, subject: str) -> str:
    """A mail to ``address`` as the SMTP sink would store it; returns its name in the outbox."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "blog@localhost", address, subject
    message.set_content("A comment.")
    return Outbox(outbox_dir).store(message.as_bytes())


def deleted_per_transaction(engine: Engine, table: str) -> list[int]:
    """From now on, how many rows of ``table`` each committed transaction on ``engine``
    removed, in order (transactions that removed none are left out). Counted just before each
    commit, so it holds however the rows went: ORM, bulk DELETE, RETURNING or executemany."""
    committed: list[int] = []
    with engine.connect() as connection:
        before = [connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()]

    @event.listens_for(engine, "commit")
    def count(connection: Connection) -> None:
        now = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
        if now < before[0]:
            committed.append(before[0] - now)
        before[0] = now

    return committed


def published_draft_and_comment(db: DbSession, author: Author) -> Article:
    """A published article (4 words), a draft (2 words) and a pending comment (3 words) on the
    published one, committed; returns the published article."""
    article = Article(author=author, title="t", body="one two three four")
    article.publish()
    db.add_all([article, Article(author=author, title="d", body="five six")])
    db.add(Comment(article=article, author_name="A", body="seven eight nine"))
    db.commit()
    return article
