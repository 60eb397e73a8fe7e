"""The blog's own uses of Redis (the login limiter, the dashboard's counts) take the same URLs
as the queue, a Sentinel one too (README: Outgrowing one machine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import redis
from flask import Flask

from blog_app.config import BlogConfig
from blog_app.login_limiter import LoginLimiter, account_key
from blog_app.models import CommentStatus
from blog_app.word_counts import KEY, SiteCounts, WordCountCache
from tests.jobs.sentinel_group import SentinelGroup


def test_the_blog_reaches_its_redis_through_sentinels(tmp_path: Path, config: BlogConfig) -> None:
    with SentinelGroup(tmp_path, ready_for_failover=False) as group:
        through_sentinels = replace(config, redis_url=group.url)
        primary = redis.Redis(port=group.primary_port)

        LoginLimiter(through_sentinels).record_failure("ada@example.com", "10.0.0.1")
        assert primary.exists(account_key("ada@example.com"))

        app = Flask(__name__)
        app.config["BLOG"] = through_sentinels
        cache = WordCountCache.of(app)
        assert cache.read() is None
        counted = SiteCounts(
            authors=1,
            articles=2,
            published=1,
            article_words=300,
            comment_words=40,
            comments=dict.fromkeys(CommentStatus, 1),
            computed_at=datetime.now(UTC),
        )
        cache.write(counted)
        assert primary.hget(KEY, "article_words") == b"300"
        assert cache.read() == counted
