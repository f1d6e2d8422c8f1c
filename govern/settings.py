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
    policy_paths: [shared-policies]             # more folders a policy may extend files from
    limits:                                     # bounds on inputs (govern.limits)
      max_bootstrap: 10000

Precedence: ``MLFLOW_TRACKING_URI`` > ``govern.yaml`` > embedded default. ``govern.yaml`` is read
with the default limits (it cannot loosen the bounds it is read with).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from govern.errors import BadInputError
from govern.limits import DEFAULT_LIMITS, LIMIT_NAMES, Limits
from govern.yaml_loader import LocatedDocument, describe, load_located_file

CONFIG_FILE_NAME = "govern.yaml"
HOME_DIR_NAME = ".govern"
DEFAULT_DB_NAME = "mlflow.db"
DEFAULT_ARTIFACTS_DIR = "artifacts"
DEFAULT_TRAIL_NAME = "trail.jsonl"
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"

TEXT_KEYS = ("tracking_uri", "artifact_location", "trail_path", "policy")
KNOWN_KEYS = (*TEXT_KEYS, "policy_paths", "limits")
# PyYAML composes nodes recursively: deeper nesting than this cannot be allowed safely.
MAX_YAML_DEPTH_CEILING = 200

MSG_CONFIG_UNKNOWN_KEY = (
    "{path}:{line}:{column}: unknown setting {key!r}. Known settings: {known}. "
    "Check the spelling or remove the line."
)
MSG_CONFIG_NOT_STRING = (
    "{path}:{line}:{column}: setting {key!r} must be a non-empty text value, found {found}."
)
MSG_CONFIG_NOT_LIST = (
    "{path}:{line}:{column}: setting {key!r} must be a list of folders (text), found {found}."
)
MSG_CONFIG_NOT_LIMITS = (
    "{path}:{line}:{column}: setting 'limits' must be a mapping such as 'max_bootstrap: "
    "10000', found {found}."
)
MSG_CONFIG_BAD_LIMIT = (
    "{path}:{line}:{column}: limit {key!r} must be a whole number from 1 to {ceiling}, "
    "found {found}."
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
    limits : govern.limits.Limits
        Bounds on inputs (file sizes, nesting, bootstrap replicates, groups).
    policy_paths : tuple of pathlib.Path
        Folders, besides a policy's own, that its ``extends`` may read files from.
    """

    tracking_uri: str
    source: SettingsSource
    artifact_location: str | None
    trail_path: Path
    home: Path
    policy: str | None = None
    limits: Limits = DEFAULT_LIMITS
    policy_paths: tuple[Path, ...] = ()


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


class _Config:
    """The checked contents of ``govern.yaml``; every problem is collected, then raised."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc: LocatedDocument = load_located_file(
            path, str(path), kind="settings", expected=None
        )
        self.problems: list[str] = []
        self.text: dict[str, str] = {}
        self.policy_paths: list[str] = []
        self.limits: dict[str, int] = {}
        for key, value in self.doc.data.items():
            if key in TEXT_KEYS:
                self._text(key, value)
            elif key == "policy_paths":
                self._folders(key, value)
            elif key == "limits":
                self._limits(value)
            else:
                self._problem(
                    MSG_CONFIG_UNKNOWN_KEY,
                    (key,),
                    key=key,
                    known=", ".join(KNOWN_KEYS),
                    at_key=True,
                )
        if self.problems:
            raise BadInputError("\n".join(self.problems))

    def _problem(
        self, template: str, path: tuple[str | int, ...], *, at_key: bool = False, **fields: Any
    ) -> None:
        line, column = self.doc.where(path, key=at_key)
        self.problems.append(template.format(path=self.path, line=line, column=column, **fields))

    def _text(self, key: str, value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            self._problem(MSG_CONFIG_NOT_STRING, (key,), key=key, found=describe(value))
            return
        self.text[key] = value.strip()

    def _folders(self, key: str, value: object) -> None:
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            self._problem(MSG_CONFIG_NOT_LIST, (key,), key=key, found=describe(value))
            return
        self.policy_paths = [item.strip() for item in value]

    def _limits(self, value: object) -> None:
        if not isinstance(value, dict):
            self._problem(MSG_CONFIG_NOT_LIMITS, ("limits",), found=describe(value))
            return
        for name, number in value.items():
            where = ("limits", name)
            if name not in LIMIT_NAMES:
                known = ", ".join(LIMIT_NAMES)
                self._problem(MSG_CONFIG_UNKNOWN_KEY, where, key=name, known=known, at_key=True)
                continue
            ceiling = MAX_YAML_DEPTH_CEILING if name == "yaml_max_depth" else 10**12
            if (
                isinstance(number, bool)
                or not isinstance(number, int)
                or not 1 <= number <= ceiling
            ):
                self._problem(
                    MSG_CONFIG_BAD_LIMIT, where, key=name, ceiling=ceiling, found=describe(number)
                )
                continue
            self.limits[name] = number


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
    >>> import tempfile
    >>> settings = load_settings(Path(tempfile.mkdtemp()), create_home=False)
    >>> settings.source
    'embedded_default'
    """
    base = _base(cwd)
    home = base / HOME_DIR_NAME
    config_path = base / CONFIG_FILE_NAME
    parsed = _Config(config_path) if config_path.is_file() else None
    config = parsed.text if parsed is not None else {}
    limits = replace(DEFAULT_LIMITS, **parsed.limits) if parsed else DEFAULT_LIMITS
    folders = tuple(base / folder for folder in parsed.policy_paths) if parsed else ()

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
        return GovernSettings(
            env_uri, "environment", artifact_location, trail, home, policy, limits, folders
        )
    if "tracking_uri" in config:
        uri = _anchor_sqlite(config["tracking_uri"], base)
        return GovernSettings(
            uri, "config_file", artifact_location, trail, home, policy, limits, folders
        )
    if create_home:
        (home / DEFAULT_ARTIFACTS_DIR).mkdir(parents=True, exist_ok=True)
    return GovernSettings(
        tracking_uri=f"sqlite:///{(home / DEFAULT_DB_NAME).as_posix()}",
        source="embedded_default",
        artifact_location=artifact_location or (home / DEFAULT_ARTIFACTS_DIR).as_uri(),
        trail_path=trail,
        home=home,
        policy=policy,
        limits=limits,
        policy_paths=folders,
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
