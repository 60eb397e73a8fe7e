"""An article: written by an author, a draft until published, with an optional image and
comments.

Two slow things live here on purpose: :meth:`Article.publish` sleeps for the configured fake
delay (chapter 1 adds it, chapter 2 moves it into a job), and :meth:`Article.total_word_count`
reads every article on each call (chapter 7 caches it and computes it in the background).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ForeignKey, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.orm import Session as DbSession

from blog_app.models._time import utcnow
from blog_app.models.author import Author
from blog_app.models.base import Base

if TYPE_CHECKING:
    from blog_app.models.comment import Comment
    from blog_app.models.image import Image


def count_words(text: str) -> int:
    return len(text.split())


def single_line(text: str) -> str:
    """``text`` on one line: every run of whitespace, line breaks included, becomes one space.

    A title goes into an email's Subject header, where a line break would start a new header."""
    return " ".join(text.split())


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    author: Mapped[Author] = relationship(back_populates="articles")
    image: Mapped[Image | None] = relationship(
        back_populates="article", cascade="all, delete-orphan", uselist=False
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Comment.created_at"
    )

    @validates("title")
    def _title_on_one_line(self, _key: str, title: str) -> str:
        return single_line(title)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def word_count(self) -> int:
        return count_words(self.body)

    def publish(self, delay: float = 0.0) -> None:
        """Make the article public.

        ``delay`` is the workshop's fake delay (the ``PUBLISH_DELAY`` setting): it stands for
        any slow work done when publishing, so that chapter 1 can feel it and chapter 2 can
        move it out of the request.
        """
        # chapter 1 ---------------------------------------------------------------------------
        if delay > 0:
            time.sleep(delay)  # stands for the real slow work that publishing would do
        # chapter 1 start: step 2: wait `delay` seconds here, before publishing
        # chapter 1 end -----------------------------------------------------------------------
        if self.published_at is None:
            self.published_at = utcnow()

    def unpublish(self) -> None:
        self.published_at = None

    def can_be_seen_by(self, author: Author | None) -> bool:
        return self.is_published or (author is not None and author.id == self.author_id)

    def can_be_changed_by(self, author: Author | None) -> bool:
        return author is not None and author.id == self.author_id

    @classmethod
    def listing(cls, db: DbSession, viewer: Author | None, limit: int = 50) -> list[Article]:
        """Newest first: every published article, and the viewer's own drafts."""
        visible: ColumnElement[bool] = cls.published_at.is_not(None)
        if viewer is not None:
            visible = or_(visible, cls.author_id == viewer.id)
        query = select(cls).where(visible).order_by(cls.created_at.desc(), cls.id.desc())
        return list(db.scalars(query.limit(limit)))

    @classmethod
    def count(cls, db: DbSession, published_only: bool = False) -> int:
        query = select(func.count()).select_from(cls)
        if published_only:
            query = query.where(cls.published_at.is_not(None))
        return db.scalar(query) or 0

    @classmethod
    def total_word_count(cls, db: DbSession) -> int:
        """Words in every article's body, counted afresh on every call.

        Deliberately naive: it reads every body out of the database and splits it in
        Python, so the dashboard gets slower with every article written.
        """
        return sum(count_words(body) for body in db.scalars(select(cls.body)))
