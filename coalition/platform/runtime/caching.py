"""Values loaded once and remembered for a while, so hot paths skip the lookup."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Remembered(Generic[K, V]):
    """``load(key)`` at most once per ``ttl`` seconds per key; ``ttl`` 0 remembers nothing.
    While ``trusted()`` says no (the news that would empty this cache cannot
    arrive), every ``get`` loads afresh and nothing is remembered."""

    def __init__(
        self, load: Callable[[K], Awaitable[V]], *, ttl: float, maxsize: int = 10_000,
        trusted: Callable[[], bool] = lambda: True,
    ) -> None:  # fmt: skip
        self._load = load
        self._ttl = ttl
        self._trusted = trusted
        self._cache: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=max(ttl, 1e-9), timer=time.monotonic)

    async def get(self, key: K) -> V:
        remembering = self._ttl > 0 and self._trusted()
        if remembering and key in self._cache:
            return self._cache[key]
        value = await self._load(key)
        if remembering:
            self._cache[key] = value
        return value

    def forget(self, key: K) -> None:
        self._cache.pop(key, None)

    def forget_all(self) -> None:
        self._cache.clear()
