"""The settings this round added, read from the environment: a bad value is refused with a
message that names the variable."""

from __future__ import annotations

import socket

import pytest

from jobs.settings import Settings


def test_jobs_host_names_the_host_in_worker_ids_and_defaults_to_the_host_name() -> None:
    assert Settings.from_env({}).host == socket.gethostname()
    assert Settings.from_env({"JOBS_HOST": "web-3"}).host == "web-3"


@pytest.mark.parametrize("value", ["web:3", " web3", "web 3"])
def test_a_host_name_that_would_split_a_worker_id_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="JOBS_HOST must be a host name without ':' or spaces"):
        Settings.from_env({"JOBS_HOST": value})


def test_enqueue_replicas_is_a_count_with_a_timeout_in_seconds() -> None:
    settings = Settings.from_env(
        {"JOBS_ENQUEUE_REPLICAS": "2", "JOBS_ENQUEUE_REPLICAS_TIMEOUT": "0.5"}
    )
    assert (settings.enqueue_replicas, settings.enqueue_replicas_timeout) == (2, 0.5)
    assert Settings.from_env({}).enqueue_replicas == 0


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_replica_count_that_is_not_a_whole_number_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="JOBS_ENQUEUE_REPLICAS must be a whole number, 0 or more"):
        Settings.from_env({"JOBS_ENQUEUE_REPLICAS": value})
