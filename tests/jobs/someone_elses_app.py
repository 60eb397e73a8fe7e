"""A small Flask app that is not the workshop's, with the queue's commands as ``flask jobs``,
as the README shows."""

from __future__ import annotations

from flask import Flask

import jobs.cli


def create_app() -> Flask:
    app = Flask("someone_elses_app")
    app.cli.add_command(jobs.cli.cli, "jobs")
    return app
