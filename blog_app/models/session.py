"""A login session, kept as a row on the server (created, last seen) so that it can expire.

The browser holds only a random token; the row holds its SHA-256, so a copy of the database
does not let anyone log in. Expired rows are swept by :meth:`Session.expire_old`, which for now
runs inside every login and grows slower as rows pile up (chapter 5 makes it a recurring job).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as DbSession

from blog_app.models._time import utcnow
from blog_app.models.author import Author
from blog_app.models.base import Base


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    author: Mapped[Author] = relationship()

    @classmethod
    def start(cls, db: DbSession, author: Author) -> tuple[Session, str]:
        """A new session for ``author``; returns it with the token for the browser's cookie."""
        token = secrets.token_urlsafe(32)
        session = cls(token_hash=_digest(token), author=author)
        db.add(session)
        return session, token

    @classmethod
    def find_live(cls, db: DbSession, token: str, lifetime: timedelta) -> Session | None:
        """The session this token opened, unless it has expired."""
        session = db.scalars(select(cls).where(cls.token_hash == _digest(token))).first()
        if session is None or session.is_expired(lifetime):
            return None
        return session

    @classmethod
    def expire_old(cls, db: DbSession, lifetime: timedelta) -> int:
        """Delete every session not seen for ``lifetime``; returns how many went.

        Row by row through the ORM, as a first version often is: each row is loaded and
        deleted on its own, so the cost grows with the pile of expired sessions.
        """
        cutoff = utcnow() - lifetime
        expired = db.scalars(select(cls).where(cls.last_seen_at < cutoff)).all()
        for session in expired:
            db.delete(session)
        db.flush()
        return len(expired)

    def is_expired(self, lifetime: timedelta) -> bool:
        return self.unseen_for(lifetime)

    def unseen_for(self, period: timedelta) -> bool:
        """Whether the session was last seen longer than ``period`` ago."""
        return self.last_seen_at < utcnow() - period

    def touch(self) -> None:
        self.last_seen_at = utcnow()
