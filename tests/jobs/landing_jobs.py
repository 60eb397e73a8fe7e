"""Imported by a worker next to the sample jobs: its threads then wait inside Redis for a
minute at a time, so a test sees that pausing or stopping ends the waits itself, not their
running out."""

import jobs.store.landing

jobs.store.landing.WAIT_SECONDS = 60.0
