"""Values loaded once and remembered for a while, so hot paths skip the lookup."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Remembered(Generic[K, V]):
    """``load(key)`` at most once per ``ttl`` seconds per key; ``ttl`` 0 remembers nothing."""

    def __init__(self, load: Callable[[K], Awaitable[V]], *, ttl: float, maxsize: int = 10_000) -> None:
        self._load = load
        self._ttl = ttl
        self._cache: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=max(ttl, 1e-9), timer=time.monotonic)

    async def get(self, key: K) -> V:
        if self._ttl > 0 and key in self._cache:
            return self._cache[key]
        value = await self._load(key)
        if self._ttl > 0:
            self._cache[key] = value
        return value

    def forget(self, key: K) -> None:
        self._cache.pop(key, None)

    def forget_all(self) -> None:
        self._cache.clear()
