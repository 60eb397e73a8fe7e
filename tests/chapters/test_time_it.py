"""chapters/time_it.sh, the lessons' stopwatch: when it cannot time a click, it says why and
what to do, instead of exiting silently with curl's code."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import create_schema
from chapters.tool import ROOT
from jobs.dev.local_redis import free_port

SCRIPT = ROOT / "chapters" / "time_it.sh"


def _time_it(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BLOG_URL"} | {"PORT": str(port)}
    return subprocess.run(
        ["sh", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
    )


def _serve(server: HTTPServer | object) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)  # type: ignore[attr-defined]
    thread.start()
    yield server.server_port  # type: ignore[attr-defined]
    server.shutdown()  # type: ignore[attr-defined]
    thread.join(10)


class _Broken(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(500)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[int]:
    """A real HTTP server on loopback that answers 500 to everything."""
    yield from _serve(HTTPServer(("127.0.0.1", 0), _Broken))


@pytest.fixture
def blog_without_demo_account(tmp_path: Path) -> Iterator[int]:
    """The blog, served over HTTP, with an empty database: no demo account to log in as."""
    config = BlogConfig(
        database_url=f"sqlite:///{tmp_path / 'blog.sqlite3'}",
        upload_dir=tmp_path / "uploads",
        outbox_dir=tmp_path / "outbox",
        password_hash_method="pbkdf2:sha256:1000",
    )
    app = create_app(config)
    create_schema(app)
    yield from _serve(make_server("127.0.0.1", free_port(), app, threaded=True))


def test_no_blog_running_says_to_start_one() -> None:
    done = _time_it(free_port(), "publish")
    assert done.returncode == 1
    assert "no blog answers at http://127.0.0.1:" in done.stderr
    assert "make blog" in done.stderr and "PORT=" in done.stderr


def test_an_error_page_says_where_to_look(broken_server: int) -> None:
    done = _time_it(broken_server, "publish")
    assert done.returncode == 1
    assert "the blog answered 500 to GET /login" in done.stderr
    assert "shows the traceback" in done.stderr


def test_a_blog_without_the_demo_account_says_how_to_seed_it(
    blog_without_demo_account: int,
) -> None:
    done = _time_it(blog_without_demo_account, "publish")
    assert done.returncode == 1
    assert "logging in as demo@example.com failed" in done.stderr
    assert "make reset" in done.stderr
