"""Development and workshop tooling: not part of the queue."""
