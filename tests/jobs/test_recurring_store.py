"""The recurring schedules' Lua scripts, each through its typed wrapper in
:mod:`jobs.store.recurring`, checked key by key against a real Redis."""

from __future__ import annotations

import redis

from jobs.store import Store

P1 = b'{"class":"app.Mail","args":[1],"id":"aaa","enqueued_at":1.5}'
P2 = b'{"class":"app.Mail","args":[2],"id":"bbb","enqueued_at":2.5}'
P3 = b'{"class":"app.Mail","args":[3],"id":"ccc","enqueued_at":3.5}'
T = 1_800_000_000_000  # a fixed "now", Unix ms


# -- claim_tick.lua, forget_recurring.lua ---------------------------------------------------------
def test_claim_tick_starts_then_enqueues_each_later_tick_once(
    store: Store, raw: redis.Redis
) -> None:
    claim = store.recurring.claim_tick

    assert claim("sweep", T, "maintenance", P1) == "started"
    assert raw.hget("resque:jobs:recurring:last", "sweep") == str(-T)
    assert claim("sweep", T, "maintenance", P1) == "taken"
    assert claim("sweep", T + 60_000, "maintenance", P2) == "enqueued"
    assert claim("sweep", T + 60_000, "maintenance", P3) == "taken"
    assert claim("sweep", T, "maintenance", P3) == "taken"  # a loop whose clock lags

    assert raw.lrange("resque:queue:maintenance", 0, -1) == [P2.decode()]
    assert store.recurring.last_ticks() == {"sweep": T + 60_000}


def test_forget_recurring_removes_the_definition_and_its_last_tick(
    store: Store, raw: redis.Redis
) -> None:
    store.recurring.publish({"sweep": b"{}", "other": b"{}"})
    store.recurring.claim_tick("sweep", T, "maintenance", P1)

    assert store.recurring.forget("sweep")
    assert not store.recurring.forget("sweep")

    assert raw.hkeys("resque:jobs:recurring") == ["other"]
    assert raw.hlen("resque:jobs:recurring:last") == 0
