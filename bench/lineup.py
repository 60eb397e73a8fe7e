"""Who takes part in a run: ours, ours on other redis-py versions, and the peers, each with its
own interpreter (:mod:`bench.venvs`); and the line that says which versions ran."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import sidekiq_peer, venvs
from bench.huey_peer import HueyPeer
from bench.ours import Ours
from bench.rq_peer import RQPeer
from bench.system import System

PEERS = ("Sidekiq", "Huey", "RQ")


@dataclass
class Lineup:
    systems: list[System] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # "Huey 3.5.4 (redis-py 8.1.0)", ...
    left_out: list[str] = field(default_factory=list)  # why a peer is missing

    @property
    def names(self) -> list[str]:
        return [system.name for system in self.systems]


def lineup(redis_url: str, redis_py: list[str] | None, skip: list[str]) -> Lineup:
    """Ours, then ours on each ``redis_py`` version (None: the peers' own), then the peers not
    in ``skip``."""
    found = Lineup([Ours()], [f"ours (redis-py {venvs.version_in(sys.executable, 'redis')})"])
    peers = _peers(redis_url, skip, found)
    pythons = [python for python in map(_python, peers) if python]
    peers_redis_py = sorted({venvs.version_in(python, "redis") for python in pythons})
    for version in peers_redis_py if redis_py is None else redis_py:
        python = _made(found, functools.partial(venvs.ours_python, version))
        if python:
            found.systems.append(Ours(python, f"ours, redis-py {version}"))
    found.systems += peers
    return found


def _made(found: Lineup, make: Callable[[], str]) -> str | None:
    """The interpreter ``make`` returns; None, with the reason noted, if it could not."""
    try:
        return make()
    except venvs.VenvError as error:
        found.left_out.append(f"left out: {error}")
        return None


def _peers(redis_url: str, skip: list[str], found: Lineup) -> list[System]:
    peers: list[System] = []
    if "Sidekiq" not in skip:
        reason = sidekiq_peer.missing()
        if reason is None:
            peers.append(sidekiq_peer.SidekiqPeer())
            found.versions.append(_sidekiq_version())
        else:
            found.left_out.append(reason)
    huey = None if "Huey" in skip else _made(found, functools.partial(venvs.peer_python, "huey"))
    if huey:
        peers.append(HueyPeer(huey))
    rq = None if "RQ" in skip else _made(found, functools.partial(venvs.peer_python, "rq"))
    if rq:
        peers.append(RQPeer(rq, redis_url))
    for peer in peers:
        python = _python(peer)
        if python:
            package = peer.name.lower()
            found.versions.append(
                f"{peer.name} {venvs.version_in(python, package)}"
                f" (redis-py {venvs.version_in(python, 'redis')})"
            )
    return peers


def _python(system: System) -> str | None:
    return getattr(system, "python", None)


def _sidekiq_version() -> str:
    code = 'require "sidekiq"; require "redis"; print Sidekiq::VERSION, " ", Redis::VERSION'
    done = subprocess.run(["ruby", "-e", code], capture_output=True, text=True)
    sidekiq, _, redis_rb = done.stdout.partition(" ")
    return f"Sidekiq {sidekiq or '?'} (redis-rb {redis_rb or '?'}, Ruby)"
