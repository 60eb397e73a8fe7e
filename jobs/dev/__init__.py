"""The workshop's development tooling, not part of the queue: a Redis for tests and for the
project (:mod:`jobs.dev.local_redis`, :mod:`jobs.dev.project_redis`), ``make jobs-demo``
(:mod:`jobs.dev.demo`), ``make monitor-demo`` (:mod:`jobs.dev.monitor_demo`) and the
workshop's commands (:mod:`jobs.dev.cli`). The queue's own modules import nothing from here at
import time; ``Settings`` reaches in only when the workshop asks for a local Redis
(``JOBS_LOCAL_REDIS=1``)."""
