"""The processes a fault run starts, kills and restarts, and the database it runs on.

Receivers are ``orderfsm serve`` processes, each on a port of its own that it
keeps across restarts (senders that find it down try another). Workers are
``orderfsm worker`` processes running :mod:`bench.faults.recorder`, with a
short lease so a killed worker's claims are taken over within seconds.
Every kill is a SIGKILL: no handler, ``finally`` or atexit of the victim runs.
On PostgreSQL the server is a private cluster (:mod:`bench.pg_cluster`) the
run may crash (``pg_ctl stop -m immediate``) and restart; the shared server
on 127.0.0.1:5432 is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.faults.recorder import EFFECTS_ENV
from bench.pg_cluster import (
    INSTALL_POSTGRES,
    PrivateCluster,
    free_port,
    private_cluster,
    server_bin_dir,
)
from orderfsm.service import Engine

REPO = Path(__file__).resolve().parents[2]
ORDERFSM = str(Path(sys.executable).with_name("orderfsm"))
SECRET = "whsec_fault_run"
LEASE_S = 2.0
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


class FleetError(Exception):
    """A process of the fault run could not be started (its output says why)."""


@dataclass
class Managed:
    """One restartable process: what it runs, its current process, its log file."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    def start(self) -> None:
        """Start it (again), its output appended to its log."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.pids.append(self.process.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> int:
        """SIGKILL it; its pid."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT_S)
        return self.process.pid

    def wait_stopped(self) -> None:
        """Wait for a process sent SIGTERM; SIGKILL it if it outlives the timeout."""
        if self.process is None:
            return
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Receiver(Managed):
    """An ``orderfsm serve`` on a fixed port."""

    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/digitalriver"

    def answering(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def stop_all(processes: list[Managed]) -> None:
    """SIGTERM every running process at once, then wait for each."""
    for process in processes:
        if process.alive() and process.process is not None:
            process.process.terminate()
    for process in processes:
        process.wait_stopped()


def _env(effects: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ORDERFSM_WEBHOOK_SECRETS": SECRET,
        EFFECTS_ENV: str(effects),
        "PYTHONPATH": str(REPO),
        "COLUMNS": "200",
    }


def receivers(url: str, count: int, folder: Path, effects: Path) -> list[Receiver]:
    """``count`` receivers (not started yet), each with its own port and log."""
    made = []
    for k in range(count):
        port = free_port()
        argv = [ORDERFSM, "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--log-level", "warning"]
        made.append(
            Receiver(f"receiver-{k}", argv, folder / f"receiver-{k}.log", _env(effects), port=port)
        )
    return made


def workers(url: str, count: int, folder: Path, effects: Path) -> list[Managed]:
    """``count`` workers (not started yet) delivering effects to the recorder."""
    argv = [ORDERFSM, "worker", "--db", url, "--handlers", "bench.faults.recorder:register"]
    argv += ["--interval", "0.1", "--lease", str(LEASE_S), "--grace", "1"]
    return [
        Managed(f"worker-{k}", argv, folder / f"worker-{k}.log", _env(effects))
        for k in range(count)
    ]


@dataclass
class Database:
    """The database under test; on PostgreSQL, the private server that can be restarted."""

    url: str
    cluster: PrivateCluster | None = None
    restarts: int = 0

    def restart(self) -> None:
        """Crash the server (immediate stop: no checkpoint, recovery at start) and start it."""
        assert self.cluster is not None
        self.cluster.restart(mode="immediate")
        self.restarts += 1


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[Database]:
    """An empty orderfsm schema on a SQLite file or on a private PostgreSQL server."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'shop.db'}"
        Engine.open(url, create_if_empty=True).close()
        yield Database(url)
        return
    bin_dir = server_bin_dir()
    if bin_dir is None:
        raise FleetError(INSTALL_POSTGRES)
    with private_cluster(bin_dir) as cluster:
        Engine.open(cluster.url, create_if_empty=True).close()
        yield Database(cluster.url, cluster)


def wait_until_answering(receiver: Receiver, timeout: float = START_TIMEOUT_S) -> bool:
    """Whether ``receiver`` answers ``/healthz`` within ``timeout`` (False if it died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if receiver.answering():
            return True
        if not receiver.alive():
            return False
        time.sleep(0.05)
    return False
