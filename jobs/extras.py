"""The queue's optional parts, and the pip extra that installs what each needs.

``pip install background-jobs-workshop`` installs the queue alone: redis, hiredis, click and
croniter are enough to enqueue, run workers and the scheduler (``python -m jobs work``), and
to test with :func:`jobs.testing.inline`. The web monitor (:mod:`jobs.web`) needs the ``web``
extra. A part whose libraries are missing says which extra to install, at the moment it is
imported, instead of failing later on a name the user never typed.
"""

from __future__ import annotations

import importlib.util

DISTRIBUTION = "background-jobs-workshop"


class MissingExtra(ModuleNotFoundError):
    """An optional part of the queue was imported without the libraries its extra installs."""


def require_extra(part: str, extra: str, modules: tuple[str, ...]) -> None:
    """Raise :class:`MissingExtra` naming ``extra`` if any of ``modules`` is not installed."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(
            f"{part} needs {', '.join(missing)}, which is not installed:"
            f" pip install '{DISTRIBUTION}[{extra}]'",
            name=missing[0],
        )
