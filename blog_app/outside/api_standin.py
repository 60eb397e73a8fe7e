"""A stand-in for a third-party spam-scoring API: slow, and as unreliable as you ask it to be.

``POST /v1/score`` with ``{"text": "..."}`` answers ``{"score": 0.0..1.0}`` after ``latency``
seconds. With probability ``failure_rate`` it fails instead, in one of the ``failures`` ways:
``timeout`` (it answers only after ``hang`` seconds, long past any sensible client timeout),
``error`` (HTTP 500) or ``garbage`` (HTTP 200 with a body that is not JSON). For runs that must
come out the same every time, ``next`` lists the next answers in order, each ``ok`` or a failure,
or ``429`` (Too Many Requests, with a ``Retry-After`` of ``retry_after`` seconds); the random
failures resume once the list is used up. ``POST /_control`` changes these settings while it
runs (tests use it; anything it does not accept answers 400, saying what it accepts). It has
no password: like every stand-in, it listens on 127.0.0.1 only. ``GET /health`` answers at
once.

    python -m blog_app.outside.api_standin --port 8025 --latency 0.5 --failure-rate 0.1
"""

from __future__ import annotations

import argparse
import json
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
DEFAULT_LATENCY = 0.5
FAILURES = ("timeout", "error", "garbage")
SCRIPTED = ("ok", "429", *FAILURES)  # what ``next`` may list
SPAMMY = {"casino", "viagra", "lottery", "winner", "crypto", "bitcoin", "free", "cheap", "click"}


@dataclass(frozen=True)
class Behaviour:
    latency: float = DEFAULT_LATENCY
    failure_rate: float = 0.0
    failures: tuple[str, ...] = FAILURES
    hang: float = 30.0
    next: tuple[str, ...] = ()  # the next answers, in order, before the random ones
    retry_after: float = 1.0  # seconds, in a 429's Retry-After header


def spam_score(text: str) -> float:
    """A made-up but stable score: links and spammy words push it up."""
    words = re.findall(r"[a-z]+", text.lower())
    links = len(re.findall(r"https?://", text))
    hits = sum(word in SPAMMY for word in words)
    return round(min(1.0, 0.02 + 0.3 * links + 0.25 * hits), 3)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hanging "timeout" answer must not keep the process alive

    def __init__(self, port: int, behaviour: Behaviour, seed: int | None) -> None:
        super().__init__((HOST, port), _Handler)
        self.behaviour = behaviour
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0

    def next_failure(self) -> str | None:
        with self.lock:
            self.requests += 1
            if self.behaviour.next:
                answer, *rest = self.behaviour.next
                self.behaviour = replace(self.behaviour, next=tuple(rest))
                return None if answer == "ok" else answer
            if self.random.random() >= self.behaviour.failure_rate:
                return None
            return self.random.choice(self.behaviour.failures)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the demo's terminal belongs to the blog

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, {"ok": True, "requests": self.server.requests})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self._read_json()
        if self.path == "/_control" and isinstance(body, dict):
            self._control(body)
        elif self.path == "/v1/score" and isinstance(body, dict) and "text" in body:
            self._score(str(body["text"]))
        else:
            self._send(400, {"error": 'POST /v1/score with {"text": ...}'})

    def _control(self, changes: dict[str, Any]) -> None:
        try:
            self.server.behaviour = changed_behaviour(self.server.behaviour, changes)
        except ValueError as error:
            self._send(400, {"error": str(error), "accepts": CONTROL_HELP})
            return
        self._send(200, _behaviour_json(self.server.behaviour))

    def _score(self, text: str) -> None:
        behaviour, failure = self.server.behaviour, self.server.next_failure()
        time.sleep(behaviour.hang if failure == "timeout" else behaviour.latency)
        if failure == "429":
            retry_after = {"Retry-After": f"{behaviour.retry_after:g}"}
            self._send(429, {"error": "too many requests"}, retry_after)
        elif failure == "error":
            self._send(500, {"error": "internal server error"})
        elif failure == "garbage":
            self._send_raw(200, b"<html>upstream proxy error</html>", "text/html")
        else:
            self._send(200, {"score": spam_score(text)})

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def _send(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (that is what a timeout is)


CONTROL_HELP = {
    "latency": "seconds (a number, 0 or more)",
    "failure_rate": "a number from 0 to 1",
    "failures": f"a list of {', '.join(FAILURES)}",
    "hang": "seconds (a number, 0 or more)",
    "next": f"a list of the next answers, each one of {', '.join(SCRIPTED)}",
    "retry_after": "seconds (a number, 0 or more)",
}


def changed_behaviour(behaviour: Behaviour, changes: dict[str, Any]) -> Behaviour:
    """``behaviour`` with ``changes`` (from ``POST /_control``); ValueError says what is wrong."""
    unknown = sorted(set(changes) - set(CONTROL_HELP))
    if unknown:
        raise ValueError(f"unknown setting {', '.join(unknown)}")
    for name in ("latency", "failure_rate", "hang", "retry_after"):
        value = changes.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name} must be {CONTROL_HELP[name]}")
    if changes.get("failure_rate", 0) > 1:
        raise ValueError(f"failure_rate must be {CONTROL_HELP['failure_rate']}")
    failures = changes.get("failures", list(FAILURES))
    if not isinstance(failures, list) or not failures or not set(failures) <= set(FAILURES):
        raise ValueError(f"failures must be {CONTROL_HELP['failures']}")
    answers = changes.get("next", [])
    if not isinstance(answers, list) or not set(answers) <= set(SCRIPTED):
        raise ValueError(f"next must be {CONTROL_HELP['next']}")
    lists = {name: tuple(changes[name]) for name in ("failures", "next") if name in changes}
    return replace(behaviour, **{**changes, **lists})


def _behaviour_json(behaviour: Behaviour) -> dict[str, Any]:
    return {**asdict(behaviour), "failures": list(behaviour.failures), "next": list(behaviour.next)}


@dataclass
class ApiStandin:
    """The stand-in in a background thread: ``with ApiStandin(latency=0.05) as api: api.url``."""

    latency: float = DEFAULT_LATENCY
    failure_rate: float = 0.0
    port: int = 0
    seed: int | None = None
    _server: _Server | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{HOST}:{self._server.server_address[1]}"

    @property
    def requests(self) -> int:
        return self._server.requests if self._server else 0

    def configure(self, **changes: Any) -> None:
        assert self._server is not None, "start() first"
        self._server.behaviour = replace(self._server.behaviour, **changes)

    def start(self) -> None:
        self._server = _Server(self.port, Behaviour(self.latency, self.failure_rate), self.seed)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A slow, sometimes failing spam-score API.")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    options = parser.parse_args()
    server = _Server(options.port, Behaviour(options.latency, options.failure_rate), None)
    print(f"API stand-in on http://{HOST}:{options.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
