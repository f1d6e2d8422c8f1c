"""Where the register and the audit trail live.

With no configuration the register is MLflow on SQLite under ``.govern/`` in the working directory
(the "embedded default"), so one person can start without a server. ``MLFLOW_TRACKING_URI`` (the
variable MLflow itself reads) or a ``govern.yaml`` in the working directory points govern at a
shared MLflow tracking server instead, for example one backed by PostgreSQL for many teams.

``govern.yaml`` keys (all optional)::

    tracking_uri: http://mlflow.internal:5000   # or sqlite:///register.db (relative to this file)
    artifact_location: /srv/govern/artifacts    # where new experiments keep their artifacts
    trail_path: audit/trail.jsonl               # relative to this file
    policy: public-sector-baseline              # the organisation's policy (pack or file)

Precedence: ``MLFLOW_TRACKING_URI`` > ``govern.yaml`` > embedded default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from govern.errors import BadInputError

CONFIG_FILE_NAME = "govern.yaml"
HOME_DIR_NAME = ".govern"
DEFAULT_DB_NAME = "mlflow.db"
DEFAULT_ARTIFACTS_DIR = "artifacts"
DEFAULT_TRAIL_NAME = "trail.jsonl"
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"

KNOWN_KEYS = ("tracking_uri", "artifact_location", "trail_path", "policy")

MSG_CONFIG_UNREADABLE = "{path}: cannot read the file ({reason}). Check its permissions."
MSG_CONFIG_YAML = "{path}:{line}:{column}: not valid YAML ({problem}). Fix the syntax and retry."
MSG_CONFIG_NOT_MAPPING = (
    "{path}:{line}:{column}: expected a mapping of settings such as 'tracking_uri: <uri>', "
    "found {found}."
)
MSG_CONFIG_UNKNOWN_KEY = (
    "{path}:{line}:{column}: unknown setting {key!r}. Known settings: {known}. "
    "Check the spelling or remove the line."
)
MSG_CONFIG_NOT_STRING = (
    "{path}:{line}:{column}: setting {key!r} must be a non-empty text value, found {found}."
)

SettingsSource = Literal["environment", "config_file", "embedded_default"]


@dataclass(frozen=True)
class GovernSettings:
    """The resolved settings of one working directory.

    Attributes
    ----------
    tracking_uri : str
        MLflow tracking (and model-registry) URI.
    source : {"environment", "config_file", "embedded_default"}
        Where ``tracking_uri`` came from.
    artifact_location : str or None
        Artifact root for experiments govern creates; None lets the server decide.
    trail_path : pathlib.Path
        The audit trail file (JSON lines).
    home : pathlib.Path
        The ``.govern/`` folder of the working directory.
    policy : str or None
        The organisation's policy (a shipped pack name, or a file path resolved against
        govern.yaml's folder), which the deployment gate judges against when no ``--policy`` is
        given; None when govern.yaml names none.
    """

    tracking_uri: str
    source: SettingsSource
    artifact_location: str | None
    trail_path: Path
    home: Path
    policy: str | None = None


def _base(cwd: Path | None) -> Path:
    return Path(cwd if cwd is not None else Path.cwd()).resolve()


def govern_home(cwd: Path | None = None) -> Path:
    """The ``.govern/`` folder of the working directory (not created here).

    Examples
    --------
    >>> govern_home(Path("/srv/hr")).as_posix()
    '/srv/hr/.govern'
    """
    return _base(cwd) / HOME_DIR_NAME


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return f"{node.value!r}" if node.value else "an empty value"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a mapping"


def _read_config(path: Path) -> dict[str, str]:
    """Read ``govern.yaml`` with safe YAML, keeping line numbers for every error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInputError(
            MSG_CONFIG_UNREADABLE.format(path=path, reason=error.strerror or error)
        ) from error
    try:
        # compose (not load) keeps each node's position; SafeLoader builds no Python objects.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise BadInputError(
            MSG_CONFIG_YAML.format(path=path, line=line, column=column, problem=error.problem)
        ) from error
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise BadInputError(
            MSG_CONFIG_NOT_MAPPING.format(
                path=path,
                line=root.start_mark.line + 1,
                column=root.start_mark.column + 1,
                found=_describe(root),
            )
        )
    problems: list[str] = []
    values: dict[str, str] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        where = {
            "path": path,
            "line": key_node.start_mark.line + 1,
            "column": key_node.start_mark.column + 1,
        }
        if key not in KNOWN_KEYS:
            problems.append(
                MSG_CONFIG_UNKNOWN_KEY.format(**where, key=key, known=", ".join(KNOWN_KEYS))
            )
            continue
        if (
            not isinstance(value_node, yaml.ScalarNode)
            or value_node.tag != "tag:yaml.org,2002:str"
            or not str(value_node.value).strip()
        ):
            where["line"] = value_node.start_mark.line + 1
            where["column"] = value_node.start_mark.column + 1
            problems.append(
                MSG_CONFIG_NOT_STRING.format(**where, key=key, found=_describe(value_node))
            )
            continue
        values[key] = str(value_node.value).strip()
    if problems:
        raise BadInputError("\n".join(problems))
    return values


def _anchor_sqlite(uri: str, base: Path) -> str:
    """Make a relative ``sqlite:///file.db`` relative to the config file, not the process cwd."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and ":memory:" not in uri:
        return prefix + (base / uri[len(prefix) :]).as_posix()
    return uri


def load_settings(cwd: Path | None = None, *, create_home: bool = True) -> GovernSettings:
    """Resolve every setting for a working directory; creates ``.govern/`` for the default.

    Parameters
    ----------
    cwd : pathlib.Path, optional
        The working directory (default: the process's).
    create_home : bool, default True
        Create ``.govern/artifacts`` when the embedded default is used.

    Returns
    -------
    GovernSettings

    Raises
    ------
    govern.errors.BadInputError
        ``govern.yaml`` exists but is not valid (the message names file, line and column).

    Examples
    --------
    >>> settings = load_settings(Path("/tmp/hr-team"))  # doctest: +SKIP
    >>> settings.source
    'embedded_default'
    """
    base = _base(cwd)
    home = base / HOME_DIR_NAME
    config_path = base / CONFIG_FILE_NAME
    config = _read_config(config_path) if config_path.is_file() else {}

    trail = Path(config["trail_path"]) if "trail_path" in config else None
    if trail is None:
        trail = home / DEFAULT_TRAIL_NAME
    elif not trail.is_absolute():
        trail = base / trail

    artifact_location = config.get("artifact_location")
    if artifact_location is not None and "://" not in artifact_location:
        artifact_location = (base / artifact_location).resolve().as_uri()

    policy = config.get("policy")
    if policy is not None and (policy.endswith((".yaml", ".yml")) or "/" in policy):
        policy = str((base / policy).resolve())

    env_uri = os.environ.get(ENV_TRACKING_URI, "").strip()
    if env_uri:
        return GovernSettings(env_uri, "environment", artifact_location, trail, home, policy)
    if "tracking_uri" in config:
        uri = _anchor_sqlite(config["tracking_uri"], base)
        return GovernSettings(uri, "config_file", artifact_location, trail, home, policy)
    if create_home:
        (home / DEFAULT_ARTIFACTS_DIR).mkdir(parents=True, exist_ok=True)
    return GovernSettings(
        tracking_uri=f"sqlite:///{(home / DEFAULT_DB_NAME).as_posix()}",
        source="embedded_default",
        artifact_location=artifact_location or (home / DEFAULT_ARTIFACTS_DIR).as_uri(),
        trail_path=trail,
        home=home,
        policy=policy,
    )


def resolve_tracking_uri(cwd: Path | None = None) -> str:
    """The MLflow tracking URI: ``MLFLOW_TRACKING_URI``, else ``govern.yaml``, else SQLite.

    The embedded default is ``sqlite:///<cwd>/.govern/mlflow.db`` with artifacts under
    ``.govern/artifacts`` (the folder is created).

    Examples
    --------
    >>> resolve_tracking_uri(Path("/tmp/hr-team"))  # doctest: +SKIP
    'sqlite:////tmp/hr-team/.govern/mlflow.db'
    """
    return load_settings(cwd).tracking_uri


def trail_path(cwd: Path | None = None) -> Path:
    """The audit trail file: ``.govern/trail.jsonl`` unless ``govern.yaml`` sets ``trail_path``.

    Examples
    --------
    >>> trail_path(Path("/tmp/hr-team")).name  # doctest: +SKIP
    'trail.jsonl'
    """
    return load_settings(cwd).trail_path
