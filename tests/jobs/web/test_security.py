"""Hostile data is shown as text on every page; hostile requests change nothing.

Queue names, key names, values, arguments, error messages and backtraces are whatever
someone put in Redis. Each test plants markup in one of them and reads every page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from jobs.client import Client
from jobs.failures import Failures
from jobs.settle import Failed, Settler
from jobs.store import Store
from jobs.web import allow_everyone, create_app, create_blueprint
from jobs.web.auth import AuthSetupError
from tests.jobs.sample_jobs import Boom, Held, Record
from tests.jobs.web.conftest import PREFIX, Jobs, host_app, page, post, token_of

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
EVIL_QUEUE = "<script>alert(1)</script>"  # queue names may not hold spaces
BAD_BYTES = b"\xff\xfe"  # not UTF-8
EVIL_WORKER = f"evil{EVIL_QUEUE}:66:{EVIL_QUEUE}"


@pytest.fixture
def hostile(client: Client, jobs: Jobs, raw: redis.Redis) -> None:
    """Markup everywhere: queue, args, error, backtrace, worker id, key names and values."""
    client.enqueue_to(EVIL_QUEUE, Record, SCRIPT, IMG)
    client.enqueue_to(EVIL_QUEUE, Held, IMG)
    jobs.take(EVIL_WORKER, EVIL_QUEUE)
    job_id = client.enqueue(Boom, IMG)
    delivery = jobs.take("host:1:default")
    Settler(jobs.store, jobs.settings).fail(delivery, Failed(SCRIPT, IMG, [SCRIPT, IMG]))
    assert job_id
    raw.set(IMG, SCRIPT)
    raw.rpush(SCRIPT, IMG)
    raw.hset("hash" + IMG, SCRIPT, IMG)
    raw.zadd("zset" + SCRIPT, {IMG: 1})
    raw.sadd("set" + IMG, SCRIPT)
    raw.set(BAD_BYTES + SCRIPT.encode(), BAD_BYTES + IMG.encode())
    raw.rpush(f"resque:queue:{EVIL_QUEUE}", "not json " + SCRIPT)


def assert_escaped(html: str) -> None:
    for markup in (SCRIPT, IMG, "<script>", "<img"):
        assert markup not in html, markup
    assert "&lt;script&gt;" in html or "&lt;img" in html


def pages_with_hostile_data() -> list[str]:
    keys = [IMG, SCRIPT, "hash" + IMG, "zset" + SCRIPT, "set" + IMG]
    key_pages = [f"/stats/key?key={name.encode().hex()}" for name in keys]
    key_pages.append("/stats/key?key=" + (BAD_BYTES + SCRIPT.encode()).hex())
    return [
        "/",
        "/working",
        "/queues",
        f"/queues/{quote(EVIL_QUEUE, safe='')}",
        "/failed",
        f"/failed?class={quote(SCRIPT)}&queue={quote(IMG)}",
        "/workers",
        f"/workers/{quote(EVIL_WORKER, safe='')}",
        "/stats",
        f"/stats?match={quote(SCRIPT)}",
        *key_pages,
    ]


@pytest.mark.usefixtures("hostile")
def test_hostile_values_are_escaped_on_every_page(http: FlaskClient) -> None:
    for path in pages_with_hostile_data():
        assert_escaped(page(http, path))


@pytest.mark.usefixtures("hostile")
def test_hostile_values_are_escaped_in_live_regions(http: FlaskClient) -> None:
    for view in ("overview", "working", "workers"):
        regions = http.get(f"{PREFIX}/live.json?view={view}").get_json()["regions"]
        for html in regions.values():
            assert "<script>" not in html and "<img" not in html


@pytest.mark.usefixtures("hostile")
def test_the_csp_header_is_on_every_response_of_the_monitor(http: FlaskClient) -> None:
    paths = [*pages_with_hostile_data(), "/live.json?view=overview", "/static/monitor.js"]
    for path in paths:
        policy = http.get(PREFIX + path).headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert "Content-Security-Policy" not in http.get("/").headers  # the host app's own page


def test_templates_have_no_inline_scripts_styles_or_handlers(http: FlaskClient) -> None:
    for path in ("/", "/failed", "/stats", "/workers", "/queues"):
        html = page(http, path)
        assert "<script>" not in html and "<style" not in html
        assert " style=" not in html and " onclick=" not in html and " onerror=" not in html


# -- refused requests -----------------------------------------------------------------------
@pytest.fixture
def failed_job(jobs: Jobs) -> str:
    return jobs.fail(Boom, "keep me")


def assert_nothing_changed(client: Client) -> None:
    assert Failures(client.store).count() == 1 and client.size("default") == 0


def test_a_post_without_the_token_is_refused(
    http: FlaskClient, failed_job: str, client: Client
) -> None:
    token_of(http)  # the visitor has a session and a token, but does not send it
    response = http.post(PREFIX + "/failed/retry-all", data={"id": failed_job})
    assert response.status_code == 403
    response = post(http, "/failed/clear", csrf_token="wrong")
    assert response.status_code == 403
    response = post(http, "/failed/clear", csrf_token="wrong-ü")
    assert response.status_code == 403
    assert_nothing_changed(client)


def test_a_cross_site_post_is_refused_even_with_a_token(
    http: FlaskClient, failed_job: str, client: Client
) -> None:
    token = token_of(http)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        response = http.post(PREFIX + "/failed/clear", data={"csrf_token": token}, headers=headers)
        assert response.status_code == 403
    assert_nothing_changed(client)


def test_a_token_from_another_session_is_refused(
    app: object, http: FlaskClient, failed_job: str, client: Client
) -> None:
    other = http.application.test_client()
    response = post(other, "/failed/clear", csrf_token=token_of(http))
    assert response.status_code == 403
    assert_nothing_changed(client)


def test_read_only_hides_buttons_and_refuses_actions(
    store: Store, failed_job: str, client: Client
) -> None:
    client.enqueue_to("other", Record, 1)
    http = host_app(store, read_only=True).test_client()

    for path in ("/failed", "/queues", "/queues/other"):
        html = page(http, path)
        assert '<form class="action"' not in html and "read-only" in html
    for path in ("/failed/clear", "/failed/retry-all", "/queues/remove"):
        response = http.post(PREFIX + path, data={"queue": "other", "id": failed_job})
        assert response.status_code == 403
    assert Failures(client.store).count() == 1 and client.size("other") == 1


def test_the_mounting_apps_check_decides_who_gets_in(store: Store) -> None:
    http = host_app(store, authorize=lambda: False).test_client()
    for path in ("/", "/stats", "/live.json?view=overview"):
        assert http.get(PREFIX + path).status_code == 403
    assert http.get("/").status_code == 200  # the rest of the app is the app's business


# -- standalone -----------------------------------------------------------------------------
def standalone(store: Store, **env: str) -> FlaskClient:
    return create_app(store, host="0.0.0.0", environ=env).test_client()


def test_standalone_asks_for_the_password(store: Store, jobs: Jobs, client: Client) -> None:
    jobs.fail(Boom, 1)
    http = standalone(store, JOBS_WEB_USER="teacher", JOBS_WEB_PASSWORD="s3cret")

    assert http.get("/").status_code == 401
    assert "Basic" in http.get("/").headers["WWW-Authenticate"]
    assert http.get("/", auth=("teacher", "wrong")).status_code == 401
    assert http.get("/", auth=("student", "s3cret")).status_code == 401
    assert http.get("/", auth=("teacher", "s3cret")).status_code == 200
    assert http.post("/failed/clear", auth=("teacher", "wrong")).status_code == 401
    assert Failures(client.store).count() == 1


def test_standalone_without_a_password_only_listens_on_loopback(store: Store) -> None:
    with pytest.raises(AuthSetupError, match="without a password"):
        create_app(store, host="0.0.0.0", environ={})
    with pytest.raises(AuthSetupError, match="both"):
        create_app(store, environ={"JOBS_WEB_USER": "x"})
    http = create_app(store, host="127.0.0.1", environ={}).test_client()
    assert http.get("/").status_code == 200


def test_data_the_queue_cannot_read_is_shown_escaped_and_breaks_nothing_else(
    http: FlaskClient, raw: redis.Redis, jobs: Jobs
) -> None:
    # A queue name that is not UTF-8 shows with replacement characters, escaped.
    raw.sadd("resque:queues", BAD_BYTES + SCRIPT.encode())
    overview = page(http, "/")
    assert "\ufffd\ufffd" in overview
    assert_escaped(overview)
    raw.delete("resque:queues")

    # A failure record that is not JSON is listed as unreadable; the others still work.
    job_id = jobs.fail(Boom, 1)
    raw.lpush("resque:failed", "not json " + SCRIPT)
    failed = page(http, "/failed")
    assert "not json" in failed and "UnreadableRecord" in failed
    assert_escaped(failed)
    response = post(http, "/failed/retry", id=job_id)
    assert response.status_code in (302, 303)
    assert raw.llen("resque:failed") == 1 and raw.llen("resque:queue:default") == 1


@pytest.mark.usefixtures("hostile")
def test_messages_after_an_action_are_escaped(http: FlaskClient, client: Client) -> None:
    response = post(http, "/queues/clear", queue=EVIL_QUEUE)
    assert_escaped(http.get(response.location).get_data(as_text=True))
    assert client.size(EVIL_QUEUE) == 0


def test_the_check_may_send_its_own_response_and_only_true_lets_in(store: Store) -> None:
    from flask import redirect

    def login_first() -> None:  # a before_request-style hook: a response, or None to go on
        return None

    to_login = host_app(store, authorize=lambda: redirect("/login")).test_client()
    assert to_login.get(PREFIX + "/").location == "/login"
    forgetful = host_app(store, authorize=login_first).test_client()  # type: ignore[arg-type]
    assert forgetful.get(PREFIX + "/").status_code == 403
    hook_style = host_app(store, authorize=lambda: login_first() or True).test_client()
    assert hook_style.get(PREFIX + "/").status_code == 200


def test_in_an_app_with_flask_wtf_the_monitor_checks_its_own_token(
    store: Store, jobs: Jobs, client: Client
) -> None:
    flask_wtf = pytest.importorskip("flask_wtf.csrf", reason="pip install flask-wtf")
    jobs.fail(Boom, 1)
    app = Flask("blog-like")
    app.secret_key = "test"
    flask_wtf.CSRFProtect(app)
    app.register_blueprint(create_blueprint(store, authorize=allow_everyone), url_prefix=PREFIX)
    http = app.test_client()

    assert post(http, "/failed/clear", csrf_token="wrong").status_code == 403
    assert Failures(client.store).count() == 1
    assert post(http, "/failed/clear").status_code == 302
    assert Failures(client.store).count() == 0
