"""A real ``coalition serve`` process on the tests' database and Redis, for
tests that must talk to the API over a socket (browsers, the fuzzer, the
fault tests, which kill and restart it)."""

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

import httpx

from coalition.platform.runtime.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiProcess:
    """``coalition serve`` on one port, that can be started again after it was killed."""

    def __init__(
        self, database_url: str, redis_url: str, *, workers: int = 1, environment: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:  # fmt: skip
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "COALITION_DATABASE_URL": database_url,
            "COALITION_REDIS_URL": redis_url,
            "COALITION_WORKERS": str(workers),
            **(environment or {}),
        }
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process object
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coalition", "serve", "--port", str(self.port)],
            env=self._env, stdout=self._log, stderr=self._log, start_new_session=True,
        )  # fmt: skip
        self.wait_ready()

    def wait_ready(self) -> None:
        assert self.process is not None
        # Generous: on a loaded 2-core machine the server's workers take a while to import.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"coalition serve exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"coalition serve never became ready:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the server and its workers, as the kernel's OOM killer or a pulled plug would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, as a supervisor stops it; SIGKILL if it is still there after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read()

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextmanager
def served_api(settings: Settings, *, port: int | None = None, **environment: str) -> Iterator[str]:
    """The base URL of a ``coalition serve`` process on the tests' servers (on
    ``port``, or a free one), with ``environment`` added to its settings;
    stopped on leaving."""
    assert settings.database_url
    assert settings.redis_url
    api = ApiProcess(settings.database_url, settings.redis_url, environment=environment, port=port)
    try:
        api.start()
        yield api.base
    finally:
        api.close()
