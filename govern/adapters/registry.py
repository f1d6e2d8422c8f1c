"""The register of governed models, kept in the MLflow model registry.

This is the only module of govern that imports mlflow, so every MLflow quirk (retries, timeouts,
log chatter, error codes) is handled once, here, and the rest of govern works with plain
dictionaries and small dataclasses.

Governance facts live on MLflow objects as ``govern.*`` tags: the registered model carries its
governance metadata (``govern.meta.*``, see :mod:`govern.metadata`), each model version carries
its last audit (``govern.audit.*``) and its model card (``govern.card.*``). Audit evidence is an
MLflow run in the ``govern-audits`` experiment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import io
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError, RegistryError
from govern.settings import load_settings

if TYPE_CHECKING:
    from govern.limits import Limits
    from govern.metadata import GovernanceMetadata

AUDIT_EXPERIMENT = "govern-audits"
REGISTER_EXPERIMENT = "govern-register"

# Tag keys on a model version (read by the gate as well).
TAG_AUDIT_STATUS = "govern.audit.status"
TAG_AUDIT_RUN_ID = "govern.audit.run_id"
TAG_AUDIT_POLICY_SHA256 = "govern.audit.policy_sha256"
TAG_AUDIT_POLICY = "govern.audit.policy"
TAG_AUDIT_AT = "govern.audit.at"
# The audit's trail record, a copy of the trail's head kept outside the trail file.
TAG_AUDIT_TRAIL_INDEX = "govern.audit.trail_index"
TAG_AUDIT_TRAIL_HASH = "govern.audit.trail_hash"
TAG_REGISTER_TRAIL = "govern.register.trail"
TAG_CARD_RUN_ID = "govern.card.run_id"
TAG_CARD_PATH = "govern.card.path"
TAG_OUTCOME_ONLY = "govern.outcome_only"
# Source recorded for a procured tool registered without a model artifact.
OUTCOME_ONLY_SOURCE_DIR = "outcome_only"

# A unreachable server must be reported within seconds, not after MLflow's default of 7
# retries with exponential backoff and a 120 s timeout per request.
HEALTH_TIMEOUT_SECONDS = 3.0
_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}
# Commands that only read (models, verify) answer a person waiting at a terminal or a CI step:
# a server that accepted the connection and then stalls is reported after one short wait.
READ_TIMEOUT_SECONDS = 5
_HTTP_READ_ONLY = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": str(READ_TIMEOUT_SECONDS),
}
# The values govern itself put in the environment (a user's own settings are never replaced).
_SET_BY_GOVERN: dict[str, str] = {}

MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

MSG_UNREACHABLE = (
    "cannot reach the MLflow tracking server at {uri} ({reason}). Check that the server is "
    "running and the address is right (MLFLOW_TRACKING_URI or tracking_uri in govern.yaml), "
    "or unset both to use the embedded register under .govern/."
)
MSG_NOT_MLFLOW = (
    "{uri} answered but is not an MLflow tracking server (HTTP 404 on /health). Check the "
    "address and port in MLFLOW_TRACKING_URI or tracking_uri in govern.yaml."
)
MSG_STORE_FAILED = (
    "the MLflow register at {uri} cannot be used ({reason}). Check the URI and that its folder "
    "exists and is writable."
)
MSG_MODEL_NOT_FOUND = (
    "no registered model named {name!r} in the register at {uri}. Run 'govern models list' to "
    "see the registered models, or 'govern register {name} ...' to register it."
)
MSG_VERSION_NOT_FOUND = (
    "model {name!r} has no version {version!r} in the register at {uri}. Run "
    "'govern models show {name}' to see its versions."
)
MSG_BAD_MODEL_NAME = (
    "invalid model name {name!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a "
    "letter or digit."
)
MSG_BAD_MODEL_URI = (
    "cannot register {name!r} from model URI {uri!r} ({reason}). Give an MLflow model URI such "
    "as runs:/<run_id>/model, models:/<name>/<version> or a folder holding an MLmodel file."
)
MSG_LOAD_FAILED = (
    "cannot load model {name!r} version {version} from {source} ({reason}). Check that the "
    "model's artifacts are reachable and its flavour's packages are installed."
)
MSG_BAD_LOAD_URI = (
    "cannot load a model from {uri!r} ({reason}). Give an MLflow model URI such as "
    "runs:/<run_id>/model, models:/<name>/<version> or a folder holding an MLmodel file."
)
MSG_OUTCOME_ONLY = (
    "model {name!r} version {version} was registered without a model artifact (a procured "
    "tool); it cannot predict. Audit it on recorded decisions with --y-pred COLUMN."
)
MSG_CARD_MISSING = "cannot read the model card file {path} ({reason}). Check the path."
MSG_ARTIFACT_MISSING = "run {run_id} has no artifact {path!r} in the register at {uri} ({reason})."

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelVersionInfo:
    """One version of a registered model, as govern sees it."""

    name: str
    version: str
    source: str
    run_id: str | None
    created_at: dt.datetime
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def outcome_only(self) -> bool:
        """True for a procured tool registered without a model artifact."""
        return self.tags.get(TAG_OUTCOME_ONLY) == "true"


@dataclass(frozen=True)
class RegisteredModelInfo:
    """A registered model: its tags (governance metadata), description and aliases."""

    name: str
    description: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    created_at: dt.datetime | None = None


def _from_millis(value: int | None) -> dt.datetime:
    return dt.datetime.fromtimestamp((value or 0) / 1000, tz=dt.UTC)


def _quiet_mlflow() -> None:
    """Keep MLflow's own logs (alembic migrations, 'Registered model ...') off the terminal."""
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    for name in ("mlflow", "alembic", "alembic.runtime.migration", "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(logging.WARNING)


# MLflow sets a tag by reading whether it exists and then inserting or updating it. Two processes
# setting the same tag at once can both decide to insert, and the loser hits the table's unique
# constraint (or, on SQLite, a busy database). Trying again turns its insert into an update.
WRITE_RACE_MARKERS = ("UNIQUE constraint failed", "duplicate key value", "database is locked")
WRITE_RACE_ATTEMPTS = 5


def _retry_on_write_race(write: Callable[[], object]) -> None:
    import random
    import time

    for attempt in range(WRITE_RACE_ATTEMPTS):
        try:
            write()
            return
        except Exception as error:
            if attempt == WRITE_RACE_ATTEMPTS - 1 or not any(
                marker in str(error) for marker in WRITE_RACE_MARKERS
            ):
                raise
            time.sleep(0.05 * (attempt + 1) + random.random() * 0.05)  # noqa: S311 - jitter


def _http_settings(*, read_only: bool) -> None:
    """MLflow's retry and timeout settings (read at each request) for this kind of command."""
    wanted = _HTTP_READ_ONLY if read_only else _HTTP_DEFAULTS
    for key, value in wanted.items():
        current = os.environ.get(key)
        if current is None or _SET_BY_GOVERN.get(key) == current:
            os.environ[key] = value
            _SET_BY_GOVERN[key] = value


def _import_mlflow(*, read_only: bool = False) -> Any:
    _quiet_mlflow()
    # MLflow's usage telemetry would send data off the machine (public bodies must not leak
    # metadata) and makes short commands such as `govern gate` wait for it at exit.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    _http_settings(read_only=read_only)
    import mlflow

    _quiet_mlflow()  # mlflow configures its loggers on import; lower them again
    return mlflow


def _artifacts_beside(uri: str) -> str | None:
    """For an explicit SQLite register, keep artifacts in a folder next to the database (MLflow
    would otherwise use ./mlruns of whatever directory the process runs in)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or ":memory:" in uri:
        return None
    database = Path(uri[len(prefix) :])
    if not database.is_absolute():
        database = Path.cwd() / database
    return (database.parent / "artifacts").resolve().as_uri()


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def check_reachable(uri: str, *, timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
    """Raise RegistryError quickly when an HTTP tracking server does not answer.

    MLflow's own client retries for minutes; one short request to the server's ``/health``
    endpoint gives the user an answer in seconds.

    Examples
    --------
    >>> check_reachable("http://127.0.0.1:9")  # doctest: +SKIP
    Traceback (most recent call last):
    govern.errors.RegistryError: cannot reach the MLflow tracking server at http://127.0.0.1:9 ...
    """
    if not _is_http(uri):
        return
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
            response.read(64)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise RegistryError(
                MSG_UNREACHABLE.format(uri=uri, reason=f"HTTP {error.code}")
            ) from error
        if error.code == 404:
            raise RegistryError(MSG_NOT_MLFLOW.format(uri=uri)) from error
        # 401/403: an authenticating proxy answered; MLflow's client sends the credentials.
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RegistryError(MSG_UNREACHABLE.format(uri=uri, reason=reason)) from error


def validate_model_name(name: str) -> str:
    """Return ``name`` if it is a valid register name, else raise BadInputError."""
    if not MODEL_NAME_PATTERN.match(name):
        raise BadInputError(MSG_BAD_MODEL_NAME.format(name=name))
    return name


class Registry:
    """The register: a thin, typed adapter over MLflow's model registry and tracking store.

    Parameters
    ----------
    tracking_uri : str, optional
        MLflow tracking URI. Default: resolved by :func:`govern.settings.load_settings`
        (``MLFLOW_TRACKING_URI``, ``govern.yaml``, else SQLite under ``.govern/``).
    cwd : pathlib.Path, optional
        Working directory used to resolve settings (default: the process's).
    read_only : bool, default False
        For commands that only read: one try per request with a short read timeout
        (``READ_TIMEOUT_SECONDS``), so a server that stalls is reported within seconds.

    Examples
    --------
    >>> registry = Registry("sqlite:////tmp/register/mlflow.db")  # doctest: +SKIP
    >>> registry.latest_version("cv-screening")  # doctest: +SKIP
    '3'
    """

    def __init__(
        self, tracking_uri: str | None = None, *, cwd: Path | None = None, read_only: bool = False
    ) -> None:
        settings = load_settings(cwd, create_home=tracking_uri is None)
        if tracking_uri is not None:
            settings = dataclasses.replace(
                settings,
                tracking_uri=tracking_uri,
                source="environment",
                artifact_location=_artifacts_beside(tracking_uri),
            )
        self.settings = settings
        self.tracking_uri = settings.tracking_uri
        self.read_only = read_only
        self._client: Any = None
        self._mlflow: Any = None

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``mlflow.MlflowClient`` (created on first use, after a reachability check)."""
        if self._client is None:
            check_reachable(self.tracking_uri)
            self._mlflow = _import_mlflow(read_only=self.read_only)
            try:
                self._client = self._mlflow.MlflowClient(
                    tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
                )
            except Exception as error:
                raise RegistryError(
                    MSG_STORE_FAILED.format(uri=self.tracking_uri, reason=error)
                ) from error
        return self._client

    @property
    def mlflow(self) -> Any:
        """The imported ``mlflow`` module, pointed at this register."""
        _ = self.client
        self._mlflow.set_tracking_uri(self.tracking_uri)
        self._mlflow.set_registry_uri(self.tracking_uri)
        return self._mlflow

    @contextlib.contextmanager
    def _translate(self, name: str | None = None, version: str | None = None) -> Iterator[None]:
        """Turn MLflow's exceptions into RegistryError with a message a user can act on."""
        try:
            yield
        except RegistryError:
            raise
        except Exception as error:
            raise self._registry_error(error, name, version) from error

    def _registry_error(
        self, error: Exception, name: str | None, version: str | None
    ) -> RegistryError:
        code = getattr(error, "error_code", "")
        if code == "RESOURCE_DOES_NOT_EXIST" and name is not None:
            if version is not None and self._model_exists_quiet(name):
                return RegistryError(
                    MSG_VERSION_NOT_FOUND.format(name=name, version=version, uri=self.tracking_uri)
                )
            return RegistryError(MSG_MODEL_NOT_FOUND.format(name=name, uri=self.tracking_uri))
        text = str(error)
        if _is_http(self.tracking_uri) and (
            "Max retries" in text or "Connection" in text or "timed out" in text
        ):
            return RegistryError(MSG_UNREACHABLE.format(uri=self.tracking_uri, reason=text[:200]))
        return RegistryError(MSG_STORE_FAILED.format(uri=self.tracking_uri, reason=text[:300]))

    def _model_exists_quiet(self, name: str) -> bool:
        try:
            self.client.get_registered_model(name)
        except Exception:
            return False
        return True

    # -- registered models ------------------------------------------------------------------

    def model_exists(self, name: str) -> bool:
        """True when a registered model of that name exists."""
        try:
            self.client.get_registered_model(name)
        except Exception as error:
            if getattr(error, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                return False
            raise self._registry_error(error, None, None) from error
        return True

    def get_model(self, name: str) -> RegisteredModelInfo:
        """The registered model ``name``; RegistryError naming it when absent."""
        with self._translate(name):
            model = self.client.get_registered_model(name)
        return RegisteredModelInfo(
            name=model.name,
            description=model.description or "",
            tags=dict(model.tags or {}),
            aliases={k: str(v) for k, v in (model.aliases or {}).items()},
            created_at=_from_millis(model.creation_timestamp),
        )

    def get_model_tags(self, name: str) -> dict[str, str]:
        """Tags of the registered model ``name``."""
        return self.get_model(name).tags

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        """Set tags on the registered model ``name`` (existing keys are overwritten)."""
        with self._translate(name):
            for key, value in tags.items():
                _retry_on_write_race(
                    functools.partial(self.client.set_registered_model_tag, name, key, str(value))
                )

    def delete_model_tags(self, name: str, keys: list[str]) -> None:
        """Remove tags from a registered model; absent keys are ignored."""
        present = self.get_model_tags(name)
        with self._translate(name):
            for key in keys:
                if key in present:
                    self.client.delete_registered_model_tag(name, key)

    def ensure_model(self, name: str, *, description: str | None = None) -> None:
        """Create the registered model if absent; update its description when given."""
        validate_model_name(name)
        with self._translate(name):
            if not self.model_exists(name):
                try:
                    self.client.create_registered_model(name, description=description)
                    return
                except Exception as error:
                    # Another process created it between our check and our create.
                    if getattr(error, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                        raise
            if description is not None:
                self.client.update_registered_model(name, description=description)

    def list_models(self) -> list[RegisteredModelInfo]:
        """Every registered model (all pages), sorted by name."""
        models: list[RegisteredModelInfo] = []
        token: str | None = None
        with self._translate():
            while True:
                page = self.client.search_registered_models(max_results=1000, page_token=token)
                for model in page:
                    models.append(
                        RegisteredModelInfo(
                            name=model.name,
                            description=model.description or "",
                            tags=dict(model.tags or {}),
                            aliases={k: str(v) for k, v in (model.aliases or {}).items()},
                            created_at=_from_millis(model.creation_timestamp),
                        )
                    )
                token = page.token
                if not token:
                    break
        return sorted(models, key=lambda m: m.name)

    # -- versions ---------------------------------------------------------------------------

    def _version_info(self, mv: Any) -> ModelVersionInfo:
        return ModelVersionInfo(
            name=mv.name,
            version=str(mv.version),
            source=mv.source or "",
            run_id=mv.run_id or None,
            created_at=_from_millis(mv.creation_timestamp),
            tags=dict(mv.tags or {}),
            aliases=list(mv.aliases or []),
            description=mv.description or "",
        )

    def get_version(self, name: str, version: str) -> ModelVersionInfo:
        """One model version; RegistryError naming model and version when absent."""
        with self._translate(name, str(version)):
            mv = self.client.get_model_version(name, str(version))
        return self._version_info(mv)

    def list_versions(self, name: str) -> list[ModelVersionInfo]:
        """Every version of ``name``, oldest first; RegistryError when the model is absent."""
        self.get_model(name)
        escaped = name.replace("'", "\\'")
        versions: list[ModelVersionInfo] = []
        token: str | None = None
        with self._translate(name):
            while True:
                page = self.client.search_model_versions(
                    f"name = '{escaped}'", max_results=1000, page_token=token
                )
                versions.extend(self._version_info(mv) for mv in page)
                token = page.token
                if not token:
                    break
        return sorted(versions, key=lambda v: int(v.version))

    def latest_version(self, name: str) -> str | None:
        """The highest version number of ``name``, or None when it has no version."""
        versions = self.list_versions(name)
        return versions[-1].version if versions else None

    def get_version_tags(self, name: str, version: str) -> dict[str, str]:
        """Tags of one model version."""
        return self.get_version(name, version).tags

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        """Set several tags on a model version, in the order given.

        MLflow has no batch call for model-version tags, so callers that need all-or-nothing
        semantics put the tag that readers key on (for audits, ``govern.audit.run_id``) last.
        """
        self.get_version(name, version)
        with self._translate(name, str(version)):
            for key, value in tags.items():
                _retry_on_write_race(
                    functools.partial(
                        self.client.set_model_version_tag, name, str(version), key, str(value)
                    )
                )

    def restore_version_tags(
        self, name: str, version: str, previous: Mapping[str, str], keys: list[str]
    ) -> None:
        """Put ``keys`` back as they were in ``previous`` (deleting those that were absent);
        used to undo tags of a recording that failed part-way. Best effort: errors are logged,
        so the original failure is the one the user sees."""
        for key in reversed(keys):
            try:
                if key in previous:
                    self.client.set_model_version_tag(name, str(version), key, previous[key])
                else:
                    self.client.delete_model_version_tag(name, str(version), key)
            except Exception as error:  # the failure being undone is the one to report
                _logger.warning("could not restore tag %s of %s v%s: %s", key, name, version, error)

    def create_version(
        self,
        name: str,
        *,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> str:
        """Create a version of an existing registered model from an artifact location."""
        with self._translate(name):
            mv = self.client.create_model_version(
                name,
                source,
                run_id=run_id,
                tags={k: str(v) for k, v in (tags or {}).items()},
                description=description,
                await_creation_for=0,
            )
        return str(mv.version)

    def register_uri(
        self, name: str, model_uri: str, *, tags: Mapping[str, str] | None = None
    ) -> str:
        """Register an MLflow model URI (``runs:/``, ``models:/``, a local folder) as a version."""
        mlflow = self.mlflow
        uri = model_uri
        local = Path(model_uri)
        if "://" not in model_uri and ":/" not in model_uri:
            if not (local / "MLmodel").is_file():
                raise BadInputError(
                    MSG_BAD_MODEL_URI.format(
                        name=name, uri=model_uri, reason="no MLmodel file in that folder"
                    )
                )
            uri = local.resolve().as_uri()
        try:
            # mlflow.register_model prints progress lines straight to stderr; keep them out of
            # the user's terminal (and out of --format json consumers' logs).
            with contextlib.redirect_stderr(io.StringIO()):
                mv = mlflow.register_model(
                    uri,
                    name,
                    tags={k: str(v) for k, v in (tags or {}).items()},
                    await_registration_for=0,
                )
        except Exception as error:
            code = getattr(error, "error_code", "")
            if code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise BadInputError(
                    MSG_BAD_MODEL_URI.format(name=name, uri=model_uri, reason=str(error)[:200])
                ) from error
            raise self._registry_error(error, name, None) from error
        return str(mv.version)

    # -- aliases ----------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` (for example ``production``) of ``name`` at ``version``."""
        self.get_version(name, version)
        with self._translate(name, str(version)):
            self.client.set_registered_model_alias(name, alias, str(version))

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias; absent aliases are ignored."""
        if alias in self.get_model(name).aliases:
            with self._translate(name):
                self.client.delete_registered_model_alias(name, alias)

    def get_alias_version(self, name: str, alias: str) -> str | None:
        """The version an alias points at, or None when the alias is not set."""
        return self.get_model(name).aliases.get(alias)

    # -- runs and artifacts -----------------------------------------------------------------

    def experiment_id(self, experiment: str) -> str:
        """The id of an experiment, created (with govern's artifact location) when absent."""
        with self._translate():
            found = self.client.get_experiment_by_name(experiment)
            if found is not None:
                return str(found.experiment_id)
            try:
                return str(
                    self.client.create_experiment(
                        experiment, artifact_location=self.settings.artifact_location
                    )
                )
            except Exception as error:
                # Concurrent processes may race to create it: the loser reads it back.
                if getattr(error, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                    raise
                again = self.client.get_experiment_by_name(experiment)
                return str(again.experiment_id)

    @contextlib.contextmanager
    def run(
        self, experiment: str, *, run_name: str, tags: Mapping[str, str] | None = None
    ) -> Iterator[RunRecorder]:
        """Open an MLflow run; FINISHED on normal exit, FAILED when the block raises.

        Examples
        --------
        >>> with registry.run("govern-audits", run_name="audit") as run:  # doctest: +SKIP
        ...     run.log_params({"policy": "eu-ai-act"})
        """
        experiment_id = self.experiment_id(experiment)
        with self._translate():
            created = self.client.create_run(
                experiment_id, run_name=run_name, tags={k: str(v) for k, v in (tags or {}).items()}
            )
        recorder = RunRecorder(self, created.info.run_id)
        try:
            yield recorder
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.set_terminated(recorder.run_id, status="FAILED")
            raise
        with self._translate():
            self.client.set_terminated(recorder.run_id, status="FINISHED")

    def get_run_status(self, run_id: str) -> str:
        """The status of a run: RUNNING, FINISHED, FAILED or KILLED."""
        with self._translate():
            return str(self.client.get_run(run_id).info.status)

    def get_run_data(self, run_id: str) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
        """Params, metrics and tags of a run."""
        with self._translate():
            data = self.client.get_run(run_id).data
        return dict(data.params), dict(data.metrics), dict(data.tags)

    def search_runs(self, experiment: str, filter_string: str = "") -> list[str]:
        """Run ids of an experiment matching an MLflow filter string, newest first."""
        with self._translate():
            found = self.client.get_experiment_by_name(experiment)
            if found is None:
                return []
            runs = self.client.search_runs(
                [found.experiment_id],
                filter_string=filter_string,
                max_results=10000,
                order_by=["attributes.start_time DESC"],
            )
        return [run.info.run_id for run in runs]

    def read_artifact_text(self, run_id: str, path: str) -> str:
        """The text of one artifact of a run."""
        with tempfile.TemporaryDirectory(prefix="govern-artifact-") as tmp:
            try:
                local = self.client.download_artifacts(run_id, path, dst_path=tmp)
                return Path(local).read_text(encoding="utf-8")
            except Exception as error:
                raise RegistryError(
                    MSG_ARTIFACT_MISSING.format(
                        run_id=run_id, path=path, uri=self.tracking_uri, reason=str(error)[:200]
                    )
                ) from error

    # -- documents: audit history, descriptions, links --------------------------------------

    def find_runs(self, experiment: str, filter_string: str = "") -> list[RunRecord]:
        """Runs of an experiment matching an MLflow filter string, oldest first, with their
        params, metrics and tags (one query; no artifact is downloaded)."""
        with self._translate():
            found = self.client.get_experiment_by_name(experiment)
            if found is None:
                return []
            runs = self.client.search_runs(
                [found.experiment_id],
                filter_string=filter_string,
                max_results=10000,
                order_by=["attributes.start_time ASC"],
            )
        return [
            RunRecord(
                run_id=run.info.run_id,
                experiment_id=str(run.info.experiment_id),
                status=str(run.info.status),
                started_at=_from_millis(run.info.start_time),
                params=dict(run.data.params),
                metrics=dict(run.data.metrics),
                tags=dict(run.data.tags),
            )
            for run in runs
        ]

    def audit_runs(self, name: str) -> list[RunRecord]:
        """The finished audit runs of model ``name`` in ``govern-audits``, oldest first."""
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        return [
            run
            for run in self.find_runs(
                AUDIT_EXPERIMENT,
                f"tags.`govern.model` = '{escaped}' and tags.`govern.kind` = 'audit'",
            )
            if run.status == "FINISHED" and run.tags.get("govern.model") == name
        ]

    def run_link(self, run_id: str) -> str:
        """Where MLflow's web UI shows a run: the server's address for an HTTP register, else
        the UI's own path (``#/experiments/ID/runs/RUN``), which works on any host serving it."""
        with self._translate():
            experiment_id = self.client.get_run(run_id).info.experiment_id
        path = f"#/experiments/{experiment_id}/runs/{run_id}"
        return f"{self.tracking_uri.rstrip('/')}/{path}" if _is_http(self.tracking_uri) else path

    def set_version_description(self, name: str, version: str, description: str) -> None:
        """Replace the description of one model version (MLflow's UI shows it on the version
        page)."""
        with self._translate(name, str(version)):
            self.client.update_model_version(name, str(version), description=description)

    def set_model_description(self, name: str, description: str) -> None:
        """Replace the description of a registered model (shown on the model's page)."""
        with self._translate(name):
            self.client.update_registered_model(name, description=description)

    # -- models as code ---------------------------------------------------------------------

    def load_model(self, name: str, version: str) -> LoadedModel:
        """Load a model version for prediction: the sklearn object when it has that flavour
        (so scores via ``predict_proba`` and permutation importances are available), else the
        pyfunc wrapper; with the names of the inputs it reads when they are known."""
        info = self.get_version(name, version)
        if info.outcome_only:
            raise BadInputError(MSG_OUTCOME_ONLY.format(name=name, version=version))
        _ = self.mlflow  # points MLflow at this register
        loaded = _load_predictor(f"models:/{name}/{version}")
        if isinstance(loaded, LoadedModel):
            return loaded
        raise RegistryError(
            MSG_LOAD_FAILED.format(name=name, version=version, source=info.source, reason=loaded)
        )

    def load_model_uri(self, model_uri: str) -> LoadedModel:
        """Load any MLflow model URI (``runs:/``, ``models:/``, a folder with an MLmodel file)
        for prediction, as :meth:`load_model` does for a registered version."""
        uri = model_uri
        if "://" not in model_uri and ":/" not in model_uri:
            local = Path(model_uri)
            if not (local / "MLmodel").is_file():
                raise BadInputError(
                    MSG_BAD_LOAD_URI.format(uri=model_uri, reason="no MLmodel file in that folder")
                )
            uri = local.resolve().as_uri()
        _ = self.mlflow  # points MLflow at this register (runs:/ and models:/ URIs)
        loaded = _load_predictor(uri)
        if isinstance(loaded, LoadedModel):
            return loaded
        raise BadInputError(MSG_BAD_LOAD_URI.format(uri=model_uri, reason=loaded))


def _load_predictor(uri: str) -> LoadedModel | str:
    """The model at ``uri``: the sklearn object when it has that flavour (so scores via
    ``predict_proba`` and permutation importances are available), else the pyfunc wrapper; or
    the reason it cannot be loaded."""
    try:
        import mlflow.sklearn

        estimator = mlflow.sklearn.load_model(uri)
    except Exception as sklearn_error:
        _logger.debug("no sklearn flavour for %s: %s", uri, sklearn_error)
    else:
        names = getattr(estimator, "feature_names_in_", None)
        inputs = [str(n) for n in names] if names is not None else _signature_names(uri)
        return LoadedModel(predictor=estimator, input_names=inputs, flavor="sklearn")
    try:
        import mlflow.pyfunc

        wrapper = mlflow.pyfunc.load_model(uri)
    except Exception as error:
        return str(error)[:300]
    schema = wrapper.metadata.get_input_schema() if wrapper.metadata is not None else None
    inputs = list(schema.input_names()) if schema is not None and schema.has_input_names() else None
    return LoadedModel(predictor=wrapper, input_names=inputs, flavor="pyfunc")


def _signature_names(uri: str) -> list[str] | None:
    """The input names of a logged model's signature, when it has one."""
    try:
        import mlflow.models

        signature = mlflow.models.get_model_info(uri).signature
    except Exception:  # no signature, or none readable: the names stay unknown
        return None
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        return None
    return [str(name) for name in signature.inputs.input_names()]


@dataclass(frozen=True)
class RunRecord:
    """One MLflow run as govern reads it back: status, start time, params, metrics, tags."""

    run_id: str
    experiment_id: str
    status: str
    started_at: dt.datetime
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def active_tracking_uri() -> str:
    """The tracking URI MLflow is using in this process (inside ``mlflow.models.evaluate``)."""
    return str(_import_mlflow().get_tracking_uri())


def validation_failure(message: str) -> Exception:
    """MLflow's own "model validation failed" exception, for an evaluator plugin to raise.

    Examples
    --------
    >>> type(validation_failure("the policy failed")).__name__  # doctest: +SKIP
    'ModelValidationFailedException'
    """
    _import_mlflow()
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    return ModelValidationFailedException(message)


@dataclass(frozen=True)
class LoadedModel:
    """A registered model ready to predict, and what is known of its inputs."""

    predictor: Any = field(repr=False)
    input_names: list[str] | None
    flavor: str

    def predict(self, frame: Any) -> Any:
        return self.predictor.predict(frame)

    @property
    def feature_names_in_(self) -> Any:
        """The input names, as scikit-learn calls them (what transparency audits read)."""
        return None if self.input_names is None else list(self.input_names)


class RunRecorder:
    """Writes params, metrics and artifacts into one open MLflow run."""

    def __init__(self, registry: Registry, run_id: str) -> None:
        self.registry = registry
        self.run_id = run_id

    def log_params(self, params: Mapping[str, object]) -> None:
        """Log params (values are turned into text; MLflow keeps at most 6000 characters)."""
        from mlflow.entities import Param

        items = [Param(k, str(v)[:6000]) for k, v in params.items()]
        with self.registry._translate():
            self.registry.client.log_batch(self.run_id, params=items)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        """Log metrics at step 0; non-finite values are skipped (MLflow rejects NaN on some
        backends)."""
        import math
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, 0) for k, v in metrics.items() if math.isfinite(float(v))]
        with self.registry._translate():
            self.registry.client.log_batch(self.run_id, metrics=items)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        items = [RunTag(k, str(v)) for k, v in tags.items()]
        with self.registry._translate():
            self.registry.client.log_batch(self.run_id, tags=items)

    def log_text(self, text: str, artifact_file: str) -> None:
        """Store ``text`` as the artifact ``artifact_file`` of the run."""
        with self.registry._translate():
            self.registry.client.log_text(self.run_id, text, artifact_file)

    def log_file(self, path: Path, artifact_path: str | None = None) -> None:
        with self.registry._translate():
            self.registry.client.log_artifact(self.run_id, str(path), artifact_path)


def register_model(
    name: str,
    *,
    model_uri: str | None = None,
    metadata: GovernanceMetadata | None = None,
    card: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    trail: Path | None = None,
) -> str:
    """Register a model version with its governance metadata; return the new version.

    The metadata is stored on the registered model as ``govern.meta.*`` tags and its
    description; the model card (YAML, validated first with the loader, schema and limits an
    audit reads it with) is stored as an artifact of a run in the ``govern-register``
    experiment and linked from the version's tags. A procured
    tool with no model artifact (``model_uri=None``) is registered as an *outcome-only* version:
    its audits read recorded decisions from the data.

    Parameters
    ----------
    name : str
        Registered model name (letters, digits, ``.``, ``_``, ``-``).
    model_uri : str, optional
        MLflow model URI (``runs:/<id>/model``, ``models:/<name>/<v>``, a local MLmodel folder).
    metadata : GovernanceMetadata, optional
        Governance facts; when omitted the model must already carry them.
    card : path, optional
        Model card source file, stored as an artifact.
    tracking_uri : str, optional
        Register to use (default: resolved from the environment, see :mod:`govern.settings`).
    trail : pathlib.Path, optional
        Audit trail that receives a ``register`` record (default: the configured trail).

    Returns
    -------
    str
        The new version number.

    Examples
    --------
    >>> meta = GovernanceMetadata(name="cv-screening", purpose="recruitment", ...)  # doctest: +SKIP
    >>> register_model("cv-screening", model_uri="runs:/abc/model", metadata=meta)  # doctest: +SKIP
    '1'
    """
    from govern.metadata import MSG_NAME_MISMATCH, metadata_description, metadata_to_tags

    validate_model_name(name)
    if metadata is not None and metadata.name != name:
        raise BadInputError(MSG_NAME_MISMATCH.format(meta=metadata.name, name=name))
    registry = Registry(tracking_uri)
    card_text: str | None = None
    card_name = "model_card.yaml"
    if card is not None:
        card_text = _checked_card(Path(card), registry.settings.limits)
        card_name = Path(card).name
    from govern.adapters.trail import append_record, check_writable

    trail_file = check_writable(trail if trail is not None else registry.settings.trail_path)

    registry.ensure_model(
        name, description=metadata_description(metadata) if metadata is not None else None
    )
    if metadata is not None:
        registry.set_model_tags(name, metadata_to_tags(metadata))

    version_tags: dict[str, str] = {}
    run_id: str | None = None
    if card_text is not None or model_uri is None:
        # One small run holds the card source (and marks an outcome-only registration).
        with registry.run(
            REGISTER_EXPERIMENT, run_name=f"register-{name}", tags={"govern.model": name}
        ) as run:
            if card_text is not None:
                run.log_text(card_text, f"card/{card_name}")
                version_tags[TAG_CARD_RUN_ID] = run.run_id
                version_tags[TAG_CARD_PATH] = f"card/{card_name}"
            if model_uri is None:
                run.log_text(
                    "This version is a procured tool registered without a model artifact; "
                    "its audits are outcome-only.\n",
                    f"{OUTCOME_ONLY_SOURCE_DIR}/README.txt",
                )
            run_id = run.run_id

    if model_uri is None:
        version_tags[TAG_OUTCOME_ONLY] = "true"
        version = registry.create_version(
            name,
            source=f"runs:/{run_id}/{OUTCOME_ONLY_SOURCE_DIR}",
            run_id=run_id,
            tags=version_tags,
        )
    else:
        version = registry.register_uri(name, model_uri, tags=version_tags)

    record = append_record(
        "register",
        model=name,
        version=version,
        data_sha256=None,
        policy_sha256=None,
        result_sha256=None,
        payload={
            "model_uri": model_uri,
            "outcome_only": model_uri is None,
            "card": version_tags.get(TAG_CARD_PATH),
            "purpose": metadata.purpose if metadata else None,
            "risk_tier": metadata.risk_tier if metadata else None,
            "tracking_uri": safe_uri(registry.tracking_uri),
        },
        path=trail_file,
    )
    # The version exists and the trail holds its record; anchoring it in the register lets
    # `govern verify` notice records cut from the end of the trail.
    anchor = {"trail_index": record.index, "trail_hash": record.record_hash}
    registry.set_version_tags(name, version, {TAG_REGISTER_TRAIL: json.dumps(anchor)})
    return version


def _checked_card(path: Path, limits: Limits) -> str:
    """The card's text, read and validated exactly as an audit will read it (the same loader,
    schema and limits), so a card that later audits could not use is refused now."""
    from govern.model_cards.card import parse_model_card
    from govern.yaml_loader import read_yaml_text

    if not path.exists():
        raise BadInputError(MSG_CARD_MISSING.format(path=path, reason="no such file"))
    text = read_yaml_text(path, str(path), kind="model card", limits=limits)
    parse_model_card(text, str(path), limits=limits)
    return text


def safe_uri(uri: str) -> str:
    """The tracking URI without any user:password part (never written to the trail)."""
    return re.sub(r"//[^/@]*@", "//", uri)


@dataclass(frozen=True)
class VersionSummary:
    """One version in the inventory, with its last audit as recorded in its tags."""

    version: str
    created_at: str
    outcome_only: bool
    aliases: list[str]
    audit_status: str | None
    audit_at: str | None
    audit_policy: str | None
    audit_run_id: str | None


@dataclass(frozen=True)
class InventoryEntry:
    """One registered model in the inventory; ``governed`` is False without govern metadata."""

    name: str
    governed: bool
    purpose: str | None
    risk_tier: str | None
    owner: str | None
    deployment_status: str | None
    metadata: dict[str, object] | None
    description: str
    versions: list[VersionSummary]

    @property
    def status(self) -> str:
        return "governed" if self.governed else "UNGOVERNED"

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (used by ``--format json``)."""
        from dataclasses import asdict

        return {**asdict(self), "status": self.status}


def _entry(registry: Registry, model: RegisteredModelInfo) -> InventoryEntry:
    from govern.metadata import metadata_from_tags

    meta = metadata_from_tags(model.name, model.tags)
    aliases_by_version: dict[str, list[str]] = {}
    for alias, version in model.aliases.items():
        aliases_by_version.setdefault(version, []).append(alias)
    versions = [
        VersionSummary(
            version=v.version,
            created_at=v.created_at.isoformat(timespec="seconds"),
            outcome_only=v.outcome_only,
            aliases=sorted(aliases_by_version.get(v.version, [])),
            audit_status=v.tags.get(TAG_AUDIT_STATUS),
            audit_at=v.tags.get(TAG_AUDIT_AT),
            audit_policy=v.tags.get(TAG_AUDIT_POLICY),
            audit_run_id=v.tags.get(TAG_AUDIT_RUN_ID),
        )
        for v in registry.list_versions(model.name)
    ]
    return InventoryEntry(
        name=model.name,
        governed=meta is not None,
        purpose=meta.purpose if meta else None,
        risk_tier=meta.risk_tier if meta else None,
        owner=meta.owner if meta else None,
        deployment_status=meta.deployment_status if meta else None,
        metadata=meta.model_dump() if meta else None,
        description=model.description,
        versions=versions,
    )


def model_inventory(*, tracking_uri: str | None = None) -> list[InventoryEntry]:
    """Every registered model with its governance status and each version's last audit.

    Models registered in MLflow without govern metadata are included as ungoverned, so nothing
    slips past the register.

    Examples
    --------
    >>> [(e.name, e.status) for e in model_inventory()]  # doctest: +SKIP
    [('cv-screening', 'governed'), ('legacy-ranker', 'UNGOVERNED')]
    """
    registry = Registry(tracking_uri, read_only=True)
    return [_entry(registry, model) for model in registry.list_models()]


def describe_model(name: str, *, tracking_uri: str | None = None) -> InventoryEntry:
    """The inventory entry of one model; RegistryError naming it when absent.

    Examples
    --------
    >>> describe_model("cv-screening").risk_tier  # doctest: +SKIP
    'high'
    """
    registry = Registry(tracking_uri, read_only=True)
    return _entry(registry, registry.get_model(name))


def log_sklearn_model(
    model: Any,
    *,
    input_example: Any = None,
    experiment: str = "govern-training",
    run_name: str = "train",
    tracking_uri: str | None = None,
) -> str:
    """Log a fitted scikit-learn model as an MLflow model and return its model URI.

    The training run is opened through :meth:`Registry.run`, so a failure marks it FAILED.

    Examples
    --------
    >>> uri = log_sklearn_model(fitted_pipeline, input_example=X.head())  # doctest: +SKIP
    >>> register_model("cv-screening", model_uri=uri, metadata=meta)  # doctest: +SKIP
    """
    registry = Registry(tracking_uri)
    mlflow = registry.mlflow
    # log_model prints environment-inference chatter straight to stderr; keep it quiet.
    with (
        registry.run(experiment, run_name=run_name) as run,
        registry._translate(),
        contextlib.redirect_stderr(io.StringIO()),
        mlflow.start_run(run_id=run.run_id),
    ):
        info = mlflow.sklearn.log_model(model, name="model", input_example=input_example)
    return str(info.model_uri)
