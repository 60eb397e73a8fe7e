"""``python -m jobs``: the command line, see :mod:`jobs.cli`."""

from jobs.cli import main

main()
