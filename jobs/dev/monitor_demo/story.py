"""The runner of the monitor demo: it opens the stage, plays the acts in order and stops
everything it started, on the last act, on an error, or at Ctrl-C in any act.

Between acts, and wherever an act says "look", it waits: for Enter (an instructor talking to a
room), or ``AUTO=1``, a few seconds (a rehearsal, or a screen in a hallway).
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from types import FrameType

from jobs.dev.monitor_demo.acts import ACTS, ActFailed, Notes
from jobs.dev.monitor_demo.stage import Stage, StageError
from jobs.settings import Settings
from jobs.store import RedisUnavailable


@dataclass
class Cue:
    """Prints to the room and holds: Enter, or ``auto_seconds`` when set."""

    monitor_url: str
    auto_seconds: float | None

    def say(self, text: str) -> None:
        print(f"  {text}", flush=True)

    def look(self, what: str, path: str) -> None:
        print(f"  Look: {what}\n        {self.monitor_url}{path}", flush=True)
        self.hold()

    def hold(self) -> None:
        """Leave the page on: until Enter, or for the timer's seconds."""
        if self.auto_seconds is not None:
            time.sleep(self.auto_seconds)
        else:
            self._enter("(Enter: go on)")

    def ready(self) -> None:
        """Before an act, wait for Enter, so the demo can stay open between chapters (the timer
        goes straight on: its looks give the room time enough)."""
        if self.auto_seconds is None:
            self._enter("(Enter: start the act)")

    def _enter(self, prompt: str) -> None:
        # The prompt on a line of its own: a log, or a test, reads lines.
        print(f"  {prompt}", flush=True)
        try:
            input()
        except EOFError:  # no terminal to press Enter in (a pipe, a CI log): go on by the clock
            self.auto_seconds = DEFAULT_AUTO_SECONDS
            print(f"\n  (no terminal: going on every {self.auto_seconds:g}s)", flush=True)


DEFAULT_AUTO_SECONDS = 15.0


def _stop_like_ctrl_c(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(size: int, port: int, auto_seconds: float | None) -> int:
    """Play the story; returns the exit status (0: every act ran)."""
    # Ctrl-C and `kill` both stop it cleanly, even when started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    try:
        stage = Stage.open(Settings.from_env())
    except (RedisUnavailable, StageError) as error:
        print(f"monitor-demo: {error}", file=sys.stderr)
        return 1
    try:
        return _play(stage, size, port, auto_seconds)
    except KeyboardInterrupt:
        print("\nCtrl-C: stopping everything the demo started.", flush=True)
        return 130
    finally:
        stage.stop()


def _play(stage: Stage, size: int, port: int, auto_seconds: float | None) -> int:
    try:
        url = stage.start_monitor(port)
    except StageError as error:
        print(f"monitor-demo: {error}", file=sys.stderr)
        return 1
    print(f"Redis: {stage.url}\nThe monitor: {url}/  (open it now, next to this terminal)")
    if others := stage.store.workers.ids():
        # `make demo`'s worker, say, works every queue, and fails the demo's jobs (it cannot
        # load their classes): the acts' counts would say so, but the room would not get it.
        print(
            f"Careful: {len(others)} other workers use this Redis and may take the demo's jobs;"
            " stop them (make demo) or give the demo a Redis of its own (REDIS_URL=...)."
        )
    stage.start_worker()
    cue, notes = Cue(url, auto_seconds), Notes(size)
    how = f"every {auto_seconds:g}s" if auto_seconds is not None else "when you press Enter"
    print(f"{len(ACTS)} acts; each goes on {how}. Ctrl-C stops everything, at any act.")
    for number, (title, act) in enumerate(ACTS, 1):
        print(f"\n=== Act {number} of {len(ACTS)}: {title} ===", flush=True)
        if number > 1:
            cue.ready()
        try:
            line = act(stage, cue, notes)
        except ActFailed as error:
            print(f"  The act went wrong: {error}. Stopping.", flush=True)
            return 1
        print(f"  => {line}", flush=True)
    print("\nThe end.", flush=True)
    return 0
