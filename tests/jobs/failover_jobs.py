"""A job for the failover tests that notes each run in a file, not in Redis: the run must be
counted even if the Redis it ran against is killed an instant later."""

from __future__ import annotations

import os
import time


class Tally:
    queue = "tally"

    @staticmethod
    def perform(number: int, seconds: float = 0.0) -> None:
        time.sleep(seconds)  # long enough for the primary to die mid-drain
        # One short write with O_APPEND: lines from many processes do not interleave.
        line = f"{number} {time.time():.4f} {os.getpid()}\n".encode()
        descriptor = os.open(os.environ["TALLY_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
