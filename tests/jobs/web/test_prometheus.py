"""``/metrics`` for Prometheus: its own token or password, off unless set, and what it says,
read back with prometheus_client's own parser."""

from __future__ import annotations

import json
import time
import urllib.request
from base64 import b64encode

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from jobs.dev.local_redis import free_port
from jobs.registry import Registration
from jobs.store import Store
from jobs.web import ScrapeAccess
from jobs.web.auth import AuthSetupError, Credentials
from tests.jobs.helpers import wait_for
from tests.jobs.web.conftest import OWN_NAMESPACE, host_app, settle_runs
from tests.jobs.web.test_standalone import start

TOKEN = "s3cret-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def own_store(store: Store) -> Store:
    return Store(store.url, OWN_NAMESPACE)


def scraping(store: Store, access: ScrapeAccess | None, **options: object) -> FlaskClient:
    return host_app(store, metrics_access=access, **options).test_client()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample Prometheus would read, by name and labels."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert isinstance(sample, Sample)
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_is_off_unless_its_access_is_set(own_store: Store) -> None:
    response = scraping(own_store, None).get("/jobs/metrics", headers=BEARER)

    assert response.status_code == 404
    assert "JOBS_METRICS_TOKEN" in response.get_data(as_text=True)


def test_metrics_wants_its_token_not_the_monitor_s_login(own_store: Store) -> None:
    # The monitor lets nobody in; Prometheus, with the token, still reads /metrics.
    http = scraping(own_store, ScrapeAccess(token=TOKEN), authorize=lambda: False)

    assert http.get("/jobs/").status_code == 403
    assert http.get("/jobs/metrics").status_code == 401
    assert http.get("/jobs/metrics").headers["WWW-Authenticate"] == "Bearer"
    assert http.get("/jobs/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert http.get("/jobs/metrics", headers=BEARER).status_code == 200


def test_metrics_can_take_basic_auth_instead(own_store: Store) -> None:
    http = scraping(own_store, ScrapeAccess(credentials=Credentials("prom", "pw")))
    good = "Basic " + b64encode(b"prom:pw").decode()
    bad = "Basic " + b64encode(b"prom:nope").decode()

    assert http.get("/jobs/metrics", headers={"Authorization": bad}).status_code == 401
    assert http.get("/jobs/metrics", headers=BEARER).status_code == 401
    assert http.get("/jobs/metrics", headers={"Authorization": good}).status_code == 200


def test_the_access_comes_from_the_environment_and_half_a_password_is_refused() -> None:
    assert ScrapeAccess.from_env({}) is None
    assert ScrapeAccess.from_env({"JOBS_METRICS_TOKEN": "t"}) == ScrapeAccess(token="t")
    with pytest.raises(AuthSetupError, match="JOBS_METRICS_PASSWORD"):
        ScrapeAccess.from_env({"JOBS_METRICS_USER": "prom"})


def test_metrics_says_queues_latency_counts_run_times_and_workers(own_store: Store) -> None:
    settle_runs(own_store, "app.Mail", [3_000, 30_000, 30_000, 700_000], failed=1)
    waiting = {"class": "app.Mail", "args": [], "enqueued_at": time.time() - 30}
    own_store.queues.push("mail", [json.dumps(waiting).encode()] * 3)
    Registration(own_store, ["web1:1:mail", "web1:2:mail"]).register()

    response = scraping(own_store, ScrapeAccess(token=TOKEN)).get("/jobs/metrics", headers=BEARER)

    assert response.content_type.startswith("text/plain; version=")  # Prometheus text format
    found = samples(response.get_data(as_text=True))
    mail = (("class", "app.Mail"),)
    assert found[("jobs_processed_total", ())] == 4
    assert found[("jobs_failed_total", ())] == 1
    assert found[("jobs_class_failed_total", mail)] == 1
    assert found[("jobs_run_seconds_count", mail)] == 4
    assert found[("jobs_run_seconds_sum", mail)] == pytest.approx(0.763)
    assert found[("jobs_run_seconds_bucket", (*mail, ("le", "0.0025")))] == 0
    assert found[("jobs_run_seconds_bucket", (*mail, ("le", "0.005")))] == 1
    assert found[("jobs_run_seconds_bucket", (*mail, ("le", "0.05")))] == 3
    assert found[("jobs_run_seconds_bucket", (*mail, ("le", "+Inf")))] == 4
    assert found[("jobs_queue_size", (("queue", "mail"),))] == 3
    assert found[("jobs_queue_size", (("queue", "default"),))] == 0
    assert 29 <= found[("jobs_queue_latency_seconds", (("queue", "mail"),))] < 60
    assert found[("jobs_queue_latency_seconds", (("queue", "default"),))] == 0
    assert found[("jobs_workers", (("state", "idle"),))] == 2
    assert found[("jobs_workers", (("state", "working"),))] == 0


def test_the_standalone_monitor_serves_metrics_with_its_token(redis_url: str) -> None:
    port = free_port()
    process = start(redis_url, "--port", str(port), JOBS_METRICS_TOKEN=TOKEN)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=BEARER)

    def scrape() -> str:
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            return ""

    try:
        text = wait_for(scrape, what="the standalone monitor's /metrics")
    finally:
        process.terminate()
        process.wait(10)
    assert ("jobs_processed_total", ()) in samples(text)
