"""Turning the class name in a payload back into a job class, safely.

A payload is data anyone who can write to Redis may have written, and its ``class`` names
something to call. So a worker only runs classes from the modules it was told to import
(``--import`` / ``JOBS_IMPORT``) and their submodules, and only classes with a ``perform``
method: ``os.system`` or ``subprocess.Popen`` in a payload become failures, never calls.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence


class JobClassError(LookupError):
    """A payload names something this worker will not or cannot run. Says which and why."""


class JobLoader:
    def __init__(self, modules: Sequence[str]) -> None:
        """Import ``modules`` now, so a typo stops the worker at start, not at the first job."""
        self.modules = tuple(modules)
        for module in self.modules:
            importlib.import_module(module)
        self._cache: dict[str, type] = {}

    def load(self, class_name: str) -> type:
        job_class = self._cache.get(class_name)
        if job_class is None:
            job_class = self._find(class_name)
            self._cache[class_name] = job_class
        return job_class

    def _allowed(self, module: str) -> bool:
        return any(module == name or module.startswith(name + ".") for name in self.modules)

    def _find(self, class_name: str) -> type:
        module_name, _, attribute = class_name.rpartition(".")
        if not module_name or not self._allowed(module_name):
            raise JobClassError(
                f"{class_name!r} is not in the modules this worker runs jobs from"
                f" ({', '.join(self.modules)}); if it is a job, add its module to --import"
            )
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # a broken module must fail the job, not the worker
            raise JobClassError(
                f"cannot import {module_name!r} for {class_name!r}: {error}"
            ) from None
        found = getattr(module, attribute, None)
        if found is None:
            raise JobClassError(f"no job class {attribute!r} in module {module_name!r}")
        if not inspect.isclass(found) or not callable(getattr(found, "perform", None)):
            raise JobClassError(
                f"{class_name!r} is not a job class (a job is a class with a perform method)"
            )
        if not self._allowed(found.__module__):
            raise JobClassError(
                f"{class_name!r} is {found.__module__}.{found.__qualname__}, defined outside"
                f" the modules this worker runs jobs from ({', '.join(self.modules)})"
            )
        return found
