"""A comment on an article, left by a visitor. It is *pending* until a spam check scores it,
then *published* or *held* for the author to look at.

The check itself is a third-party API call (:class:`blog_app.services.spam_check.SpamCheck`)
and the author's notification is an email (:mod:`blog_app.services.mailer`); the comment only
knows what the score means and what the email says.
"""

from __future__ import annotations

import enum
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import Enum, Float, ForeignKey, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as DbSession

from blog_app.models._time import utcnow
from blog_app.models.article import Article, count_words, single_line
from blog_app.models.base import Base


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HELD = "held"


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        Enum(CommentStatus, native_enum=False, length=16), default=CommentStatus.PENDING
    )
    spam_score: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="comments")

    def __init__(self, **fields: object) -> None:
        # Column defaults apply only on INSERT; a new comment is pending from the start.
        fields.setdefault("status", CommentStatus.PENDING)
        super().__init__(**fields)

    @property
    def word_count(self) -> int:
        return count_words(self.body)

    def record_spam_score(self, score: float, threshold: float) -> None:
        """Publish the comment if the score is below ``threshold``, else hold it."""
        self.spam_score = score
        self.status = self.verdict(score, threshold)

    @staticmethod
    def verdict(score: float, threshold: float) -> CommentStatus:
        return CommentStatus.HELD if score >= threshold else CommentStatus.PUBLISHED

    @classmethod
    def decide(
        cls, db: DbSession, comment_id: int, status: CommentStatus, score: float | None = None
    ) -> bool:
        """Publish or hold a pending comment: True if this call decided it, False if it was
        decided already (or is gone).

        The decision is made once. A job runs at least once, so two runs of the same spam
        check may both get here, and a late one must not overturn the first, nor what the
        author did since. The condition ``status = 'pending'`` sits in the UPDATE itself, so
        the database settles a race between two workers: one matches the row, the other
        matches none.
        """
        pending = (cls.id == comment_id) & (cls.status == CommentStatus.PENDING)
        change = update(cls).where(pending).values(status=status, spam_score=score)
        done = db.execute(change.execution_options(synchronize_session="fetch"))
        return bool(done.rowcount)

    def notification_for_author(self, sender: str) -> EmailMessage:
        """The email that tells the article's author about this comment."""
        # single_line again: a title saved before titles were cleaned may hold a line break,
        # which would make the Subject header invalid (and the comment fail to post).
        title = single_line(self.article.title)
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.article.author.email
        message["Subject"] = f"New comment on “{title}”"
        message.set_content(
            f"Hello {self.article.author.name},\n\n"
            f"{self.author_name} commented on “{title}”:\n\n"
            f"{self.body}\n\n"
            f"Status: {self.status.value}.\n"
        )
        return message

    @classmethod
    def count_by_status(cls, db: DbSession) -> dict[CommentStatus, int]:
        counts = dict.fromkeys(CommentStatus, 0)
        query = select(cls.status, func.count()).group_by(cls.status)
        for status, number in db.execute(query):
            counts[status] = number
        return counts

    @classmethod
    def total_word_count(cls, db: DbSession) -> int:
        """Words in every comment, counted afresh on every call (chapter 7 caches this)."""
        return sum(count_words(body) for body in db.scalars(select(cls.body)))
