"""``make bench``: our queue side by side with Sidekiq, Huey and RQ, on one private Redis.

Run ``python -m bench`` (several minutes) or ``python -m bench --quick`` (about a minute, small
N). Each system runs as its users run it, with its own interpreter: Sidekiq from Debian's
``ruby-sidekiq``, Huey and RQ each in a virtualenv of its own with what a plain install gives it,
ours with the project's ``.venv`` and again on the peers' redis-py. Each concept has its own
module:

* :mod:`bench.job_body` — the one tiny thing every Python system's job does (INCR a counter);
  ``bench/sidekiq/jobs.rb`` is the same for Sidekiq;
* :mod:`bench.jobs_ours`, :mod:`bench.jobs_huey`, :mod:`bench.jobs_rq` — the job modules the
  systems' workers import, and how each enqueues;
* :mod:`bench.enqueuer` — a system's client program, run with its interpreter
  (``bench/sidekiq/enqueue.rb`` for Sidekiq);
* :mod:`bench.ours`, :mod:`bench.sidekiq_peer`, :mod:`bench.huey_peer`, :mod:`bench.rq_peer` —
  the command lines of each system's client and workers (:mod:`bench.system` is the shape they
  share);
* :mod:`bench.venvs` — the peers' virtualenvs; :mod:`bench.lineup` — who takes part in a run;
* :mod:`bench.harness` — the private Redis, worker processes that are always stopped, waiting;
* :mod:`bench.measure` — what a run measures: the counter, Redis commands, CPU and memory;
* :mod:`bench.scenarios` — enqueue, drain, pickup latency: the same steps for every system;
* :mod:`bench.profile` — where one job's time goes in our thread-mode worker (py-spy);
* :mod:`bench.report` — the tables.
"""
