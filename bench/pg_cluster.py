"""A private PostgreSQL server a test or a fault run owns: stopped, crashed and restarted at will.

Tests of outages and ``python -m bench.fault_run --db postgres`` must not stop
the shared server on 127.0.0.1:5432 (other tests, other xdist workers and other
sessions use it). This starts a throwaway cluster
from the same PostgreSQL binaries (Debian's ``/usr/lib/postgresql/*/bin``)
in a temporary directory, on a free port of 127.0.0.1. As root, PostgreSQL
refuses to run, so the server runs as the ``postgres`` user via ``runuser``.

Use the ``private_postgres`` fixture (tests/conftest.py) or
:func:`private_cluster` as a context manager. It lives in bench/ so that tools
outside the test suite can use it; tests/support/pg_cluster.py re-exports it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_SECONDS = 30.0
SERVER_USER = "postgres"
INSTALL_POSTGRES = (
    "PostgreSQL's server binaries (initdb, pg_ctl) were not found: apt-get install postgresql"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_bin_dir() -> Path | None:
    """The directory of ``initdb``, ``pg_ctl`` and ``pg_isready``: Debian's newest, else PATH's.

    A PATH entry is followed to the real file, so a symlink farm such as
    ``/usr/local/bin`` (initdb and pg_ctl only) still leads to all three.
    """
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found = candidates[-1] if candidates else shutil.which("initdb")
    if found is None:
        return None
    bin_dir = Path(found).resolve().parent
    needed = ("initdb", "pg_ctl", "pg_isready")
    return bin_dir if all((bin_dir / name).exists() for name in needed) else None


def _as_server_user() -> list[str]:
    """The prefix that runs a command as a user PostgreSQL accepts (not root)."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", SERVER_USER, "--"]


@dataclass
class PrivateCluster:
    """One throwaway PostgreSQL cluster on ``127.0.0.1:port`` (trust auth)."""

    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``postgres`` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_as_server_user(), *argv],
            check=check,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS * 2,
        )

    def init(self) -> None:
        """Create the cluster's files (trust auth, fsync off: it is thrown away)."""
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        )

    def start(self, *, wait: bool = True) -> None:
        """Start the server; with ``wait``, return once it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.data_dir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            options,
            "-w" if wait else "-W",
            "-t",
            str(int(START_TIMEOUT_SECONDS)),
            "start",
        )
        if wait:
            self.wait_until_up()

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (clean), or ``immediate`` (as a crash; recovery on start)."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def restart(self, *, mode: str = "fast") -> None:
        """Stop (``mode`` as in :meth:`stop`) and start again, waiting until it answers."""
        self.stop(mode=mode)
        self.start()

    def is_up(self) -> bool:
        """Whether the server accepts connections right now."""
        ready = self._run(
            str(self.bin_dir / "pg_isready"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-t",
            "1",
            check=False,
        )
        return ready.returncode == 0

    def wait_until_up(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Return once the server accepts connections; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.is_up():
            if time.monotonic() > deadline:
                log = (self.data_dir / "server.log").read_text(errors="replace")[-2000:]
                raise AssertionError(f"private PostgreSQL did not come up:\n{log}")
            time.sleep(0.1)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the server's log, for failure messages."""
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


@contextlib.contextmanager
def private_cluster(bin_dir: Path) -> Iterator[PrivateCluster]:
    """A started private cluster, stopped and deleted on exit."""
    root = Path(tempfile.mkdtemp(prefix="orderfsm-pg-"))
    data_dir = root / "data"
    data_dir.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        for path in (root, data_dir):
            os.chown(path, user.pw_uid, user.pw_gid)
    cluster = PrivateCluster(bin_dir=bin_dir, data_dir=data_dir, port=free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.is_up():
            cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)
