"""The workshop's commands on top of the queue's own (:data:`jobs.cli.cli`): ``redis`` (the
project's own Redis) and ``demo``. ``python -m jobs`` and the blog's ``flask jobs`` offer them;
an app that adds :data:`jobs.cli.cli` to its commands gets only the queue's."""

from __future__ import annotations

import os
from dataclasses import replace

import click

from jobs.cli import cli
from jobs.dev.local_redis import find_redis_cli
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.settings import Settings
from jobs.store import redact


def _workshop_settings() -> Settings:
    """The settings of the workshop's own Redis commands: these may start the project's Redis
    (``JOBS_LOCAL_REDIS=1``, see :mod:`jobs.settings`)."""
    return replace(Settings.from_env(), local_redis=True)


@click.group()
def redis() -> None:
    """The project's own Redis (used when REDIS_URL is not set)."""


@redis.command("start")
def redis_start() -> None:
    """Start the project's Redis (data in var/redis, append-only) and print its URL."""
    url = ProjectRedis(default_var_dir()).ensure_running()
    click.echo(url)


@redis.command("stop")
def redis_stop() -> None:
    """Stop the project's Redis; its data stays in var/redis."""
    stopped = ProjectRedis(default_var_dir()).stop()
    click.echo("stopped" if stopped else "it was not running")


@redis.command("url")
def redis_url() -> None:
    """Print the Redis URL every command uses (REDIS_URL, or the project's own)."""
    click.echo(redact(_workshop_settings().resolved_redis_url()))


@redis.command("cli", context_settings={"ignore_unknown_options": True})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def redis_cli(arguments: tuple[str, ...]) -> None:
    """Open redis-cli on the Redis every command uses."""
    url = _workshop_settings().resolved_redis_url()
    os.execv(find_redis_cli(), ["redis-cli", "-u", url, *arguments])


@click.command()
@click.option("--rate", default=2.0, show_default=True, help="Demo jobs enqueued per second.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
def demo(rate: float, duration: float | None) -> None:
    """Start Redis, two workers and a stream of demo jobs, with live progress. Ctrl-C stops."""
    from jobs.dev.demo import run_demo

    run_demo(rate, duration)


@click.group(commands={**cli.commands, "redis": redis, "demo": demo})
def workshop() -> None:
    """Background jobs: workers, the scheduler loop, the web monitor; and the workshop's own
    Redis and demo."""


def main() -> None:
    workshop(prog_name="jobs")
