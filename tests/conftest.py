"""Shared fixtures: a real SQLite MLflow register and a real ``mlflow server`` (session-wide).

Keep this file small; helpers live in ``tests/mlflow_helpers.py``. Append fixtures, do not
rename these.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# The property tests run on a fixed sequence of examples with no example database, so `make
# test` passes or fails on the code alone, the same way on every run and every fresh clone (a
# failure found once is not replayed from .hypothesis/ into every later run). To search new
# examples, run with HYPOTHESIS_PROFILE=explore (random examples, a local database).
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# tests/ has no __init__.py (importlib mode): load the helper module by path, once.
_HELPERS = Path(__file__).with_name("mlflow_helpers.py")
if "mlflow_helpers" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("mlflow_helpers", _HELPERS)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["mlflow_helpers"] = _module
    _spec.loader.exec_module(_module)

import mlflow_helpers  # noqa: E402

_SERVICES = Path(__file__).with_name("service_helpers.py")
if "service_helpers" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("service_helpers", _SERVICES)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["service_helpers"] = _module
    _spec.loader.exec_module(_module)

import service_helpers  # noqa: E402


@pytest.fixture(scope="session")
def sqlite_tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite MLflow register in a session-wide temporary folder (created on first use)."""
    folder = tmp_path_factory.mktemp("register")
    return f"sqlite:///{folder / 'mlflow.db'}"


@pytest.fixture(scope="session")
def mlflow_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[mlflow_helpers.MlflowServer]:
    """A real ``mlflow server`` on 127.0.0.1 on a free port, stopped at the end of the session."""
    server = mlflow_helpers.start_mlflow_server(tmp_path_factory.mktemp("mlflow-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session for the whole run (Java starts once), stopped at the end."""
    session = service_helpers.start_spark()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[service_helpers.PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 (password login), stopped at the end."""
    server = service_helpers.start_postgres(mlflow_helpers.free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mlflow_postgres_server(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: service_helpers.PostgresServer
) -> Iterator[mlflow_helpers.MlflowServer]:
    """``mlflow server`` with a PostgreSQL backend store and a served artifact root."""
    postgres_server.create_database("mlflow")
    server = mlflow_helpers.start_mlflow_server(
        tmp_path_factory.mktemp("mlflow-postgres"), postgres_server.uri("mlflow")
    )
    try:
        yield server
    finally:
        server.stop()
