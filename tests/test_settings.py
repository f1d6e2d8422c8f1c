"""Where the register and trail live: environment, govern.yaml, embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import BadInputError
from govern.limits import DEFAULT_LIMITS, Limits
from govern.settings import (
    MSG_CONFIG_BAD_LIMIT,
    MSG_CONFIG_NOT_LIST,
    MSG_CONFIG_NOT_STRING,
    MSG_CONFIG_UNKNOWN_KEY,
    govern_home,
    load_settings,
    resolve_tracking_uri,
    trail_path,
)
from govern.yaml_loader import MSG_BAD_TAG, MSG_BAD_YAML, MSG_NOT_MAPPING


@pytest.fixture(autouse=True)
def _no_env_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_embedded_default_is_sqlite_under_dot_govern(tmp_path: Path) -> None:
    uri = resolve_tracking_uri(tmp_path)
    assert uri == f"sqlite:///{tmp_path.resolve()}/.govern/mlflow.db"
    assert (tmp_path / ".govern" / "artifacts").is_dir()
    settings = load_settings(tmp_path)
    assert settings.source == "embedded_default"
    assert settings.artifact_location == (tmp_path.resolve() / ".govern/artifacts").as_uri()
    assert trail_path(tmp_path) == tmp_path.resolve() / ".govern" / "trail.jsonl"
    assert govern_home(tmp_path) == tmp_path.resolve() / ".govern"


def test_environment_wins_over_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "govern.yaml").write_text("tracking_uri: http://from-file:5000\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://from-env:5000")
    settings = load_settings(tmp_path)
    assert (settings.tracking_uri, settings.source) == ("http://from-env:5000", "environment")
    assert not (tmp_path / ".govern").exists()


def test_config_file_sets_uri_trail_and_artifacts_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text(
        "# shared register\n"
        "tracking_uri: sqlite:///reg/mlflow.db\n"
        "trail_path: audit/trail.jsonl\n"
        "artifact_location: store\n"
    )
    settings = load_settings(tmp_path)
    base = tmp_path.resolve()
    assert settings.source == "config_file"
    assert settings.tracking_uri == f"sqlite:///{base}/reg/mlflow.db"
    assert settings.trail_path == base / "audit" / "trail.jsonl"
    assert settings.artifact_location == (base / "store").as_uri()


def test_config_http_uri_kept_verbatim(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text("tracking_uri: https://mlflow.agency.example\n")
    assert resolve_tracking_uri(tmp_path) == "https://mlflow.agency.example"


def test_empty_config_file_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text("# nothing yet\n")
    assert load_settings(tmp_path).source == "embedded_default"


def test_bad_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    config = tmp_path / "govern.yaml"
    config.write_text("tracking_uri: http://x\ntrail_path: [unclosed\n")
    with pytest.raises(BadInputError) as caught:
        load_settings(tmp_path)
    expected = MSG_BAD_YAML.format(
        file=config.resolve(),
        line=3,
        col=1,
        problem="expected ',' or ']', but got '<stream end>'",
    )
    assert str(caught.value) == expected


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "govern.yaml"
    config.write_text("trackng_uri: http://x\ntrail_path: 42\n")
    with pytest.raises(BadInputError) as caught:
        load_settings(tmp_path)
    path = config.resolve()
    assert str(caught.value) == "\n".join(
        [
            MSG_CONFIG_UNKNOWN_KEY.format(
                path=path,
                line=1,
                column=1,
                key="trackng_uri",
                known="tracking_uri, artifact_location, trail_path, policy, policy_paths, limits",
            ),
            MSG_CONFIG_NOT_STRING.format(
                path=path, line=2, column=13, key="trail_path", found="42"
            ),
        ]
    )


def test_config_that_is_not_a_mapping(tmp_path: Path) -> None:
    config = tmp_path / "govern.yaml"
    config.write_text("- tracking_uri\n")
    with pytest.raises(BadInputError) as caught:
        load_settings(tmp_path)
    assert str(caught.value) == MSG_NOT_MAPPING.format(
        file=config.resolve(), line=1, col=1, found="a list"
    )


def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "govern.yaml"
    config.write_text("tracking_uri: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(BadInputError) as caught:
        load_settings(tmp_path)
    assert str(caught.value) == MSG_BAD_TAG.format(
        file=config.resolve(),
        line=1,
        col=15,
        path="tracking_uri",
        tag="!!python/object/apply:os.system",
        kind="settings",
    )


def test_limits_and_policy_paths_come_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "govern.yaml").write_text(
        "policy_paths: [shared, /srv/policies]\nlimits:\n  max_bootstrap: 500\n"
        "  yaml_max_depth: 10\n"
    )
    settings = load_settings(tmp_path, create_home=False)
    assert settings.limits == Limits(max_bootstrap=500, yaml_max_depth=10)
    assert settings.policy_paths == (tmp_path.resolve() / "shared", Path("/srv/policies"))


def test_no_config_file_means_default_limits(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, create_home=False)
    assert settings.limits == DEFAULT_LIMITS
    assert settings.policy_paths == ()


def test_bad_limits_and_policy_paths_are_each_reported(tmp_path: Path) -> None:
    config = tmp_path / "govern.yaml"
    config.write_text(
        "policy_paths: shared\n"
        "limits:\n"
        "  max_bootstrap: -1\n"
        "  yaml_max_depth: 5000\n"
        "  max_boot: 3\n"
    )
    with pytest.raises(BadInputError) as caught:
        load_settings(tmp_path)
    path = config.resolve()
    assert str(caught.value).splitlines() == [
        MSG_CONFIG_NOT_LIST.format(
            path=path, line=1, column=15, key="policy_paths", found="'shared'"
        ),
        MSG_CONFIG_BAD_LIMIT.format(
            path=path, line=3, column=18, key="max_bootstrap", ceiling=10**12, found="-1"
        ),
        MSG_CONFIG_BAD_LIMIT.format(
            path=path, line=4, column=19, key="yaml_max_depth", ceiling=200, found="5000"
        ),
        MSG_CONFIG_UNKNOWN_KEY.format(
            path=path,
            line=5,
            column=3,
            key="max_boot",
            known="yaml_max_bytes, yaml_max_depth, yaml_max_nodes, max_bootstrap, max_groups",
        ),
    ]
