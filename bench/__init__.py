"""``make bench``: our queue side by side with RQ and Huey, on one private Redis.

Run ``python -m bench`` (a few minutes) or ``python -m bench --quick`` (seconds, small N).
Each concept has its own module:

* :mod:`bench.job_body` — the one tiny thing every system's job does (INCR a counter);
* :mod:`bench.jobs_ours`, :mod:`bench.jobs_huey`, :mod:`bench.jobs_rq` — the job modules the
  three systems' workers import;
* :mod:`bench.ours`, :mod:`bench.huey_peer`, :mod:`bench.rq_peer` — how to enqueue to each
  system and how to start its workers (:mod:`bench.system` is the shape they share);
* :mod:`bench.harness` — the private Redis, worker processes that are always stopped, waiting;
* :mod:`bench.measure` — what a run measures: the counter, Redis commands, CPU and memory;
* :mod:`bench.scenarios` — enqueue, drain, pickup latency: the same steps for every system;
* :mod:`bench.profile` — where one job's time goes in our thread-mode worker (py-spy);
* :mod:`bench.report` — the tables.
"""
