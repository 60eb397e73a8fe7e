"""Benchmark job functions for RQ (``rq worker``): plain functions, as RQ jobs are."""

from __future__ import annotations

from bench import job_body


def noop() -> None:
    job_body.count_done()


def pickup(enqueued_at: float) -> None:
    job_body.record_pickup(enqueued_at)
