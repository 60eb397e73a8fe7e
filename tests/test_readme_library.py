"""The README's "The queue in your own app" runs as written (see tests/readme_library.py): an
app of its own, outside this repository, with this repository's virtualenv and a private Redis.
tests/test_packaging.py runs the same section in fresh virtualenvs with only the wheel."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.readme_library import LibraryApp, check_the_monitor, check_the_queue, steps


def test_the_section_builds_an_app_with_jobs_hooks_a_worker_and_the_monitor() -> None:
    files = [step.path for step in steps() if step.kind == "file"]
    assert files == ["myapp/queue.py", "myapp/jobs.py", "myapp/hooks.py", "myapp/web.py"]
    commands = [step.text for step in steps() if step.kind == "command"]
    assert "python -m jobs work --queue mail --import myapp.jobs" in commands
    assert "flask --app myapp.web run" in commands


def test_the_readme_library_section_runs_as_written(tmp_path: Path, redis_url: str) -> None:
    app = LibraryApp(tmp_path / "someone-elses-app", Path(sys.executable).parent, redis_url)
    app.directory.mkdir()

    outcomes = app.run(steps())

    check_the_queue(outcomes)
    check_the_monitor(outcomes)
