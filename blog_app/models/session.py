"""A login session, kept as a row on the server (created, last seen) so that it can expire.

The browser holds only a random token; the row holds its SHA-256, so a copy of the database
does not let anyone log in. Expired rows are swept by :meth:`Session.expire_old`. Before
chapter 5 it runs inside every login, and grows slower as rows pile up; chapter 5 makes it a
recurring job (``blog_app.jobs.ExpireSessions``) that deletes a batch per transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as DbSession

from blog_app.models._time import utcnow
from blog_app.models.author import Author
from blog_app.models.base import Base

SWEEP_BATCH = 1000  # expired sessions deleted per transaction by the sweep (chapter 5)


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

    # chapter 5 -------------------------------------------------------------------------------
    @classmethod
    def expire_old(cls, db: DbSession, lifetime: timedelta, batch: int = SWEEP_BATCH) -> int:
        """Delete every session not seen for ``lifetime``, ``batch`` rows per transaction;
        returns how many went.

        Each batch is one DELETE by primary key, committed at once, so the sweep never holds
        a lock on the table for long, and a backlog of a million rows is a thousand short
        transactions rather than one huge one. The cutoff is fixed at the start: sessions
        that expire while the sweep runs wait for the next run, and the loop always ends.
        """
        cutoff = utcnow() - lifetime
        deleted = 0
        while True:
            oldest = select(cls.id).where(cls.last_seen_at < cutoff).limit(batch)
            statement = delete(cls).where(cls.id.in_(oldest))
            # No row is loaded into this session, so nothing in it needs to learn of the delete.
            gone = db.execute(statement.execution_options(synchronize_session=False)).rowcount
            db.commit()
            deleted += gone
            if gone < batch:
                return deleted

    # chapter 5 start: step 2: delete the expired sessions in batches, a transaction each
    # @classmethod
    # def expire_old(cls, db: DbSession, lifetime: timedelta) -> int:
    #     """Delete every session not seen for ``lifetime``; returns how many went.
    #
    #     Row by row through the ORM, as a first version often is: each row is loaded and
    #     deleted on its own, so the cost grows with the pile of expired sessions.
    #     """
    #     cutoff = utcnow() - lifetime
    #     expired = db.scalars(select(cls).where(cls.last_seen_at < cutoff)).all()
    #     for session in expired:
    #         db.delete(session)
    #     db.flush()
    #     return len(expired)
    # chapter 5 end ---------------------------------------------------------------------------

    def is_expired(self, lifetime: timedelta) -> bool:
        return self.unseen_for(lifetime)

    def unseen_for(self, period: timedelta) -> bool:
        """Whether the session was last seen longer than ``period`` ago."""
        return self.last_seen_at < utcnow() - period

    def touch(self) -> None:
        self.last_seen_at = utcnow()
