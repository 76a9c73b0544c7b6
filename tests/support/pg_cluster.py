"""The private PostgreSQL server of outage tests: see bench/pg_cluster.py.

It lives in bench/ because the fault run (``python -m bench.fault_run``) uses
it too; tests import it from here.
"""

from __future__ import annotations

from bench.pg_cluster import (
    INSTALL_POSTGRES,
    SERVER_USER,
    START_TIMEOUT_SECONDS,
    PrivateCluster,
    private_cluster,
    server_bin_dir,
)

__all__ = [
    "INSTALL_POSTGRES",
    "SERVER_USER",
    "START_TIMEOUT_SECONDS",
    "PrivateCluster",
    "private_cluster",
    "server_bin_dir",
]
