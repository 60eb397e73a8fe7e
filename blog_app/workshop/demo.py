"""``make demo``: the whole workshop on one machine, stopped by one Ctrl-C.

It starts, in order: Redis (``REDIS_URL``, else the project's own), the blog (waitress) on
SQLite under ``var/blog``, built with that Redis so its monitor at ``/jobs`` shows it, the spam
API stand-in and the SMTP sink on free ports, and a worker for the blog's jobs that logs each
job as it starts and ends. The blog is seeded on first run. It prints the URLs and the demo
account. On Ctrl-C it stops everything it started, and Redis only if it started Redis; the
worker's running jobs get their ``--shutdown-timeout`` to finish.

    python -m blog_app.workshop.demo [--port 5000] [--articles 20] [--comments 100]
    python -m blog_app.workshop.demo reset      # empty the dev database, uploads, outbox and Redis
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from types import FrameType
from typing import cast

from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from blog_app import create_app
from blog_app.cli import reset_site, seed_site
from blog_app.config import BlogConfig
from blog_app.db import create_schema, open_session
from blog_app.models import Author
from blog_app.workshop.seed import DEMO_EMAIL, DEMO_PASSWORD, SeedPlan
from jobs.dev.local_redis import free_port, port_is_free
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.settings import LOCAL_REDIS_SWITCH, Settings
from jobs.store import connect
from jobs.supervisor import start_workers, stop_workers

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
GRACE = 5.0  # seconds a child gets to stop after each signal
SHUTDOWN_TIMEOUT = 10.0  # seconds the worker's running jobs get to finish on Ctrl-C


def _redis(settings: Settings) -> tuple[str, ProjectRedis | None]:
    """The Redis URL, and the project Redis if we started it (so that we stop it after)."""
    if settings.redis_url:
        return settings.redis_url, None
    project = ProjectRedis(default_var_dir())
    already_running = project.running_url() is not None
    return project.ensure_running(), (None if already_running else project)


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {START_TIMEOUT:g} s")
        time.sleep(0.05)


def _listening(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
        except OSError:
            return False
        return True

    return check


def _start(stack: ExitStack, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    stack.callback(_stop, process)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Ctrl-C in a terminal has already sent SIGINT to each of them (same process group), so
    # first give them a moment to finish on their own; TERM is for the ones that missed it
    # (the demo itself was sent TERM), KILL for any that hang.
    for send in (None, process.terminate, process.kill):
        if send is not None:
            send()
        try:
            process.wait(GRACE)
            return
        except subprocess.TimeoutExpired:
            continue
    process.wait()


def _with_outside_ports(config: BlogConfig) -> BlogConfig:
    api_port, smtp_port = free_port(), free_port()
    return config.with_changes(spam_api_url=f"http://{HOST}:{api_port}", smtp_port=smtp_port)


def _start_outside_world(stack: ExitStack, config: BlogConfig) -> None:
    api_port, smtp_port = int(config.spam_api_url.rsplit(":", 1)[1]), config.smtp_port
    python = [sys.executable, "-m"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    _start(stack, [*python, "blog_app.outside.api_standin", "--port", str(api_port)], env)
    outbox = ["--outbox", str(config.outbox_dir)]
    _start(stack, [*python, "blog_app.outside.smtp_sink", "--port", str(smtp_port), *outbox], env)
    _wait_until(_listening(api_port), "the API stand-in")
    _wait_until(_listening(smtp_port), "the SMTP sink")


def _seed_on_first_run(app: Flask, plan: SeedPlan) -> None:
    create_schema(app)
    with open_session(app) as db:
        seeded = Author.find_by_email(db, DEMO_EMAIL) is not None
    if not seeded:
        seed_site(app, plan)


def _port_taken(port: int, error: object = "it is in use") -> SystemExit:
    return SystemExit(f"Port {port} is not free ({error}). Try another: make demo PORT={port + 1}")


def _bind(app: Flask, port: int) -> BaseWSGIServer | MultiSocketServer:
    try:
        server: BaseWSGIServer | MultiSocketServer = create_server(
            app, host=HOST, port=port, threads=4
        )
    except OSError as error:
        raise _port_taken(port, error) from error
    # Waitress warns "Task queue depth is 2" whenever a page and its files arrive faster than
    # its threads serve them: normal on a dev machine, and alarming in a learner's terminal.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return server


def run(port: int, plan: SeedPlan) -> None:
    if not port_is_free(port):  # before anything starts: fail fast, and say what to do
        raise _port_taken(port)
    config = _with_outside_ports(BlogConfig.from_env())
    with ExitStack() as stack:
        # Redis first: the blog's monitor at /jobs is built for the Redis it is given.
        redis_url, started_redis = _redis(Settings.from_env())
        if started_redis is not None:
            stack.callback(_stop_redis, started_redis)
        config = config.with_changes(redis_url=redis_url)
        app = create_app(config)
        server = _bind(app, port)
        stack.callback(server.close)
        _start_outside_world(stack, config)
        _seed_on_first_run(app, plan)
        _start_worker(stack, {**os.environ, **config.environment()})
        _announce(port, redis_url, config)
        server.run()  # until Ctrl-C; waitress closes its socket and returns
        print("\nStopping the worker, the stand-ins and the blog...", flush=True)
    print("Everything the demo started has stopped.", flush=True)


def _start_worker(stack: ExitStack, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "jobs", "work", "--queue", "*", "--import", "blog_app.jobs"]
    command += ["--verbose", "--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
    worker = start_workers(command, env)
    stack.callback(stop_workers, worker, SHUTDOWN_TIMEOUT)


def _stop_redis(project: ProjectRedis) -> None:
    project.stop()
    print(f"Stopped Redis (its data stays in {project.shown_dir()}).", flush=True)


def _announce(port: int, redis_url: str, config: BlogConfig) -> None:
    blog = f"http://{HOST}:{port}"
    print(
        f"\nThe blog:        {blog}/\n"
        f"The job monitor: {blog}/jobs/  (log in first)\n"
        f"The outbox:      {blog}/outbox/\n"
        f"Demo account:    {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
        f"Spam API:        {config.spam_api_url}   SMTP sink: {HOST}:{config.smtp_port}\n"
        f"Redis:           {redis_url}\n"
        f"Database:        {config.database_url}\n\n"
        "Press Ctrl-C to stop everything.",
        flush=True,
    )


def reset() -> None:
    """Empty the dev database, uploads and outbox, and the queue's keys in Redis."""
    reset_site(create_app(BlogConfig.from_env()))
    settings = Settings.from_env()
    url, started = _redis(settings)
    removed = delete_keys(url, f"{settings.namespace}:*")
    if started is not None:
        started.stop()
    keys = "1 Redis key" if removed == 1 else f"{removed} Redis keys"
    print(f"The blog is empty; removed {keys} under '{settings.namespace}:'.")


def delete_keys(url: str, pattern: str) -> int:
    # Only our namespace: with REDIS_URL this may be a Redis that others use too.
    client = connect(url)
    try:
        keys = list(client.scan_iter(pattern))
        return cast(int, client.delete(*keys)) if keys else 0
    finally:
        client.close()


def _terminate_like_ctrl_c(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m blog_app.workshop.demo", description=__doc__)
    parser.add_argument("action", nargs="?", choices=["run", "reset"], default="run")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--comments", type=int, default=100)
    options = parser.parse_args(argv)
    # The workshop's own command: it may start the project's Redis (see jobs.settings), and so
    # may the blog it serves, whose enqueues look the URL up again.
    os.environ.setdefault(LOCAL_REDIS_SWITCH, "1")
    if options.action == "reset":
        reset()
        return
    signal.signal(signal.SIGTERM, _terminate_like_ctrl_c)
    # Ctrl-C must work even if this started with SIGINT ignored (a `&` job in a script, nohup).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # On Ctrl-C the ExitStack in run() has stopped everything on the way out.
    with contextlib.suppress(KeyboardInterrupt):
        run(options.port, SeedPlan(options.articles, options.comments))


if __name__ == "__main__":
    main()
