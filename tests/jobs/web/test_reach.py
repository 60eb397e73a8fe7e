"""Who and what can reach the monitor: requests addressed to a foreign host name (DNS
rebinding), responses that no page made (404, 405, static files), and queues whose names
do not fit in a URL."""

from __future__ import annotations

from html import unescape
from urllib.parse import urljoin

import pytest
import redis
from flask.testing import FlaskClient

from jobs.failures import Failures
from jobs.store import Store
from jobs.web import create_app
from tests.jobs.sample_jobs import Boom
from tests.jobs.web.conftest import PREFIX, TOKEN, Jobs, host_app, page, post

FOREIGN = "attacker.example:18080"


def standalone(store: Store, **env: str) -> FlaskClient:
    return create_app(store, host="127.0.0.1", environ=env).test_client()


def test_without_a_password_a_foreign_host_name_is_refused(store: Store, jobs: Jobs) -> None:
    jobs.fail(Boom, 1)
    http = standalone(store)
    # The token, as a page the attacker rebound would read it if it were let in.
    token = TOKEN.search(http.get("/failed").get_data(as_text=True)).group(1)  # type: ignore[union-attr]

    assert http.get("/", headers={"Host": FOREIGN}).status_code == 403
    assert http.get("/stats/key?key=00", headers={"Host": FOREIGN}).status_code == 403
    cleared = http.post(
        "/failed/clear",
        data={"csrf_token": token},
        headers={"Host": FOREIGN, "Origin": f"http://{FOREIGN}"},
    )
    assert cleared.status_code == 403 and Failures(store).count() == 1
    assert "localhost" in http.get("/", headers={"Host": FOREIGN}).get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost:5678", "127.0.0.1:5678", "[::1]:5678", "LOCALHOST"])
def test_without_a_password_loopback_names_are_answered(store: Store, host: str) -> None:
    assert standalone(store).get("/", headers={"Host": host}).status_code == 200


def test_more_host_names_can_be_allowed(store: Store) -> None:
    http = standalone(store, JOBS_WEB_ALLOWED_HOSTS="monitor.internal, other.test")

    assert http.get("/", headers={"Host": "monitor.internal:5678"}).status_code == 200
    assert http.get("/", headers={"Host": "other.test"}).status_code == 200
    assert http.get("/", headers={"Host": FOREIGN}).status_code == 403


def test_with_a_password_every_response_asks_for_it_and_has_the_headers(store: Store) -> None:
    http = standalone(store, JOBS_WEB_USER="teacher", JOBS_WEB_PASSWORD="s3cret")
    login = ("teacher", "s3cret")

    for path in ("/static/monitor.css", "/static/monitor.js", "/no-such-page", "/failed/clear"):
        assert http.get(path).status_code == 401, path
    expected = {"/static/monitor.css": 200, "/no-such-page": 404, "/failed/clear": 405}
    for path, status in expected.items():
        response = http.get(path, auth=login)
        assert response.status_code == status, path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_mounted_the_monitors_404s_and_405s_have_its_headers_and_check(store: Store) -> None:
    http = host_app(store).test_client()
    for path, status in (("/jobs/no-such-page", 404), ("/jobs/failed/clear", 405)):
        response = http.get(path)
        assert response.status_code == status
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Content-Security-Policy" not in http.get("/no-such-page").headers  # the host's

    closed = host_app(store, authorize=lambda: False).test_client()
    assert closed.get("/jobs/no-such-page").status_code == 403
    assert closed.get("/jobs/static/monitor.css").status_code == 403
    assert closed.get("/").status_code == 200  # the host app's pages are its own business


ODD_NAMES = [b"x/../../failed", b"..", b".", b"caf\xe9\xff", b"a b?c#d", b"100%"]


def queue_links(http: FlaskClient) -> dict[str, str]:
    """Each queue's link on the Queues tab, by the name it shows."""
    html = page(http, "/queues")
    links = {}
    for row in html.split("<tr>")[2:]:
        href = unescape(row.split('href="')[1].split('"')[0])
        links[unescape(row.split('">')[1].split("</a>")[0])] = href
    return links


def test_every_queue_has_a_link_that_leads_to_it(
    http: FlaskClient, raw: redis.Redis, store: Store
) -> None:
    for n, name in enumerate(ODD_NAMES):
        store.client.sadd(store.keys.queues, name)
        store.client.rpush(store.keys.queue_prefix.encode() + name, f'{{"class":"Q","args":[{n}]}}')

    links = queue_links(http)
    assert len(links) == len(ODD_NAMES)
    for n, href in enumerate(links[name.decode("utf-8", "replace")] for name in ODD_NAMES):
        # Where a browser goes: it resolves dot segments before asking.
        resolved = urljoin(f"http://localhost{PREFIX}/queues", href)
        assert resolved.startswith(f"http://localhost{PREFIX}/queues/"), href
        shown = page(http, resolved.removeprefix(f"http://localhost{PREFIX}"))
        assert f"[{n}]" in shown, (ODD_NAMES[n], href)


def test_a_queue_whose_name_is_not_utf8_can_be_cleared_and_removed(
    http: FlaskClient, store: Store
) -> None:
    name = b"caf\xe9\xff"
    key = store.keys.queue_prefix.encode() + name
    store.client.sadd(store.keys.queues, name, b"x/../../failed")
    store.client.rpush(key, b'{"class":"Q","args":[1]}', b'{"class":"Q","args":[2]}')

    response = post(http, "/queues/clear", queue_hex=name.hex())
    assert store.client.llen(key) == 0 and "2 jobs removed" in page(
        http, response.location.removeprefix(PREFIX)
    )
    post(http, "/queues/remove", queue_hex=name.hex())
    assert store.client.smembers(store.keys.queues) == {b"x/../../failed"}
