"""``python -m jobs``: the command line, see :mod:`jobs.cli`."""

from jobs.dev.cli import main

main()
