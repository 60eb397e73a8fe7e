"""Chapter 1's checkpoint: Redis answers, and publishing an article takes the fake delay."""

from __future__ import annotations

import time

import redis

from blog_app.config import BlogConfig
from blog_app.models import Article
from jobs.project_redis import ProjectRedis, default_var_dir
from jobs.settings import Settings

DELAY = 0.3  # seconds: short, so that the check is quick


def test_redis_answers() -> None:
    """Redis is running, and answers."""
    settings = Settings.from_env()
    url = settings.redis_url or ProjectRedis(default_var_dir()).running_url()
    assert url, "Redis is not running: start it with `make redis` (step 1 of the lesson)."
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as error:
        raise AssertionError(f"Redis at {url} does not answer ({error}). Step 1.") from error


def test_publishing_takes_the_fake_delay() -> None:
    """Publishing an article (Article.publish) takes the delay it is given."""
    article = Article(title="Slow", body="zzz")
    started = time.monotonic()
    article.publish(DELAY)
    took = time.monotonic() - started
    assert took >= DELAY, (
        f"Article.publish({DELAY}) took {took:.2f} s, not the {DELAY} s asked for: make it"
        " sleep for `delay` seconds, in blog_app/models/article.py (step 2 of the lesson)."
    )
    assert article.is_published, "Article.publish no longer publishes the article."


def test_the_blog_publishes_with_a_delay_you_can_feel() -> None:
    """The blog's fake delay is at least a second unless PUBLISH_DELAY says otherwise."""
    delay = BlogConfig.from_env({}).publish_delay
    assert delay >= 1, (
        f"The blog's publish_delay is {delay:g} s: set it to 2.0 in blog_app/config.py"
        " (step 2 of the lesson), so that publishing takes long enough to feel."
    )
