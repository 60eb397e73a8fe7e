"""Starting and stopping workers as people do: Ctrl-C in a terminal (SIGINT to the whole process
group) while a job runs, ``COUNT=N`` supervision, and ``flask jobs work`` in an app."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

import jobs
from jobs.client import Client
from jobs.dev.demo import Sleeper
from jobs.dev.local_redis import free_port
from jobs.registry import WorkerId
from jobs.supervisor import cpu_shares
from tests.jobs.helpers import ROOT, done, failures, start_process, started, wait_for
from tests.jobs.sample_jobs import Record
from tests.jobs.supervised_jobs import RUNS_FOR, NamesItsApp, ThreeSeconds

FLASK = str(Path(sys.executable).with_name("flask"))
GRACE = 20.0  # --shutdown-timeout: far more than the job needs, so a busy machine cannot fail it


def _environment(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "JOBS_HEARTBEAT_INTERVAL": "0.2",
        "JOBS_IMPORT": "tests.jobs.sample_jobs,tests.jobs.supervised_jobs",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _in_a_terminal(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Started as a shell starts a foreground job: in a process group of its own."""
    return start_process(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _ctrl_c(process: subprocess.Popen[bytes]) -> tuple[str, float]:
    """What Ctrl-C in a terminal does: SIGINT to every process of the group. Returns the output
    and how long the command took to exit."""
    os.killpg(process.pid, signal.SIGINT)
    sent = time.monotonic()
    output = process.communicate(timeout=GRACE + 30)[0].decode(errors="replace")
    return output, time.monotonic() - sent


def _assert_the_jobs_finished_in_their_grace_time(
    raw: redis.Redis, tokens: list[str], output: str, took: float
) -> None:
    assert sorted(done(raw)) == sorted(tokens), output  # finished, not put back
    assert raw.llen("resque:queue:default") == 0 and failures(raw) == [], output
    assert took < GRACE, output
    assert "a second stop signal" not in output, output
    assert "killed by SIGINT" not in output and "put an unfinished job back" not in output


def _ctrl_c_while_three_second_jobs_run(
    raw: redis.Redis, command: list[str], env: dict[str, str], running: int
) -> str:
    tokens = [f"ctrl-c {n}" for n in range(running)]
    for token in tokens:
        jobs.enqueue(ThreeSeconds, token)
    process = _in_a_terminal(command, env)
    wait_for(lambda: len(started(raw)) == running, timeout=60, what="the jobs to start")
    output, took = _ctrl_c(process)
    assert process.returncode == 0, output
    _assert_the_jobs_finished_in_their_grace_time(raw, tokens, output, took)
    return output


def test_ctrl_c_lets_a_single_workers_job_finish(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    # `make worker`: one worker, forking a child per job; the child is in the terminal's group.
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default"]
    command += ["--shutdown-timeout", str(GRACE)]
    _ctrl_c_while_three_second_jobs_run(raw, command, _environment(redis_url), running=1)


def test_ctrl_c_counts_once_for_count_2(redis_url: str, raw: redis.Redis, client: Client) -> None:
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default", "--count", "2"]
    command += ["--shutdown-timeout", str(GRACE)]
    output = _ctrl_c_while_three_second_jobs_run(raw, command, _environment(redis_url), 2)
    assert output.count("SIGINT: stopping") == 2, output  # each worker heard it once


def test_ctrl_c_counts_once_for_flask_jobs_work_count_2(
    redis_url: str, raw: redis.Redis, client: Client, tmp_path: Path
) -> None:
    env = _environment(redis_url, JOBS_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)  # the blog's SQLite under tmp_path
    command = [FLASK, "--app", "blog_app", "jobs", "work", "--queue", "default", "--count", "2"]
    command += ["--shutdown-timeout", str(GRACE)]
    output = _ctrl_c_while_three_second_jobs_run(raw, command, env, running=2)
    assert output.count("SIGINT: stopping") == 2, output


def test_ctrl_c_in_the_jobs_demo_lets_a_running_job_finish(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    # `make jobs-demo` on this Redis: its workers take the 3 s job before any of the demo's own.
    jobs.enqueue(Sleeper, RUNS_FOR)
    env = _environment(redis_url)
    demo = _in_a_terminal([sys.executable, "-m", "jobs", "demo", "--rate", "1"], env)

    def three_second_job_running() -> bool:
        records = [raw.get(f"resque:worker:{w}") for w in raw.smembers("resque:workers")]
        return any(
            json.loads(record)["payload"]["args"] == [RUNS_FOR] for record in records if record
        )

    wait_for(three_second_job_running, timeout=60, what="the 3 s job to start")
    # Both workers up, not just the one running the job: on a busy machine the second may
    # still be starting when the first has taken the job.
    wait_for(lambda: raw.scard("resque:workers") == 2, timeout=60, what="both demo workers")
    output, took = _ctrl_c(demo)
    assert demo.returncode == 0, output
    assert re.search(r"done jobs\.dev\.demo\.Sleeper in 3\.\d+s", output), output
    assert took < GRACE, output
    assert "a second stop signal" not in output and "put an unfinished job back" not in output
    assert output.count("SIGINT: stopping") == 2, output  # each of its two workers, once
    # Item 11: the demo's workers show each job start and end.
    assert "start jobs.dev.demo.Sleeper[3.0] from sleep" in output, output


# -- COUNT=N: what the workers inherit, and when the supervisor gives up -----------------------


def test_flask_jobs_work_count_2_keeps_the_app_in_every_worker(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    for n in range(6):
        jobs.enqueue(NamesItsApp, f"job {n}")
    command = [FLASK, "--app", "tests.jobs.someone_elses_app", "jobs", "work"]
    command += ["--queue", "default", "--count", "2", "--interval", "0"]
    process = _in_a_terminal(command, _environment(redis_url))
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 0, output
    assert sorted(done(raw)) == [f"job {n} in someone_elses_app" for n in range(6)], output
    assert failures(raw) == []


def test_flask_jobs_in_someone_elses_app_has_only_the_queues_commands() -> None:
    command = [FLASK, "--app", "tests.jobs.someone_elses_app", "jobs", "--help"]
    theirs = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    ours = subprocess.run(
        [sys.executable, "-m", "jobs", "--help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    listed = re.compile(r"^  (\w+)", re.MULTILINE)

    def commands(help_text: str) -> set[str]:
        return set(listed.findall(help_text.partition("Commands:")[2]))

    assert commands(theirs) == {"work", "scheduler", "web"}, theirs
    assert commands(ours) == {"work", "scheduler", "web", "redis", "demo"}, ours


def test_a_broken_import_stops_count_2_at_once_with_the_message(redis_url: str) -> None:
    env = _environment(redis_url, JOBS_IMPORT="no_such_module_here")
    command = [sys.executable, "-m", "jobs", "work", "--count", "2"]
    process = start_process(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 1, output
    assert "cannot import a --import module" in output and "no_such_module_here" in output
    assert "starting it again" not in output


def test_count_2_without_a_redis_to_reach_stops_with_the_message() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    command = [sys.executable, "-m", "jobs", "work", "--count", "2"]
    process = start_process(
        command, cwd=ROOT, env=_environment(url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 1, output
    assert f"Error: cannot reach Redis at {url}" in output and "Traceback" not in output


def test_with_interval_0_count_2_works_until_empty_and_restarts_nothing(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    for n in range(10):
        jobs.enqueue(Record, n)
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default", "--count", "2"]
    process = _in_a_terminal([*command, "--interval", "0"], _environment(redis_url))
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 0, output
    assert sorted(done(raw), key=int) == [str(n) for n in range(10)]
    assert output.count("is done (exited with 0); not starting it again") == 2, output
    assert "starting it again in" not in output and raw.smembers("resque:workers") == set()


def test_very_verbose_logs_the_settings_each_worker_process_and_each_payload(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Record, "seen")
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default", "--count", "2"]
    env = _environment(redis_url, VVERBOSE="1")
    process = _in_a_terminal([*command, "--interval", "0"], env)
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 0, output
    assert re.search(r"DEBUG Redis redis://127\.0\.0\.1:\d+/0, namespace 'resque'", output)
    assert re.search(r"DEBUG worker 2 started as process \d+", output), output
    assert re.search(rf"DEBUG payload of {job_id}: .*sample_jobs\.Record", output), output
    assert "INFO start tests.jobs.sample_jobs.Record['seen'] from default" in output, output


def test_work_takes_a_schedule_file(redis_url: str, raw: redis.Redis, tmp_path: Path) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(
        '[tick]\nclass = "tests.jobs.sample_jobs.Record"\nargs = ["tick"]\nevery = 1\n'
    )
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default"]
    worker = _in_a_terminal([*command, "--schedule", str(schedule)], _environment(redis_url))
    wait_for(lambda: "tick" in done(raw), timeout=30, what="the recurring job to run")
    os.killpg(worker.pid, signal.SIGTERM)
    assert worker.wait(30) == 0


def test_work_stops_on_a_broken_schedule_file_with_the_message(
    redis_url: str, tmp_path: Path
) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text('[broken]\nclass = "tests.jobs.sample_jobs.NoSuchJob"\nevery = 60\n')
    command = [sys.executable, "-m", "jobs", "work", "--count", "2", "--schedule", str(schedule)]
    process = start_process(
        command, cwd=ROOT, env=_environment(redis_url), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    assert process.returncode == 1 and "NoSuchJob" in output, output
    assert "starting it again" not in output


def test_cpu_shares_deal_the_cpus_out_so_that_the_workers_together_have_them_all() -> None:
    assert cpu_shares(2, [0, 1]) == [{0}, {1}]
    assert cpu_shares(2, [3, 0, 1, 2]) == [{0, 2}, {1, 3}]
    assert cpu_shares(3, [0, 1, 2, 3, 4, 5, 6]) == [{0, 3, 6}, {1, 4}, {2, 5}]
    assert cpu_shares(3, [0, 1]) is None  # more workers than CPUs: none is kept to any
    assert cpu_shares(1, [0, 1]) is None  # a single worker keeps every CPU


def _two_workers(raw: redis.Redis) -> set[int] | None:
    """The pids of the two registered worker processes, once both are (a thread-mode worker
    registers one id per thread, all with its pid)."""
    ids = [WorkerId.parse(member) for member in raw.smembers("resque:workers")]
    pids = {worker_id.pid for worker_id in ids if worker_id is not None}
    return pids if len(pids) == 2 else None


@pytest.mark.skipif(cpu_shares(2) is None, reason="needs 2 CPUs and CPU affinity (Linux)")
@pytest.mark.parametrize(
    ("threads", "switch", "pinned"),
    [("2", "1", True), ("1", "1", False), ("2", "0", False)],
    ids=["thread mode", "fork per job", "JOBS_PIN_CPUS=0"],
)
def test_count_2_keeps_each_thread_mode_worker_to_its_own_share_of_the_cpus(
    redis_url: str, raw: redis.Redis, threads: str, switch: str, pinned: bool
) -> None:
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default", "--count", "2"]
    env = _environment(redis_url, JOBS_PIN_CPUS=switch)
    process = _in_a_terminal([*command, "--threads", threads], env)
    try:
        pids = wait_for(lambda: _two_workers(raw), timeout=60, what="two workers to register")
        cpus = sorted(sorted(os.sched_getaffinity(pid)) for pid in pids)
    finally:
        output, _ = _ctrl_c(process)
    assert process.returncode == 0, output
    every_cpu = sorted(os.sched_getaffinity(0))
    shares = cpu_shares(2)
    assert shares is not None
    assert cpus == (sorted(sorted(share) for share in shares) if pinned else [every_cpu] * 2)
