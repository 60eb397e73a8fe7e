"""A notification: one email the blog owes someone, and whether it went (chapter 6).

Email is a side effect that cannot be taken back, and a job runs *at least* once. So the blog
writes down each mail it owes as a row with a unique ``key`` (``comment-42-author``: the mail
to the author of the article that comment 42 is on), in the same transaction as the comment
(the *transactional outbox*), and the job that sends it keeps the row up to date:

1. **before sending**, it *claims* the row for a short lease (``claimed_until``), in one
   conditional ``UPDATE``, so that two runs at the same moment do not both send;
2. **after** the SMTP server accepted the mail, it sets ``sent_at``: every later run of the
   same job finds it and does nothing.

What is left is a narrow window: a worker that dies after the SMTP server accepted the mail
and before ``sent_at`` is committed leaves the row unsent, and the mail goes again later. The
``Message-ID`` (:meth:`message_id`) is the same each time, derived from the key, so that a
mail system (and the blog's ``/outbox/`` page) can tell it is the same message.

``tried_at`` is when a run last claimed it: the sweep (``blog_app.jobs.SweepNotifications``)
sends again only rows that nobody tried for a while.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as DbSession

from blog_app.models._time import utcnow
from blog_app.models.base import Base
from blog_app.models.comment import Comment


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    tried_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    comment: Mapped[Comment] = relationship()

    @staticmethod
    def key_for(comment_id: int) -> str:
        """The key of the mail that tells the article's author about a comment."""
        return f"comment-{comment_id}-author"

    @classmethod
    def for_comment(cls, comment: Comment) -> Notification:
        """The mail the article's author is owed for ``comment``; add it in the comment's own
        transaction. The comment needs its id first: flush before calling."""
        return cls(key=cls.key_for(comment.id), comment=comment)

    @classmethod
    def find(cls, db: DbSession, comment_id: int) -> Notification | None:
        return db.scalars(select(cls).where(cls.key == cls.key_for(comment_id))).one_or_none()

    @classmethod
    def claim(cls, db: DbSession, notification_id: int, lease: timedelta) -> bool:
        """Take the row for ``lease`` to send its mail: True if this call took it; False if
        it was sent, or another run holds it. The condition sits in the UPDATE itself, so the
        database settles a race between two runs: one matches the row, the other none."""
        now = utcnow()
        free = (cls.claimed_until.is_(None)) | (cls.claimed_until < now)
        claimable = (cls.id == notification_id) & cls.sent_at.is_(None) & free
        change = update(cls).where(claimable).values(claimed_until=now + lease, tried_at=now)
        return bool(db.execute(change.execution_options(synchronize_session=False)).rowcount)

    @classmethod
    def release(cls, db: DbSession, notification_id: int) -> None:
        """Give the row back after a failed attempt, so that the job's retry may claim it."""
        change = update(cls).where(cls.id == notification_id).values(claimed_until=None)
        db.execute(change.execution_options(synchronize_session=False))

    @classmethod
    def mark_sent(cls, db: DbSession, notification_id: int) -> None:
        change = update(cls).where(cls.id == notification_id)
        change = change.values(sent_at=utcnow(), claimed_until=None)
        db.execute(change.execution_options(synchronize_session=False))

    @classmethod
    def unsent(cls, db: DbSession, quiet_for: timedelta) -> list[int]:
        """The comment ids of the mail not sent yet and not tried for ``quiet_for`` (nor
        written in that time): what a sweep sends again."""
        last_touched = func.coalesce(cls.tried_at, cls.created_at)
        query = select(cls.comment_id).where(cls.sent_at.is_(None))
        query = query.where(last_touched < utcnow() - quiet_for).order_by(cls.id)
        return list(db.scalars(query))

    def message_id(self, sender: str) -> str:
        """The same ``Message-ID`` however many times the mail is sent: from the key."""
        domain = sender.rpartition("@")[2] or "localhost"
        return f"<{self.key}@{domain}>"

    def message(self, sender: str) -> EmailMessage:
        message = self.comment.notification_for_author(sender)
        message["Message-ID"] = self.message_id(sender)
        return message
