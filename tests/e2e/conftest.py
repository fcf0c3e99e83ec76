"""Real server processes on loopback: `ocpi-engine serve` (granian) with their own SQLite files."""

from __future__ import annotations

import base64
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

CLI = [sys.executable, "-m", "ocpi_engine.cli.__main__"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ocpi-engine platform: a granian process plus its CLI environment."""

    def __init__(self, workdir: Path, name: str, party_id: str, roles: str) -> None:
        self.name = name
        self.port = free_port()
        self.db = workdir / f"{name}.sqlite3"
        self.log = workdir / f"{name}.log"
        self.env = {
            **os.environ,
            "OCPI_ENGINE_DATABASE_URL": f"sqlite:///{self.db}",
            "OCPI_ENGINE_PORT": str(self.port),
            "OCPI_ENGINE_HOST": "127.0.0.1",
            "OCPI_ENGINE_PARTY_ID": party_id,
            "OCPI_ENGINE_ROLES": roles,
            "OCPI_ENGINE_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen([*CLI, "serve"], env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /health in 30 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*CLI, *args], env=self.env, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"ocpi-engine {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def partners(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM partners ORDER BY id")]

    def get(self, path: str, token: str) -> httpx.Response:
        header = "Token " + base64.b64encode(token.encode()).decode()
        return httpx.get(self.base + path, headers={"Authorization": header}, timeout=10)


@contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    """Start the servers in order; stop every one of them on the way out, whatever happened."""
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def platforms(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    with running(cpo, emsp):
        yield cpo, emsp
