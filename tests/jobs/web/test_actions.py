"""Every button of the monitor: a POST that changes Redis, then a redirect to a page."""

from __future__ import annotations

from flask.testing import FlaskClient

from jobs.client import Client
from jobs.failures import Failures
from tests.jobs.sample_jobs import Boom, Record
from tests.jobs.web.conftest import PREFIX, Isolated, Jobs, page, post


def digest_and_position(http: FlaskClient, queue: str, marker: str) -> tuple[str, str]:
    """The remove button's fields for the job whose arguments show ``marker``."""
    html = page(http, f"/queues/{queue}?per_page=100")
    row = html[html.index(marker) :]
    digest = row.split('name="digest" value="')[1].split('"')[0]
    position = row.split('name="position" value="')[1].split('"')[0]
    return digest, position


def test_remove_one_job_from_a_queue(http: FlaskClient, client: Client) -> None:
    client.enqueue_many(Record, [["keep-1"], ["drop-me"], ["keep-2"]])
    digest, position = digest_and_position(http, "default", "drop-me")

    response = post(http, "/queues/remove-job", queue="default", digest=digest, position=position)

    assert response.status_code == 302 and response.location.endswith(f"{PREFIX}/queues/default")
    assert [job["args"] for job in client.peek("default", 0, 10)] == [["keep-1"], ["keep-2"]]


def test_remove_finds_a_job_that_moved_forward(http: FlaskClient, client: Client) -> None:
    client.enqueue_many(Record, [[n] for n in range(10)])
    digest, position = digest_and_position(http, "default", "[7]")
    client.store.queues.peek("default", 0, 1)
    client.store.client.lpop(client.store.keys.queue("default"), 3)  # workers took three

    post(http, "/queues/remove-job", queue="default", digest=digest, position=position)

    assert [job["args"][0] for job in client.peek("default", 0, 10)] == [3, 4, 5, 6, 8, 9]


def test_removing_a_job_that_is_gone_changes_nothing(http: FlaskClient, client: Client) -> None:
    client.enqueue(Record, 1)

    response = post(http, "/queues/remove-job", queue="default", digest="0" * 40, position="0")

    assert client.size("default") == 1
    assert "no longer waiting" in http.get(response.location).get_data(as_text=True)


def test_clear_a_queue_keeps_it_listed(http: FlaskClient, client: Client) -> None:
    client.enqueue_many(Record, [[n] for n in range(5)])

    response = post(http, "/queues/clear", queue="default")

    assert client.size("default") == 0 and client.queues() == ["default"]
    assert "5 jobs removed" in http.get(response.location).get_data(as_text=True)


def test_remove_a_queue(http: FlaskClient, client: Client) -> None:
    client.enqueue_many(Record, [[n] for n in range(5)])
    client.enqueue_to("other", Record, 1)

    post(http, "/queues/remove", queue="default")

    assert client.queues() == ["other"] and client.size("default") == 0


def test_queue_names_that_look_like_actions_still_have_pages(
    http: FlaskClient, client: Client
) -> None:
    client.enqueue_to("clear", Record, "in clear")
    client.enqueue_to("remove", Record, "in remove")

    assert "in clear" in page(http, "/queues/clear")
    assert "in remove" in page(http, "/queues/remove")


def test_retry_one_failure(http: FlaskClient, jobs: Jobs, client: Client) -> None:
    job_id = jobs.fail(Boom, "again")
    jobs.fail(Boom, "stays")

    response = post(http, "/failed/retry", id=job_id)

    assert response.status_code == 302
    [retried] = client.peek("default")
    assert retried["id"] == job_id and retried["args"] == ["again"]
    assert [f.payload["args"] for f in Failures(client.store).newest()] == [["stays"]]


def test_remove_one_failure(http: FlaskClient, jobs: Jobs, client: Client) -> None:
    job_id = jobs.fail(Boom, "gone")

    post(http, "/failed/remove", id=job_id)

    assert Failures(client.store).count() == 0 and client.size("default") == 0


def test_retry_or_remove_a_failure_that_is_gone_says_so(http: FlaskClient) -> None:
    response = post(http, "/failed/retry", id="nope")
    assert "No such failure" in http.get(response.location).get_data(as_text=True)
    response = post(http, "/failed/remove", id="nope")
    assert "No such failure" in http.get(response.location).get_data(as_text=True)


def test_retry_all_and_clear_all(http: FlaskClient, jobs: Jobs, client: Client) -> None:
    for n in range(3):
        jobs.fail(Boom, n)
    post(http, "/failed/retry-all")
    assert client.size("default") == 3 and Failures(client.store).count() == 0

    for n in range(2):
        jobs.fail(Boom, n)
    post(http, "/failed/clear")
    assert Failures(client.store).count() == 0


def test_scheduler_buttons_for_a_job_that_is_gone_change_nothing(isolated: Isolated) -> None:
    # Its own namespace: counting the keys of the whole Redis also counted those that a worker
    # thread left running by another test writes now and then (its heartbeats).
    isolated.client.enqueue_in(3600, Record, "stays")
    http = isolated.http
    before = isolated.keys()
    response = post(http, "/scheduled/scheduled/enqueue", ref="x")
    assert "no longer waiting" in http.get(response.location).get_data(as_text=True)
    post(http, "/scheduled/retries/remove", ref="x")
    post(http, "/scheduled/recurring/remove", ref="x")
    assert isolated.keys() == before


def test_no_state_changes_on_get(http: FlaskClient, jobs: Jobs, client: Client) -> None:
    job_id = jobs.fail(Boom, 1)
    client.enqueue(Record, 1)
    for path in ("/failed/retry", "/failed/clear", "/queues/clear", "/queues/remove"):
        # A GET there is refused, or shows the page of a queue of that name: it never acts.
        assert http.get(f"{PREFIX}{path}?id={job_id}&queue=default").status_code in (200, 405)
    assert client.size("default") == 1 and Failures(client.store).count() == 1
