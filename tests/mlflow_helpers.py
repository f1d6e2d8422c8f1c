"""Real MLflow for tests: a SQLite register in a temporary folder and a real ``mlflow server``.

Imported by ``tests/conftest.py`` (fixtures) and by test modules directly (data and model
helpers). Nothing here is a mock: the register is MLflow's own SQLAlchemy store, the server is
the ``mlflow server`` command on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

VENV_BIN = Path(__file__).resolve().parents[1] / ".venv" / "bin"
SERVER_START_TIMEOUT = 90.0

FEATURES = ["experience", "test_score", "sex_signal"]


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MlflowServer:
    uri: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            # The server runs in its own process group (uvicorn workers): end the group we made.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def start_mlflow_server(folder: Path, backend_store_uri: str | None = None) -> MlflowServer:
    """Start ``mlflow server`` on a free port of 127.0.0.1 and wait (bounded) until healthy.

    The backend store is a SQLite file in ``folder`` unless ``backend_store_uri`` names one
    (a PostgreSQL database, say); artifacts go to ``folder / "artifacts"``, served by the server.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = folder / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "mlflow"),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            backend_store_uri or f"sqlite:///{folder / 'server.db'}",
            "--artifacts-destination",
            str(folder / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        start_new_session=True,
        env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )
    server = MlflowServer(uri=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.uri + "/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"mlflow server did not become healthy:\n{log_path.read_text()[-3000:]}")


def hiring_frame(n_rows: int = 600, *, seed: int = 0, biased: bool) -> pd.DataFrame:
    """Synthetic applicants: two job-related features, sex, a proxy feature and an outcome.

    With ``biased=True`` the historical outcome favours men strongly and ``sex_signal`` encodes
    sex, so a model trained on it reproduces the bias; otherwise ``sex_signal`` is noise and the
    outcome depends on merit only.
    """
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n_rows)
    experience = rng.normal(5, 2, size=n_rows)
    test_score = rng.normal(50, 10, size=n_rows)
    is_male = (sex == "male").astype(float)
    merit = 0.4 * (experience - 5) + 0.08 * (test_score - 50)
    if biased:
        sex_signal = is_male + rng.normal(0, 0.1, size=n_rows)
        logit = merit + 3.0 * (is_male - 0.5)
    else:
        sex_signal = rng.normal(0, 1, size=n_rows)
        logit = merit
    hired = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "experience": experience,
            "test_score": test_score,
            "sex_signal": sex_signal,
            "sex": sex,
            "hired": hired,
        }
    )


def train_model(frame: pd.DataFrame) -> Any:
    """A small LogisticRegression on the frame's features, predicting ``hired``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000).fit(frame[FEATURES], frame["hired"])


def log_sklearn_model(tracking_uri: str, model: Any, *, experiment: str = "training") -> str:
    """Log a fitted sklearn model into a run of ``tracking_uri``; return its model URI."""
    import mlflow
    import mlflow.sklearn

    from govern.adapters.registry import Registry

    experiment_id = Registry(tracking_uri).experiment_id(experiment)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    with mlflow.start_run(experiment_id=experiment_id):
        info = mlflow.sklearn.log_model(model, name="model")
    return str(info.model_uri)


META_YAML = """\
name: {name}
purpose: recruitment
subjects: [applicants]
owner: Recruitment analytics
accountable_executive: Director of People
contact: hr-ai@agency.example
appeal_route: https://agency.example/appeal
human_oversight: in_the_loop
data_sources: [ATS applications 2021-2025]
sensitive_attributes: [sex]
"""
