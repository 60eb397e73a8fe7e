"""The dashboard's word counts (and its other numbers), counted by a job and kept in Redis
(chapter 7).

Counting every word of every article and comment reads every row: about a second with
10,000 articles and 50,000 comments. So the dashboard does not count. The ``RecountWords`` job
(:mod:`blog_app.jobs`) counts, and keeps the result here with the moment it started; the
dashboard reads it back in one Redis command and says how old it is.

The counts live in the blog's own key, next to its login counters (:mod:`blog_app.login_limiter`):

    blog:word-counts   hash: article_words, comment_words, and the dashboard's other
                       numbers (authors, articles, published, comments:STATUS), each a count;
                       computed_at, when the count began (Unix seconds)

not under the queue's namespace: the queue's key map (``jobs/store/keys.py``) holds what the
queue writes, and a cache is the app's business. Redis is the one the blog already uses
(``REDIS_URL``, else the project's own).

Keeping the counts fresh: :func:`recount_after_commits` asks for a recount after every
committed transaction that added, changed or deleted an article or a comment, wherever that
happened (the article form, the publishing job, a comment, the spam check). The recount job is
unique, so a burst of changes queues one recount, not one per change.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as DbSession

from blog_app.models import Article, Author, Comment, CommentStatus
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.settings import RedisNotConfigured
from jobs.store import connect

KEY = "blog:word-counts"
EXTENSION = "blog_word_counts"
CHANGED = "word_counts_changed"  # in a database session's info: a flush touched the words
WORDY = (Article, Comment)  # the rows whose words the dashboard counts
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteCounts:
    """Every number the dashboard shows, counted in one pass by the job.

    The word counts are the slow part. The others are counted here too: each is a scan as
    well (counting the published articles reads every article row, about 50 ms here), and
    numbers of different ages side by side would confuse more than help."""

    authors: int
    articles: int
    published: int
    article_words: int  # words in every article's body
    comment_words: int  # words in every comment
    comments: dict[CommentStatus, int]  # by status
    computed_at: datetime  # aware, UTC: when the count began

    @classmethod
    def count(cls, db: DbSession) -> SiteCounts:
        """Count afresh, reading every article and comment: slow, for a job. The time is
        taken first: a change committed after it may be missing, and the age says so."""
        started = datetime.now(UTC)
        return cls(
            authors=Author.count(db),
            articles=Article.count(db),
            published=Article.count(db, published_only=True),
            article_words=Article.total_word_count(db),
            comment_words=Comment.total_word_count(db),
            comments=Comment.count_by_status(db),
            computed_at=started,
        )

    def as_fields(self) -> dict[str, str]:
        """The hash kept in Redis: one field per number, and ``computed_at`` in Unix seconds."""
        numbers = {name: getattr(self, name) for name in NUMBERS}
        numbers |= {f"comments:{status.value}": n for status, n in self.comments.items()}
        return {name: str(value) for name, value in numbers.items()} | {
            "computed_at": repr(self.computed_at.timestamp())
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> SiteCounts:
        """Read the hash back; KeyError or ValueError if a field is missing or not a number."""
        numbers = {name: int(fields[name]) for name in NUMBERS}
        comments = {status: int(fields[f"comments:{status.value}"]) for status in CommentStatus}
        at = datetime.fromtimestamp(float(fields["computed_at"]), UTC)
        return cls(**numbers, comments=comments, computed_at=at)

    def age_seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now(UTC)) - self.computed_at).total_seconds())

    def age_in_words(self, now: datetime | None = None) -> str:
        """How old the counts are, as a person says it: "less than a second", "12 seconds",
        "3 minutes", "2 hours"."""
        seconds = int(self.age_seconds(now))
        for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds >= size:
                number = seconds // size
                return f"{number} {unit}{'s' if number > 1 else ''}"
        return "less than a second"


NUMBERS = ("authors", "articles", "published", "article_words", "comment_words")


class WordCountCache:
    """The counts in Redis: one HSET to keep them, one HGETALL to read them."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    @classmethod
    def of(cls, app: Flask) -> WordCountCache:
        """The app's cache, on the blog's Redis (made once per app)."""
        if EXTENSION not in app.extensions:
            config = app.config["BLOG"]
            url = config.redis_url or ProjectRedis(default_var_dir()).running_url()
            if url is None:
                raise redis.ConnectionError("no Redis is running: `make redis` starts one")
            app.extensions[EXTENSION] = cls(connect(url))  # redis+sentinel:// too
        cache: WordCountCache = app.extensions[EXTENSION]
        return cache

    def read(self) -> SiteCounts | None:
        """The counts kept last, or None if none are kept (or they cannot be read)."""
        try:
            fields = self._client.hgetall(KEY)
            return SiteCounts.from_fields({k.decode(): v.decode() for k, v in fields.items()})
        except (KeyError, ValueError):
            return None

    def write(self, counts: SiteCounts) -> None:
        self._client.hset(KEY, mapping=counts.as_fields())  # type: ignore[arg-type]

    def clear(self) -> None:
        self._client.delete(KEY)


def forget_counts(app: Flask) -> None:
    """Delete the kept counts (``make reset``: they counted a blog that is gone). Without a
    Redis there is nothing to delete."""
    with contextlib.suppress(redis.ConnectionError):
        WordCountCache.of(app).clear()


# -- asking for a recount when the words change -------------------------------------------------


def recount_after_commits(ask: Callable[[], object]) -> None:
    """Call ``ask`` (enqueue the recount) after each commit of a transaction that added,
    changed or deleted an article or a comment. After the commit, not before: a recount that
    ran before the commit would read the old rows, and count them as fresh.

    If ``ask`` fails (Redis is down), the change is saved all the same; the failure is logged,
    once until asking works again (seeding commits every 500 rows), and the recurring recount
    catches up."""
    failing = False

    def ask_if_changed(db: DbSession) -> None:
        nonlocal failing
        if db.info.pop(CHANGED, False):
            try:
                ask()
                failing = False
            except (ConnectionError, RedisNotConfigured, redis.RedisError) as error:
                if not failing:
                    log.warning(
                        "Could not ask for a word recount (%s); the recurring one will.", error
                    )
                failing = True

    event.listen(DbSession, "after_flush", _note_word_changes)
    event.listen(DbSession, "do_orm_execute", _note_statement_changes)
    event.listen(DbSession, "after_commit", ask_if_changed)
    event.listen(DbSession, "after_rollback", _forget_word_changes)


def _note_word_changes(db: DbSession, _context: object) -> None:
    """Rows added, changed or deleted through the session (``db.add``, ``db.delete``)."""
    touched = (*db.new, *db.dirty, *db.deleted)
    if any(isinstance(row, WORDY) for row in touched):
        db.info[CHANGED] = True


def _note_statement_changes(state: ORMExecuteState) -> None:
    """Rows changed by a statement (``update(Comment)...``), which no flush sees."""
    writes = state.is_insert or state.is_update or state.is_delete
    if writes and state.bind_mapper is not None and state.bind_mapper.class_ in WORDY:
        state.session.info[CHANGED] = True


def _forget_word_changes(db: DbSession) -> None:
    db.info.pop(CHANGED, None)
