"""Fixtures for the monitor's tests: the monitor mounted at /jobs in a small host app, a
test client that knows how to send the CSRF token, and ways to make real queue data."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from jobs.client import Client
from jobs.fetch import Delivery, Fetcher
from jobs.registry import Registration
from jobs.settings import Settings
from jobs.settle import Failed, Settler
from jobs.store import Store
from jobs.web import allow_everyone, create_blueprint

PREFIX = "/jobs"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def host_app(store: Store, **options: Any) -> Flask:
    """An app of its own (like the blog) with the monitor mounted at /jobs."""
    app = Flask("host")
    app.secret_key = "test"
    app.config["TESTING"] = True

    @app.get("/")
    def home() -> str:
        return "the host app"

    options.setdefault("authorize", allow_everyone)
    app.register_blueprint(create_blueprint(store, **options), url_prefix=PREFIX)
    return app


@pytest.fixture
def app(store: Store) -> Flask:
    return host_app(store)


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


def token_of(http: FlaskClient, page: str = "/failed") -> str:
    """The CSRF token a page's forms carry (made on first visit, kept in the session)."""
    html = http.get(PREFIX + page).get_data(as_text=True)
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def post(http: FlaskClient, path: str, **form: Any) -> TestResponse:
    """POST to a monitor action as its own page would: with the token, from the same site."""
    form.setdefault("csrf_token", token_of(http))
    return http.post(PREFIX + path, data=form, headers={"Sec-Fetch-Site": "same-origin"})


def page(http: FlaskClient, path: str) -> str:
    response = http.get(PREFIX + path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


class Jobs:
    """Makes queue state the way a worker would: real payloads, real failures."""

    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.store = client.store
        self.settings = settings

    def take(self, worker_id: str, queue: str = "default") -> Delivery:
        """Register a worker and have it take the next job from ``queue`` (now working)."""
        Registration(self.store, [worker_id]).register()
        delivery = Fetcher(self.store, self.settings, lambda: [queue]).fetch(worker_id)
        assert delivery is not None
        return delivery

    def fail(self, job_class: type, *args: Any, queue: str = "default", error: str = "bad") -> str:
        job_id = self.client.enqueue_to(queue, job_class, *args)
        delivery = Fetcher(self.store, self.settings, lambda: [queue]).fetch("host:1:" + queue)
        assert delivery is not None
        failed = Failed("ValueError", error, ["app/jobs.py:12 in perform", "x.py:3 in f"])
        assert Settler(self.store, self.settings).fail(delivery, failed)
        return job_id


def settle_runs(store: Store, class_name: str, run_us: list[int], failed: int = 0) -> None:
    """Run jobs of ``class_name`` as a worker would, each taking ``run_us``, the last
    ``failed`` of them failing: real run-time metrics, with known times."""
    worker = "web1:4242:default"
    payloads = [json.dumps({"class": class_name, "args": [n]}).encode() for n in run_us]
    store.queues.push("default", payloads)
    for n, us in enumerate(run_us):
        [entry] = store.queues.acknowledge_and_fetch(worker, [], ["default"], "", 1)[1]
        if n >= len(run_us) - failed:
            assert store.queues.fail(worker, entry, b"{}", 10, run_us=us)
        else:
            store.queues.acknowledge_and_fetch(worker, [entry], [], "", 0, run_us=[us])


@pytest.fixture
def jobs(client: Client, settings: Settings) -> Jobs:
    return Jobs(client, settings)


# A namespace no other test uses. The session's Redis is shared, and a test elsewhere may leave
# a worker thread running that takes jobs from "default" and heartbeats into "resque:"; a test
# that counts keys, or wants a job to stay where it put it, works in here instead.
OWN_NAMESPACE = "monitor-test"


@dataclasses.dataclass
class Isolated:
    """The monitor, a client and queue helpers, all in :data:`OWN_NAMESPACE`."""

    store: Store
    client: Client
    jobs: Jobs
    http: FlaskClient

    def keys(self) -> dict[bytes, Any]:
        """Every key of the namespace with its value as DUMP gives it."""
        redis = self.store.client
        names = sorted(redis.scan_iter(match=OWN_NAMESPACE + ":*"))
        return {name: redis.dump(name) for name in names}


@pytest.fixture
def isolated(settings: Settings) -> Isolated:
    own = dataclasses.replace(settings, namespace=OWN_NAMESPACE)
    assert own.redis_url is not None
    store = Store(own.redis_url, OWN_NAMESPACE)
    client = Client(store, own)
    return Isolated(store, client, Jobs(client, own), host_app(store).test_client())


Poll = Callable[[], Any]
