"""A TCP proxy a test can cut: between the API and PostgreSQL, it makes the
database unreachable the way a network does (packets go nowhere, nothing is
refused), then lets traffic through again."""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    """Listens on a local TCP port; forwards to the Unix socket ``target``."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.port = 0
        self._open = asyncio.Event()
        self._open.set()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()

    def cut(self) -> None:
        """From now on nothing moves in either direction, on old and new connections alike."""
        self._open.clear()

    def mend(self) -> None:
        self._open.set()

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        await self._open.wait()  # a new connection hangs, as a SYN into the void would
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(self.target)
        except OSError:
            client_writer.close()
            return
        pipes = [
            asyncio.create_task(self._pipe(client_reader, server_writer)),
            asyncio.create_task(self._pipe(server_reader, client_writer)),
        ]
        self._pipes.update(pipes)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for task in pipes:
            task.cancel()
            self._pipes.discard(task)
        for writer in (client_writer, server_writer):
            with contextlib.suppress(Exception):
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            await self._open.wait()  # held, not dropped: the bytes arrive if the cut heals in time
            writer.write(chunk)
            await writer.drain()
