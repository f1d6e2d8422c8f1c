"""`govern datasets` end to end through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from govern.cli.main import main
from govern.datasets import SCENARIOS, generate

# What `--rows 120` writes for the logs (the other data sets write 120 rows).
WRITTEN = {
    "learning_pathways": ("600 rows: 120 employees x 5", 600),
    "talent_shortlist": ("2400 rows: 120 posts x 20", 2400),
}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_generate_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, suffix: str
) -> None:
    out = tmp_path / f"data{suffix}"
    code = main(
        [
            "datasets",
            "generate",
            name,
            "--rows",
            "120",
            "--seed",
            "9",
            "--disparity",
            "0.2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    # The message states the rows written: logs have several rows per employee (post).
    counted, rows = WRITTEN.get(name, ("120 rows", 120))
    assert capsys.readouterr().out == (
        f"wrote {name} ({counted}, seed 9, disparity 0.2) to {out}\n"
    )
    read = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert len(read) == rows
    expected = generate(name, rows=120, seed=9, disparity=0.2)
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind


def test_generate_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        assert (
            main(
                [
                    "datasets",
                    "generate",
                    "recruitment",
                    "--rows",
                    "200",
                    "--out",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_generate_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.parquet"
    code = main(
        ["datasets", "generate", "promotion", "--rows", "10", "--out", str(out), "--format", "json"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "name": "promotion",
        "path": str(out),
        "rows": 10,
        "seed": 0,
        "disparity": 0.3,
    }


def test_unknown_name_exits_2_with_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["datasets", "generate", "promotions", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "govern: error: unknown data set 'promotions'. Did you mean 'promotion'? "
        "Known data sets: recruitment, promotion, learning_pathways, talent_shortlist.\n"
    )
    assert "Traceback" not in captured.err


def test_unknown_suffix_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.xlsx"
    code = main(["datasets", "generate", "recruitment", "--out", str(out)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"govern: error: cannot tell the file format of {str(out)!r} from its suffix '.xlsx'. "
        "Use a name ending in .csv or .parquet.\n"
    )


def test_disparity_out_of_range_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "datasets",
            "generate",
            "recruitment",
            "--disparity",
            "1.5",
            "--out",
            str(tmp_path / "x.csv"),
        ]
    )
    assert code == 2
    assert "--disparity" in capsys.readouterr().err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "list"]) == 0
    text = capsys.readouterr().out
    for name, scenario in SCENARIOS.items():
        assert f"{name}  (--rows counts {scenario.rows_mean})" in text
    assert main(["datasets", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in listed] == list(SCENARIOS)
    assert listed[0]["columns"] == SCENARIOS["recruitment"].columns


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path: Path) -> None:
    import subprocess
    import sys

    govern = Path(sys.executable).with_name("govern")
    out = tmp_path / "people.parquet"
    done = subprocess.run(
        [
            str(govern),
            "datasets",
            "generate",
            "learning_pathways",
            "--rows",
            "40",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out)) == 40 * 5  # --rows counts employees, k = 5 rows each
    bad = subprocess.run(
        [str(govern), "datasets", "generate", "learning", "--out", str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert bad.stderr == (
        "govern: error: unknown data set 'learning'. Did you mean 'learning_pathways'? "
        "Known data sets: recruitment, promotion, learning_pathways, talent_shortlist.\n"
    )
