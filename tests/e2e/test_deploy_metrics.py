"""/metrics with several server processes: every process's counts, summed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from coalition.platform.runtime.metrics import FOLDER_VARIABLE, multiprocess_metrics

PER_ROUND = 20
ROUNDS = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_live(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server never became live")


def _requests_counted(metrics_text: str, path: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == "coalition_requests_total" and sample.labels.get("path") == path
    )


@pytest.mark.slow
def test_metrics_add_up_the_requests_every_server_process_answered(settings, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    port = _free_port()
    env = {
        **os.environ,
        "COALITION_DATABASE_URL": settings.database_url,
        "COALITION_REDIS_URL": settings.redis_url,
        FOLDER_VARIABLE: str(folder),
    }
    folder.mkdir()
    server = subprocess.Popen(
        [sys.executable, "-m", "coalition", "serve", "--workers", "2", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_live(f"{base}/health/live", server)
        before = _requests_counted(httpx.get(f"{base}/metrics").text, "/health/live")

        def ask(_: int) -> int:
            # A new connection each time, so the kernel hands them to both processes.
            with httpx.Client() as client:
                return client.get(f"{base}/health/live").status_code

        sent = 0
        writers: set[str] = set()
        # Until both processes have answered some (the second may still be starting).
        for _ in range(ROUNDS):
            with ThreadPoolExecutor(4) as pool:
                assert set(pool.map(ask, range(PER_ROUND))) == {200}
            sent += PER_ROUND
            writers = {path.stem.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}
            if len(writers) == 2:
                break
        after = _requests_counted(httpx.get(f"{base}/metrics").text, "/health/live")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert after - before == sent
    assert len(writers) == 2, f"counts written by processes {writers}"


def test_serving_makes_a_fresh_folder_for_its_run_and_removes_it(monkeypatch) -> None:
    monkeypatch.delenv(FOLDER_VARIABLE, raising=False)
    with multiprocess_metrics() as folder:
        assert os.environ[FOLDER_VARIABLE] == str(folder)
        assert folder.is_dir()
        assert not any(folder.iterdir())
        (folder / "counter_123.db").write_bytes(b"values")
    assert FOLDER_VARIABLE not in os.environ
    assert not folder.exists()


def test_a_named_folder_is_kept_but_an_earlier_runs_values_are_dropped(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path))
    (tmp_path / "counter_99.db").write_bytes(b"an earlier run's counts")
    (tmp_path / "README").write_text("not ours")
    with multiprocess_metrics() as folder:
        assert folder == tmp_path
        assert [path.name for path in folder.iterdir()] == ["README"]
    assert os.environ[FOLDER_VARIABLE] == str(tmp_path)
    assert tmp_path.is_dir()
