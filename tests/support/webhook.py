"""A real webhook receiver (http.server in a thread) that counts every notice POSTed to it by id."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Received:
    """How often each notice id arrived."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    def total(self) -> int:
        with self.lock:
            return sum(self.ids.values())


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Received]]:
    """``(url, received)`` of a receiver answering 204 to every POST until the block ends."""
    received = Received()

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with received.lock:
                received.ids[json.loads(body)["id"]] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notices", received
    finally:
        server.shutdown()
        server.server_close()
