"""The shape of the ``app_client`` fixture: ``app_client(client_address, **settings)``
opens a client of a fresh app with those settings changed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
