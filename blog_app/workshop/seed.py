"""Seed data: a demo author, and articles and comments in readable, made-up prose, with images.

The text is built from a small vocabulary, so that word counts and page sizes look like a real
blog's; the images are drawn with Pillow and go through the same upload path as a real one.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import PIL.Image
import PIL.ImageDraw
from sqlalchemy.orm import Session as DbSession

from blog_app.config import BlogConfig
from blog_app.models import Article, Author, Comment, CommentStatus
from blog_app.services.uploads import attach_image, inspect_upload, make_thumbnails_now

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "workshop-demo"
BATCH = 500  # rows per commit: large enough to be quick, small enough to show progress

SUBJECTS = ["The worker", "A queue", "Our team", "The blog", "Every request", "A retry", "Redis"]
VERBS = ["waits for", "picks up", "moves", "measures", "explains", "slows down", "hands over"]
OBJECTS = [
    "the slow thumbnail", "a failed job", "the morning traffic", "an email to the author",
    "the dashboard", "each expired session", "the spam score", "a long upload",
]  # fmt: skip
ENDINGS = ["before lunch.", "in the background.", "at once.", "without fuss.", "again."]
TOPICS = ["Queues", "Workers", "Thumbnails", "Retries", "Email", "Sessions", "Word counts"]
NAMES = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Guido"]


@dataclass(frozen=True)
class SeedPlan:
    articles: int
    comments: int
    images: bool = True
    seed: int = 7


def sentence(rng: random.Random) -> str:
    parts = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(ENDINGS))
    return " ".join(parts)


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def demo_author(db: DbSession, config: BlogConfig) -> Author:
    """The demo account, created if missing. It is an admin: the workshop's README logs in with
    it to show the job monitor and the outbox."""
    author = Author.find_by_email(db, DEMO_EMAIL)
    if author is None:
        method = config.password_hash_method
        author = Author.sign_up(db, "Demo Author", DEMO_EMAIL, DEMO_PASSWORD, method)
    author.is_admin = True
    db.flush()
    return author


def seed(
    db: DbSession, config: BlogConfig, plan: SeedPlan, advance: Callable[[int], None]
) -> Author:
    """Write ``plan``'s rows, calling ``advance(n)`` as each batch of n rows is committed."""
    rng = random.Random(plan.seed)
    author = demo_author(db, config)
    article_ids: list[int] = []
    for batch in _batches(plan.articles):
        articles = [_article(rng, author) for _ in range(batch)]
        db.add_all(articles)
        db.flush()
        if plan.images:
            for article in articles:
                _attach_drawn_image(db, article, rng, config)
        article_ids += [article.id for article in articles]
        db.commit()
        advance(batch)
    _seed_comments(db, rng, article_ids, plan.comments, advance)
    return author


def _batches(total: int) -> Iterator[int]:
    while total > 0:
        yield min(BATCH, total)
        total -= BATCH


def _article(rng: random.Random, author: Author) -> Article:
    body = "\n\n".join(paragraph(rng, rng.randint(3, 7)) for _ in range(rng.randint(2, 6)))
    title = f"{rng.choice(TOPICS)}: {sentence(rng).rstrip('.')}"
    article = Article(author=author, title=title[:200], body=body)
    article.publish()
    return article


def _seed_comments(
    db: DbSession, rng: random.Random, article_ids: list[int], total: int,
    advance: Callable[[int], None],
) -> None:  # fmt: skip
    if not article_ids:
        return
    for batch in _batches(total):
        db.add_all(_comment(rng, rng.choice(article_ids)) for _ in range(batch))
        db.commit()
        advance(batch)


def _comment(rng: random.Random, article_id: int) -> Comment:
    return Comment(
        article_id=article_id,
        author_name=rng.choice(NAMES),
        body=paragraph(rng, rng.randint(1, 3)),
        status=CommentStatus.PUBLISHED,
        spam_score=0.02,
    )


def _attach_drawn_image(
    db: DbSession, article: Article, rng: random.Random, config: BlogConfig
) -> None:
    stream = io.BytesIO(drawn_image(rng, 1200, 800))
    info = inspect_upload(stream, config.max_upload_bytes, config.max_image_pixels)
    make_thumbnails_now(attach_image(db, article, stream, info, config), config)


def drawn_image(rng: random.Random, width: int, height: int, fmt: str = "JPEG") -> bytes:
    """A picture of a few soft shapes on a coloured ground, as ``fmt`` bytes."""
    colour = tuple(rng.randint(40, 220) for _ in range(3))
    image = PIL.Image.new("RGB", (width, height), colour)
    draw = PIL.ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randint(height // 10, height // 3)
        fill = tuple(rng.randint(0, 255) for _ in range(3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
