"""Real services for tests: a local Spark session and a PostgreSQL server on 127.0.0.1.

Both are started by session-scoped fixtures in ``tests/conftest.py`` and stopped at the end.
When what they need is missing, the fixture skips only if it could not have been installed:
``.ci/run`` installs Java 17 and PostgreSQL from Debian's packages when it runs as root, so as
root a missing one is a failure of the setup, not a reason to skip.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT = 60

NOT_INSTALLED = (
    "{what} is not installed and cannot be installed here (not root); "
    ".ci/run installs it from Debian's packages ({package}) when it runs as root."
)
MISSING_AS_ROOT = (
    "{what} is missing although this runs as root: .ci/run installs it ({package}); run it, "
    "or apt-get install {package}."
)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def unavailable(what: str, package: str) -> None:
    """Skip (not root: it cannot be installed here) or fail (root: the setup should have)."""
    if is_root():
        pytest.fail(MISSING_AS_ROOT.format(what=what, package=package))
    pytest.skip(NOT_INSTALLED.format(what=what, package=package))


# -- Spark ---------------------------------------------------------------------------------------


def java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and Path(home, "bin", "java").exists())


def start_spark() -> Any:
    """A local Spark session (2 cores, no UI, few shuffle partitions), bound to 127.0.0.1."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.skip("pyspark is not installed: pip install 'govern[spark]'")
    if not java_available():
        unavailable("a Java runtime (for Spark)", "openjdk-17-jre-headless")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("govern-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


# -- PostgreSQL ----------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), if installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    bin: Path
    data: Path
    port: int
    user: str
    password: str
    run_as: list[str]

    def uri(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def command(self, program: str, *args: str) -> list[str]:
        return [*self.run_as, str(self.bin / program), *args]

    def create_database(self, name: str) -> None:
        subprocess.run(
            self.command(
                "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name
            ),
            env={**os.environ, "PGPASSWORD": self.password},
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )

    def stop(self) -> None:
        subprocess.run(
            # immediate: no shutdown checkpoint, the cluster is thrown away just after.
            self.command(
                "pg_ctl", "-D", str(self.data / "cluster"), "-m", "immediate", "-w", "stop"
            ),
            check=False,
            capture_output=True,
            timeout=START_TIMEOUT,
        )
        shutil.rmtree(self.data, ignore_errors=True)


def start_postgres(free_port: int) -> PostgresServer:
    """initdb a new cluster (password login only) and start it on 127.0.0.1:``free_port``."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        unavailable("PostgreSQL", "postgresql")
    assert bin_dir is not None
    # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user, in a
    # folder of its own under the system's temporary folder (pytest's is private to root).
    run_as: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="govern-postgres-"))
    if is_root():
        if shutil.which("runuser") is None:
            unavailable("runuser (util-linux)", "util-linux")
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres", "postgres")
    password = secrets.token_hex(16)
    password_file = data / "password"
    password_file.write_text(password)
    if run_as:
        shutil.chown(password_file, "postgres", "postgres")
    server = PostgresServer(bin_dir, data, free_port, "govern", password, run_as)
    cluster = str(data / "cluster")
    steps = [
        server.command(
            "initdb", "-D", cluster, "-U", "govern", f"--pwfile={password_file}",
            "--auth=scram-sha-256", "-E", "UTF8", "--no-locale",
        ),
        server.command(
            "pg_ctl", "-D", cluster, "-l", str(data / "server.log"), "-w", "-t", str(START_TIMEOUT),
            "-o", f"-h 127.0.0.1 -p {free_port} -k {data}", "start",
        ),
    ]  # fmt: skip
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=START_TIMEOUT + 30)
        if done.returncode != 0:
            log = data / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            server.stop()
            raise RuntimeError(f"{' '.join(step)} failed:\n{done.stdout}{done.stderr}{tail}")
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            server.create_database("postgres_ready_check")
            break
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.5)
    return server
