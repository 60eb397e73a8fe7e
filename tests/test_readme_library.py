"""The README's "The queue in your own app" runs as written (see tests/readme_library.py): an
app of its own, outside this repository, with this repository's virtualenv and a private Redis.
tests/test_packaging.py runs the same section in a fresh virtualenv with only the wheel."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.readme_library import LibraryApp, Outcome, steps


def run_the_section(tmp_path: Path, redis_url: str) -> list[Outcome]:
    app = LibraryApp(tmp_path / "someone-elses-app", Path(sys.executable).parent, redis_url)
    app.directory.mkdir()
    return app.run(steps())


def outcome_of(outcomes: list[Outcome], command_part: str) -> Outcome:
    return next(outcome for outcome in outcomes if command_part in outcome.step.text)


def test_the_section_builds_an_app_with_jobs_hooks_a_worker_and_the_monitor() -> None:
    kinds = [(step.kind, step.path) for step in steps() if step.kind == "file"]
    assert kinds == [
        ("file", "myapp/queue.py"),
        ("file", "myapp/jobs.py"),
        ("file", "myapp/hooks.py"),
        ("file", "myapp/web.py"),
    ]
    commands = [step.text for step in steps() if step.kind == "command"]
    assert "python -m jobs work --queue mail --import myapp.jobs" in commands
    assert "flask --app myapp.web run" in commands


def test_the_readme_library_section_runs_as_written(tmp_path: Path, redis_url: str) -> None:
    outcomes = run_the_section(tmp_path, redis_url)

    enqueued = outcome_of(outcomes, "client.enqueue(SendWelcome, 42)").output
    assert re.search(r"^enqueued SendWelcome on mail: [0-9a-f]{16,}$", enqueued, re.MULTILINE)
    assert "1 job waiting" in enqueued  # the hook ran here, in the process that enqueued
    worker = outcome_of(outcomes, "python -m jobs work").output
    assert "welcome mail to user 42" in worker and "enqueued" not in worker

    monitor = outcome_of(outcomes, "flask --app myapp.web run").page
    assert monitor is not None and monitor.status_code == 200
    assert "mail" in monitor.text and "Content-Security-Policy" in monitor.headers

    inline = outcome_of(outcomes, "jobs.testing.inline()").output
    assert inline.splitlines() == ["welcome mail to user 7", "the job failed: no user 0"]
