"""SpamCheck and Mailer against the stand-ins as real servers: answers, and every failure turned
into a clear exception."""

from __future__ import annotations

import json
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from blog_app.models import Comment, CommentStatus
from blog_app.outside.api_standin import ApiStandin, spam_score
from blog_app.outside.outbox import Outbox
from blog_app.outside.smtp_sink import SmtpSink
from blog_app.services.errors import MailError, OutsideServiceError, SpamApiBusy, SpamCheckError
from blog_app.services.mailer import Mailer
from blog_app.services.spam_check import SpamCheck
from jobs.dev.local_redis import free_port


@pytest.fixture
def api(spam_api: ApiStandin) -> ApiStandin:
    spam_api.configure(latency=0.0, failure_rate=0.0, failures=("timeout", "error", "garbage"))
    return spam_api


def _check(api: ApiStandin, timeout: float = 1.0) -> SpamCheck:
    return SpamCheck(api.url, timeout=timeout, threshold=0.5)


def test_the_stand_in_scores_links_and_spammy_words_higher() -> None:
    assert spam_score("A thoughtful reply about queues.") < 0.1
    assert spam_score("FREE casino bonus http://spam.example") >= 0.5


def test_a_plain_comment_is_scored_and_published(api: ApiStandin) -> None:
    comment = Comment(author_name="Ada", body="Thanks, this helped me understand workers.")
    score = _check(api).check(comment)
    assert score == spam_score(comment.body)
    assert comment.status is CommentStatus.PUBLISHED and comment.spam_score == score


def test_a_spammy_comment_is_held(api: ApiStandin) -> None:
    comment = Comment(author_name="Spam", body="cheap viagra casino http://x.example")
    _check(api).check(comment)
    assert comment.status is CommentStatus.HELD


def test_the_stand_in_waits_for_its_latency(api: ApiStandin) -> None:
    api.configure(latency=0.3)
    started = time.monotonic()
    _check(api).score("hello")
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("error", "answered HTTP 500"),
        ("garbage", "not a score"),
        ("timeout", "did not answer within 0.2 s"),
    ],
)
def test_each_failure_of_the_api_is_a_spam_check_error(
    api: ApiStandin, failure: str, message: str
) -> None:
    api.configure(failure_rate=1.0, failures=(failure,), hang=2.0)
    comment = Comment(author_name="Ada", body="hello")
    with pytest.raises(SpamCheckError, match=message):
        _check(api, timeout=0.2).check(comment)
    assert comment.status is CommentStatus.PENDING


def test_an_api_that_is_not_there_is_a_spam_check_error() -> None:
    check = SpamCheck(f"http://127.0.0.1:{free_port()}", timeout=1.0, threshold=0.5)
    with pytest.raises(SpamCheckError, match="could not reach"):
        check.score("hello")


def test_the_stand_in_can_be_reconfigured_over_http(api: ApiStandin) -> None:
    answer = requests.post(f"{api.url}/_control", json={"latency": 0.01}, timeout=2).json()
    assert answer["latency"] == 0.01
    assert requests.get(f"{api.url}/health", timeout=2).json()["ok"] is True
    bad = requests.post(f"{api.url}/v1/score", data=b"not json", timeout=2)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "changes",
    [{"speed": 1}, {"latency": "fast"}, {"latency": -1}, {"failure_rate": 2},
     {"failures": ["explode"]}, {"failures": "timeout"}, {"hang": True}, {"next": "ok"},
     {"next": ["ok", "explode"]}, {"retry_after": -1}],
    ids=repr,
)  # fmt: skip
def test_the_stand_in_answers_400_with_what_its_control_accepts(
    api: ApiStandin, changes: dict[str, object]
) -> None:
    before = requests.post(f"{api.url}/_control", json={}, timeout=2).json()
    answer = requests.post(f"{api.url}/_control", json=changes, timeout=2)
    assert answer.status_code == 400
    assert set(answer.json()["accepts"]) == {
        "latency", "failure_rate", "failures", "hang", "next", "retry_after"
    }  # fmt: skip
    assert requests.post(f"{api.url}/_control", json={}, timeout=2).json() == before


def _message(to: str = "ada@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "blog@localhost", to, "Hello"
    message.set_content("A new comment.")
    return message


def test_the_mailer_delivers_into_the_sinks_outbox(smtp_sink: SmtpSink) -> None:
    before = len(smtp_sink.outbox.names())
    Mailer("127.0.0.1", smtp_sink.port, 5.0, "blog@localhost").deliver(_message())
    received = smtp_sink.outbox.messages()[0]
    assert len(smtp_sink.outbox.names()) == before + 1
    assert (received.to, received.subject) == ("ada@example.com", "Hello")
    assert received.body.strip() == "A new comment."
    assert smtp_sink.outbox.find(received.name) == received


def test_a_mail_server_that_is_not_there_is_a_mail_error() -> None:
    mailer = Mailer("127.0.0.1", free_port(), 1.0, "blog@localhost")
    with pytest.raises(MailError, match="could not reach") as caught:
        mailer.deliver(_message())
    assert isinstance(caught.value, OutsideServiceError)


def test_the_outbox_refuses_names_that_are_not_its_own(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    name = outbox.store(_message().as_bytes())
    assert outbox.find(name) is not None
    assert outbox.find("../etc/passwd") is None and outbox.find("1-zzzzzzzz.eml") is None
    assert json.dumps([m.subject for m in outbox.messages()]) == '["Hello"]'


def test_the_stand_in_gives_the_next_answers_it_is_told_then_scores_again(
    api: ApiStandin,
) -> None:
    control = {"latency": 0.0, "next": ["error", "429", "ok", "garbage"], "retry_after": 7}
    assert requests.post(f"{api.url}/_control", json=control, timeout=2).json()["next"] == [
        "error", "429", "ok", "garbage"
    ]  # fmt: skip
    answers = [
        requests.post(f"{api.url}/v1/score", json={"text": "hi"}, timeout=2) for _ in "12345"
    ]
    assert [a.status_code for a in answers] == [500, 429, 200, 200, 200]
    assert answers[1].headers["Retry-After"] == "7"
    assert "score" in answers[2].json() and "score" in answers[4].json()
    assert answers[3].text.startswith("<html>")
    assert requests.post(f"{api.url}/_control", json={}, timeout=2).json()["next"] == []


def test_a_429_is_a_busy_api_with_the_seconds_its_retry_after_asks_for(api: ApiStandin) -> None:
    api.configure(latency=0.0, next=("429",), retry_after=42.0)
    with pytest.raises(SpamApiBusy, match="come back in 42 s") as raised:
        _check(api).score("hello")
    assert raised.value.retry_after == 42.0


@pytest.fixture
def sink(outside: tuple[ApiStandin, SmtpSink]) -> SmtpSink:
    """The SMTP sink, well-behaved and with an empty outbox."""
    return outside[1]


def test_the_sink_can_refuse_mail_then_take_it_again(sink: SmtpSink) -> None:
    mailer = Mailer("127.0.0.1", sink.port, 5.0, "blog@localhost")
    sink.configure(refuse=True)
    with pytest.raises(MailError, match="451"):
        mailer.deliver(_message())
    assert sink.outbox.names() == []
    sink.configure(refuse=False)
    mailer.deliver(_message())
    assert len(sink.outbox.names()) == 1


def test_a_sink_slower_than_the_mailers_timeout_is_a_mail_error(sink: SmtpSink) -> None:
    sink.configure(delay=3.0)
    with pytest.raises(MailError, match="did not answer in time"):
        Mailer("127.0.0.1", sink.port, 0.5, "blog@localhost").deliver(_message())


def test_the_sink_stops_and_starts_again_on_the_same_port(sink: SmtpSink) -> None:
    mailer = Mailer("127.0.0.1", sink.port, 5.0, "blog@localhost")
    sink.stop()
    try:
        with pytest.raises(MailError, match="could not reach"):
            mailer.deliver(_message())
    finally:
        sink.start()
    mailer.deliver(_message())
    assert len(sink.outbox.names()) == 1
