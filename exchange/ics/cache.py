"""Built calendars kept in this process, so an unchanged feed is not built again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class BytesCache:
    """A small least-recently-used cache of bytes, bounded by entries and by total size.

    Per process (each gunicorn worker has its own): nothing is shared, so nothing can go
    stale between workers either; keys carry the content's version, so a change is never
    answered from an old entry. An entry put with a *slot* (what it is a version of: a feed,
    one session's event) replaces the slot's previous version at once: a busy feed changes
    every few minutes, and old 4 MB versions ageing out slowly were most of a worker's memory.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._slots: dict[Hashable, Hashable] = {}  # slot -> the key of its latest version
        self._size = 0
        self._lock = threading.Lock()  # the development server and threaded workers share it

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes, *, slot: Hashable | None = None) -> None:
        if len(value) > self.max_bytes or self.max_entries <= 0:
            return
        with self._lock:
            if slot is not None:
                replaced = self._slots.pop(slot, None)
                if replaced is not None and replaced != key:
                    self._drop(replaced)
                self._slots[slot] = key
                if len(self._slots) > 2 * self.max_entries:  # slots of evicted entries
                    self._slots = {s: k for s, k in self._slots.items() if k in self._entries}
            self._drop(key)
            self._entries[key] = value
            self._size += len(value)
            while len(self._entries) > self.max_entries or self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def _drop(self, key: Hashable) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._size -= len(old)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size
