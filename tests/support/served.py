"""A real ``coalition serve`` process on the tests' database and Redis, for
tests that must talk to the API over a socket (browsers, the fuzzer)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx

from coalition.platform.runtime.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_api(settings: Settings, **environment: str) -> Iterator[str]:
    """The base URL of a ``coalition serve`` process, with ``environment`` added
    to its settings; stopped with SIGTERM on leaving."""
    port = free_port()
    assert settings.database_url
    assert settings.redis_url
    env = {
        **os.environ,
        "COALITION_DATABASE_URL": settings.database_url,
        "COALITION_REDIS_URL": settings.redis_url,
        **environment,
    }
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "serve", "--port", str(port)],
            env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(f"{base}/health/ready", process, log)
            yield base
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a supervisor stops it; SIGKILL (its whole group) if it is still there after 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: IO[str]) -> None:
    # Generous: on a loaded 2-core machine the server's workers take a while to import.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"coalition serve exited:\n{log.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("coalition serve never became ready")
