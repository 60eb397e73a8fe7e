"""Chapter 1's checkpoint: Redis answers, and publishing an article takes the fake delay."""

from __future__ import annotations

import time

import redis

from blog_app.config import BlogConfig
from blog_app.models import Article
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.settings import Settings

# Two delays: a correct Article.publish takes each; one that waits a fixed time cannot (it
# would take the long one for both). The gap is wide, so that a busy machine cannot close it.
SHORT, LONG = 0.05, 1.0


def test_redis_answers() -> None:
    """Redis is running, and answers."""
    settings = Settings.from_env()
    url = settings.redis_url or ProjectRedis(default_var_dir()).running_url()
    assert url, "Redis is not running: start it with `make redis` (step 1 of the lesson)."
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as error:
        raise AssertionError(f"Redis at {url} does not answer ({error}). Step 1.") from error


def _publish(delay: float) -> tuple[float, Article]:
    """Publish a new article with this delay; returns how long it took, and the article."""
    article = Article(title="Slow", body="zzz")
    started = time.monotonic()
    article.publish(delay)
    return time.monotonic() - started, article


def test_publishing_takes_the_fake_delay() -> None:
    """Publishing an article (Article.publish) takes the delay it is given."""
    took, article = _publish(LONG)
    assert took >= LONG, (
        f"Article.publish({LONG}) took {took:.2f} s, not the {LONG} s asked for: make it"
        " sleep for `delay` seconds in Article.publish, in blog_app/models/article.py (step 2"
        " of the lesson). The delay belongs in the model, not in the view, so that a job can"
        " run it later."
    )
    assert article.is_published, "Article.publish no longer publishes the article."
    short, _ = _publish(SHORT)
    assert short < LONG, (
        f"Article.publish({SHORT}) took {short:.2f} s, as long as Article.publish({LONG}):"
        " it waits a fixed time and ignores `delay`. Sleep for `delay` seconds"
        " (time.sleep(delay)), so that PUBLISH_DELAY sets how long publishing takes (step 2"
        " of the lesson)."
    )


def test_the_blog_publishes_with_a_delay_you_can_feel() -> None:
    """The blog's fake delay is at least a second unless PUBLISH_DELAY says otherwise."""
    delay = BlogConfig.from_env({}).publish_delay
    assert delay >= 1, (
        f"The blog's publish_delay is {delay:g} s: set it to 2.0 in blog_app/config.py"
        " (step 2 of the lesson), so that publishing takes long enough to feel."
    )
