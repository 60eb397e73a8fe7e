"""The workshop's development tooling, not part of the queue: a Redis for tests and for the
project (:mod:`jobs.dev.local_redis`, :mod:`jobs.dev.project_redis`) and ``make jobs-demo``
(:mod:`jobs.dev.demo`). The queue's own modules import nothing from here at import time; the
command line and ``Settings`` reach in only when the workshop asks for a local Redis
(``JOBS_LOCAL_REDIS=1``)."""
