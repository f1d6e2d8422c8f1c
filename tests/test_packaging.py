"""The wheel really ships the package data: build it, install it in a fresh venv, run the demo.

The fresh venv borrows the already-installed dependencies through a path file (so the test needs
no network and stays fast) but gets govern only from the wheel; an editable install or the source
tree would hide a missing package-data entry.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_the_demo(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), "."],
        cwd=REPO,
        check=True,
    )
    (wheel,) = wheels.glob("govern-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    env_python = env_dir / "bin" / "python"
    env_site = subprocess.run(
        [str(env_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Dependencies come from the test environment's site-packages; path files inside it (such
    # as the editable install's) are not processed when it is added this way.
    Path(env_site, "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_python),
            "install",
            "--no-deps",
            "--quiet",
            str(wheel),
        ],
        check=True,
    )

    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    result = subprocess.run(
        [str(env_dir / "bin" / "govern"), "demo", "--out", "out"],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "audit.json",
        "model_card.html",
        "compliance_report.html",
        "algorithm_register.html",
    ):
        assert (workdir / "out" / name).stat().st_size > 0, name

    where = subprocess.run(
        [
            str(env_python),
            "-c",
            "import govern.templates, govern.policies; "
            "print(govern.templates.__file__); print(govern.policies.__file__)",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(REPO) not in where, f"govern was imported from the source tree: {where}"
