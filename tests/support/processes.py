"""Reading a child process's output while it runs, and its JSON log lines."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO, Any


class Lines:
    """Every line a stream has given so far, read by a thread as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    async def wait_for(
        self, wanted: Callable[[str], bool], process: subprocess.Popen[str], what: str, within: float = 300
    ) -> str:
        """The first line ``wanted`` accepts; fails if the process ends first, or
        after ``within`` seconds (a job that failed never logs what is awaited)."""
        seen = 0
        deadline = time.monotonic() + within
        while True:
            for line in self.lines[seen:]:
                if wanted(line):
                    return line
            seen = len(self.lines)
            if process.poll() is not None and not self._thread.is_alive():
                raise AssertionError(f"the process ended before {what}:\n" + "\n".join(self.lines))
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {within:g} s:\n" + "\n".join(self.lines[-40:]))
            await asyncio.sleep(0.05)

    def finish(self) -> list[str]:
        self._thread.join(timeout=30)
        return self.lines


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    """Each line as the JSON object it must be (a line that is not fails the test)."""
    records = []
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict), line
        records.append(record)
    return records
