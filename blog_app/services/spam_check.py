"""SpamCheck: scores a comment with a third-party HTTP API, then publishes or holds it.

The API (in development, :mod:`blog_app.outside.api_standin`) takes ``POST /v1/score`` with
``{"text": ...}`` and answers ``{"score": 0.0..1.0}``. Every way it can fail (no answer in
time, a refused connection, an error status, a body that is not a score) becomes a
:class:`SpamCheckError` that says which; a 429 becomes :class:`SpamApiBusy`, with the seconds
its ``Retry-After`` asks for. Retrying is the caller's business (chapter 4's job).

Both timeouts are set: a server that does not accept the connection fails within
:data:`CONNECT_TIMEOUT`, and one that accepts it and then says nothing (a hung API) fails
within the read timeout, instead of holding the request or the worker for ever.
"""

from __future__ import annotations

import math
from typing import Any

import requests

from blog_app.config import BlogConfig
from blog_app.models import Comment
from blog_app.services.errors import SpamApiBusy, SpamCheckError

CONNECT_TIMEOUT = 1.0  # seconds to open the connection; a live server on the network takes ms
DEFAULT_RETRY_AFTER = 30.0  # seconds, for a 429 without a Retry-After in seconds


class SpamCheck:
    def __init__(self, base_url: str, timeout: float, threshold: float) -> None:
        self.url = base_url.rstrip("/") + "/v1/score"
        self.timeout = timeout
        self.threshold = threshold

    @classmethod
    def from_config(cls, config: BlogConfig) -> SpamCheck:
        return cls(config.spam_api_url, config.spam_api_timeout, config.spam_threshold)

    def check(self, comment: Comment) -> float:
        """Score ``comment`` and record the verdict on it; returns the score."""
        score = self.score(comment.body)
        comment.record_spam_score(score, self.threshold)
        return score

    def score(self, text: str) -> float:
        response = self._post({"text": text})
        if response.status_code == 429:
            raise SpamApiBusy(_retry_after(response))
        if response.status_code != 200:
            raise SpamCheckError(f"the spam API answered HTTP {response.status_code}")
        return _score_from(response)

    def _post(self, body: dict[str, Any]) -> requests.Response:
        try:
            timeouts = (min(CONNECT_TIMEOUT, self.timeout), self.timeout)
            return requests.post(self.url, json=body, timeout=timeouts)
        except requests.Timeout as error:
            raise SpamCheckError(
                f"the spam API did not answer within {self.timeout:g} s"
            ) from error
        except requests.RequestException as error:
            raise SpamCheckError(f"could not reach the spam API at {self.url}: {error}") from error


def _retry_after(response: requests.Response) -> float:
    """The seconds a 429's ``Retry-After`` asks for (a date there counts as no answer)."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER


def _score_from(response: requests.Response) -> float:
    try:
        score = response.json()["score"]
    except (ValueError, KeyError, TypeError) as error:
        raise SpamCheckError(
            f"the spam API answered something that is not a score: {response.text[:80]!r}"
        ) from error
    if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
        raise SpamCheckError(f"the spam API's score is not a number: {score!r}")
    if not 0.0 <= score <= 1.0:
        raise SpamCheckError(f"the spam API's score is outside 0..1: {score!r}")
    return float(score)
