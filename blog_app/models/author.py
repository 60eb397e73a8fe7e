"""An author: someone who signs up, logs in and writes articles.

Passwords are stored as salted hashes (Werkzeug's). Sessions live in :mod:`.session`. An admin
(``is_admin``) may also see the job monitor and every mail in the outbox; signing up never
makes one (the demo account is one; ``flask --app blog_app grant-admin EMAIL`` makes others).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, false, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as DbSession
from werkzeug.security import check_password_hash, generate_password_hash

from blog_app.models._time import utcnow
from blog_app.models.base import Base

if TYPE_CHECKING:
    from blog_app.models.article import Article


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())

    articles: Mapped[list[Article]] = relationship(
        back_populates="author", cascade="all, delete-orphan"
    )

    @classmethod
    def sign_up(
        cls, db: DbSession, name: str, email: str, password: str, method: str = "scrypt"
    ) -> Author:
        author = cls(name=name.strip(), email=cls.normalize_email(email))
        author.set_password(password, method)
        db.add(author)
        return author

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    @classmethod
    def find_by_email(cls, db: DbSession, email: str) -> Author | None:
        query = select(cls).where(cls.email == cls.normalize_email(email))
        return db.scalars(query).first()

    @classmethod
    def email_taken(cls, db: DbSession, email: str) -> bool:
        return cls.find_by_email(db, email) is not None

    @classmethod
    def authenticate(
        cls, db: DbSession, email: str, password: str, method: str = "scrypt"
    ) -> Author | None:
        """The author with this email and password, or None.

        An unknown email costs the same password check as a known one (against a hash made
        with ``method``, the blog's own), so the time a login takes says nothing about who
        has an account."""
        author = cls.find_by_email(db, email)
        if author is None:
            check_password_hash(_stand_in_hash(method), password)
            return None
        return author if author.check_password(password) else None

    @classmethod
    def count(cls, db: DbSession) -> int:
        return db.scalar(select(func.count()).select_from(cls)) or 0

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@functools.cache
def _stand_in_hash(method: str) -> str:
    # The hash of a password nobody has: made once per method, checked against for unknown emails.
    return generate_password_hash("no author has this password", method)
