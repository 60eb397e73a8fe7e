"""What the monitor's pages and buttons share: the store, its read model, the keys browser,
and whether changes are allowed. :mod:`jobs.web.blueprint` makes one per blueprint and hands
it to :mod:`jobs.web.views` and :mod:`jobs.web.actions`."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.store import KeyBrowser, Store
from jobs.web.readmodel import ReadModel


@dataclass(frozen=True)
class Monitor:
    """Everything the monitor's views need, made once per blueprint."""

    store: Store
    read: ReadModel
    keys: KeyBrowser
    read_only: bool

    @classmethod
    def for_store(cls, store: Store, read_only: bool) -> Monitor:
        return cls(store, ReadModel(store), store.browser, read_only)
