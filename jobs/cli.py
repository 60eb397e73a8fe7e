"""The command line: ``python -m jobs work`` (also ``jobs work``, and ``flask jobs work`` in an
app that adds :data:`cli` to its commands). Flags and environment variables follow Resque's
rake tasks: ``QUEUE``, ``COUNT``, ``INTERVAL``, ``VERBOSE``.

These are the queue's own commands (``work``, ``scheduler``, ``web``), for any app; the
workshop's ``redis`` and ``demo`` are added by :mod:`jobs.dev.cli`, which ``python -m jobs`` and
the blog's ``flask jobs`` use.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import click
from click.decorators import FC

if TYPE_CHECKING:
    from jobs.schedule import Schedule

from jobs.job_loader import JobLoader
from jobs.settings import RedisNotConfigured, Settings
from jobs.store import RedisUnavailable, open_store, redact
from jobs.supervisor import Supervisor
from jobs.worker import Worker

log = logging.getLogger("jobs.cli")
NO_IMPORT_HELP = (
    "Tell the worker which modules hold your job classes, e.g.\n"
    "  python -m jobs work --import blog_app.jobs --queue default\n"
    "or JOBS_IMPORT=blog_app.jobs. It only runs job classes from those modules, so that a\n"
    "payload in Redis cannot name just any function to call."
)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _configure_logging(verbose: bool, very_verbose: bool) -> None:
    level = logging.DEBUG if very_verbose else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger("jobs.supervisor").setLevel(min(level, logging.INFO))


def imports_option(help_text: str) -> Callable[[FC], FC]:
    """``--import`` / ``JOBS_IMPORT``: the modules a command loads job classes from."""
    return click.option("--import", "imports", envvar="JOBS_IMPORT", default="", help=help_text)


schedule_option = click.option(
    "--schedule",
    "schedule_file",
    envvar="JOBS_SCHEDULE",
    default="",
    help="A TOML file of recurring jobs, besides those declared in code.",
)


@click.group()
def cli() -> None:
    """Background jobs: workers, the scheduler loop and the web monitor."""


@cli.command()
@click.option(
    "--queue",
    "-q",
    "queue",
    envvar=["QUEUE", "QUEUES"],
    default="*",
    show_default=True,
    help="Queues to work, highest priority first, comma-separated; * for all.",
)
@click.option(
    "--count",
    "-c",
    envvar="COUNT",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="How many worker processes to run.",
)
@click.option(
    "--threads",
    "-t",
    envvar="THREADS",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Jobs at once per process (threads); 1 = fork per job.",
)
@click.option(
    "--fork/--no-fork",
    envvar="FORK_PER_JOB",
    default=True,
    show_default=True,
    help="With one thread: run each job in a forked child (Resque's isolation).",
)
@click.option(
    "--interval",
    "-i",
    envvar="INTERVAL",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds between idle rescans; 0 = exit when empty.",
)
@click.option(
    "--shutdown-timeout",
    envvar="SHUTDOWN_TIMEOUT",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="On TERM/INT: seconds running jobs get to finish before they are put back.",
)
@imports_option("Comma-separated modules holding your job classes (required).")
@schedule_option
@click.option(
    "--verbose", "-v", envvar="VERBOSE", is_flag=True, help="Log each job's start and end."
)
@click.option(
    "--very-verbose",
    envvar="VVERBOSE",
    is_flag=True,
    help="Also log debugging detail: settings, worker processes, each job's payload.",
)
def work(
    queue: str,
    count: int,
    threads: int,
    fork: bool,
    interval: float,
    shutdown_timeout: float,
    imports: str,
    schedule_file: str,
    verbose: bool,
    very_verbose: bool,
) -> None:
    """Start workers: QUEUE=high,low COUNT=2 python -m jobs work --import myapp.jobs"""
    _configure_logging(verbose, very_verbose)
    modules, queues = _split(imports), _split(queue)
    if not modules:
        raise click.UsageError(NO_IMPORT_HELP)
    # Everything that can be wrong with the configuration is found here, once, before any
    # worker starts (so a supervisor never restarts a worker that cannot work).
    settings = Settings.from_env()
    if schedule_file:  # the workers' scheduler loops read it from JOBS_SCHEDULE
        settings = replace(settings, environ={**settings.environ, "JOBS_SCHEDULE": schedule_file})
    loader = _load_job_modules(modules)
    _read_schedule(schedule_file, loader)
    url = _redis_url_that_answers(settings)
    log.debug(
        "Redis %s, namespace %r, queues %s, job modules %s, %s",
        redact(url), settings.namespace, queues, modules,
        f"{threads} threads" if threads > 1 else "fork per job" if fork else "no fork",
    )  # fmt: skip

    def run_worker() -> None:
        Worker(
            open_store(url, settings.namespace),  # here: each worker process its own connection
            settings, queues, loader,
            threads=threads, fork_per_job=fork, interval=interval,
            shutdown_timeout=shutdown_timeout,
        ).run()  # fmt: skip

    if count == 1:
        run_worker()
        return
    # Thread-mode workers each keep to their share of the CPUs (see jobs.supervisor, point 6).
    pin_cpus = settings.pin_cpus and threads > 1
    sys.exit(Supervisor(run_worker, count, pin_cpus=pin_cpus).run())


def _load_job_modules(modules: list[str]) -> JobLoader:
    sys.path.insert(0, os.getcwd())  # like `python -m`: job modules in the current directory
    try:
        return JobLoader(modules)
    except ImportError as error:
        raise click.ClickException(f"cannot import a --import module: {error}") from error


def _read_schedule(schedule_file: str, loader: JobLoader) -> Schedule:
    """The schedules in code and in the file; a ClickException says what is wrong."""
    from jobs.schedule import ScheduleError
    from jobs.scheduler import schedule_with_file

    try:
        return schedule_with_file(schedule_file, loader)
    except (ImportError, ScheduleError) as error:
        raise click.ClickException(str(error)) from error


def _resolved_redis_url(settings: Settings) -> str:
    try:
        return settings.resolved_redis_url()
    except RedisNotConfigured as error:
        raise click.ClickException(str(error)) from error


def _redis_url_that_answers(settings: Settings) -> str:
    url = _resolved_redis_url(settings)
    try:
        open_store(url, settings.namespace).ping()
    except RedisUnavailable as error:
        raise click.ClickException(str(error)) from error
    return url


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5678, show_default=True, type=click.IntRange(1, 65535))
@click.option("--read-only", is_flag=True, help="Show everything, change nothing.")
def web(host: str, port: int, read_only: bool) -> None:
    """The web monitor. Basic auth from JOBS_WEB_USER/JOBS_WEB_PASSWORD; without, loopback only."""
    from jobs.extras import MissingExtra

    try:
        from jobs.web.app import serve
        from jobs.web.auth import AuthSetupError
    except MissingExtra as error:
        raise click.ClickException(str(error)) from error
    try:
        serve(host, port, read_only, os.environ)
    except (AuthSetupError, RedisNotConfigured) as error:
        raise click.ClickException(str(error)) from error


@cli.command()
@imports_option("Comma-separated modules holding your job classes and schedules (required).")
@schedule_option
@click.option("--verbose", "-v", envvar="VERBOSE", is_flag=True, help="Log every enqueue.")
def scheduler(imports: str, schedule_file: str, verbose: bool) -> None:
    """Only the scheduler loop: delayed jobs, retries and recurring jobs onto their queues.
    Workers run it too (unless JOBS_SCHEDULER=0); this is for running it on its own."""
    from jobs.scheduler import Scheduler, run_standalone

    _configure_logging(verbose, False)
    modules = _split(imports)
    if not modules:
        raise click.UsageError(NO_IMPORT_HELP.replace("work", "scheduler", 1))
    settings = Settings.from_env()
    schedule = _read_schedule(schedule_file, _load_job_modules(modules))
    store = open_store(_resolved_redis_url(settings), settings.namespace)
    store.ping()
    run_standalone(Scheduler(store, settings, schedule), store)


def main() -> None:
    """The ``jobs`` command an installed package puts on PATH: the queue's own commands."""
    cli(prog_name="jobs")
