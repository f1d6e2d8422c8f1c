"""Audit a file of decisions with no register: an ethics officer's audit of a vendor tool.

:func:`audit_data` measures group fairness of recorded decisions and, with a policy, judges it
with the same gatherers, evaluator and reports as ``govern audit run``: the same verdicts,
``audit.json`` and report, and the same exit codes at the command line. Nothing is recorded in
MLflow or the trail (there is no registered model to record it against).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError

if TYPE_CHECKING:
    import pandas as pd

    from govern.policies import Policy, Waiver
    from govern.results import AuditResult
    from govern.services.gathering import AuditInputs

MSG_SETTING_FROM_POLICY = (
    "{options} cannot be combined with --policy: the policy's settings decide how an audit "
    "measures, so that the verdicts are the policy's. Remove {them}, or change the policy's "
    "settings."
)


@dataclass(frozen=True)
class Measurement:
    """How to measure when no policy is given (a policy's own settings replace these)."""

    n_boot: int | None = None
    min_group_size: float | None = None
    exclude_below_share: float | None = None
    alpha: float | None = None
    confidence_level: float | None = None
    reference: str | None = None

    def given(self) -> list[str]:
        return [name for name, value in vars(self).items() if value is not None]

    def options(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


def _measure_only(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    roles: dict[str, Any],
    intersections: bool,
    measurement: Measurement,
    seed: int,
    engine: str = "pandas",
) -> AuditResult:
    """The evidence of a data-only audit with no policy (the figures, no verdict)."""
    from govern import __version__
    from govern.audits.fairness import audit_fairness
    from govern.data import EvaluationData
    from govern.evidence import Evidence
    from govern.results import AuditResult

    options = {"intersections": intersections, "seed": seed, **measurement.options()}
    if engine != "pandas":
        # DuckDB or Spark reads the data where it is (files larger than memory, globs,
        # folders); the fingerprint is the one that engine computed, and says so.
        from govern.audits.sources.choose import RecordingSource, open_source

        source = RecordingSource(open_source(data, engine))
        fairness = audit_fairness(source, **roles, **options)
        fingerprint = source.fingerprint()
    else:
        if isinstance(data, str | os.PathLike):
            evaluation = EvaluationData.load(data, **roles)  # reads only the named columns
        else:
            evaluation = EvaluationData.from_frame(data, **roles)
        fairness = audit_fairness(evaluation, **options)
        fingerprint = evaluation.fingerprint()
    return AuditResult(
        govern_version=__version__,
        created_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        data=fingerprint,
        evidence=Evidence.of(fairness),
    )


def audit_data(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    y_pred: str,
    sensitive: Sequence[str] | str,
    policy: Policy | str | os.PathLike[str] | None = None,
    y_true: str | None = None,
    score: str | None = None,
    sample_weight: str | None = None,
    positive_label: Any = 1,
    intersections: bool = False,
    measurement: Measurement | None = None,
    seed: int = 0,
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    card: str | os.PathLike[str] | None = None,
    model_name: str | None = None,
    today: dt.date | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    engine: str = "auto",
    gatherer_options: dict[str, Any] | None = None,
) -> AuditResult:
    """Audit decisions in a file or DataFrame; with ``policy``, judge them against it.

    Without a policy the result holds the fairness evidence and no verdict (``status`` is
    ``no_policy``). With one, the policy's settings decide how to measure (a ``measurement``
    that sets any option is refused), the gatherers of ``govern audit run`` collect what the
    data can show, ``card`` supplies the documentation, and rules about the register and the
    process have no evidence here, so they are ``insufficient_data``. ``out_dir`` receives
    ``audit.json`` and the report (checked before any work). ``engine`` chooses who builds the
    fairness table (:mod:`govern.audits.sources.choose`); without a policy DuckDB and Spark read
    the data where it is, with one the data is read into memory for the other gatherers.
    With a policy, ``gatherer_options`` are the inputs of further gatherers
    (``AuditInputs.options``, e.g. an oversight audit's roles).

    Examples
    --------
    >>> result = audit_data("vendor-decisions.csv", policy="eeoc-four-fifths",
    ...                     y_pred="shortlisted", sensitive="sex")  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'pass'
    """
    from govern.disclosure import redact
    from govern.services import audit as steps

    steps.check_seed(seed)
    measurement = measurement or Measurement()
    out = steps.output_folder(out_dir)
    columns = steps.sensitive_columns(sensitive, None, model_name or "the decisions")
    roles = {"y_pred": y_pred, "sensitive": columns, "y_true": y_true, "score": score,
             "sample_weight": sample_weight, "positive_label": positive_label}  # fmt: skip
    chosen = steps.engine_for(engine, data)
    if policy is None:
        result = _measure_only(
            data, roles=roles, intersections=intersections, measurement=measurement, seed=seed,
            engine=chosen,
        )  # fmt: skip
        the_card = None
    else:
        given = measurement.given()
        if given:
            options = ", ".join(f"--{name.replace('_', '-')}" for name in given)
            them = "it" if len(given) == 1 else "them"
            raise BadInputError(MSG_SETTING_FROM_POLICY.format(options=options, them=them))
        the_card = load_card_file(card)
        result = _judge_data(
            data, roles, policy=policy, waivers=waivers, card=the_card, model_name=model_name,
            today=today, seed=seed, engine=chosen, options=gatherer_options,
        )  # fmt: skip
    result = redact(result)  # what leaves govern is the published form of the audit
    if out is not None:
        out.write(steps.render_reports(result, the_card))
    return result


def load_card_file(card: str | os.PathLike[str] | None) -> Any:
    if card is None:
        return None
    from govern.model_cards.card import load_model_card

    return load_model_card(card)


def _judge_data(
    data: pd.DataFrame | str | os.PathLike[str],
    roles: dict[str, Any],
    *,
    policy: Policy | str | os.PathLike[str],
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None,
    card: Any,
    model_name: str | None,
    today: dt.date | None,
    seed: int,
    engine: str,
    options: dict[str, Any] | None = None,
) -> AuditResult:
    from govern.services import audit as steps

    the_policy, _ = steps.load_policy_source(policy)
    the_waivers = steps.load_waivers_source(waivers)
    frame, source = steps.read_frame(data)
    inputs = steps.audit_inputs(
        frame,
        policy=the_policy,
        source=source,
        seed=seed,
        options={"engine": engine, **(options or {})},
        **roles,
    )
    return judge_inputs(inputs, waivers=the_waivers, card=card, model_name=model_name, today=today)


def judge_inputs(
    inputs: AuditInputs,
    *,
    waivers: list[Waiver],
    card: Any,
    model_name: str | None,
    today: dt.date | None,
) -> AuditResult:
    """Gather and judge the evidence of prepared inputs, with no register (decisions, or a
    recommendation log: :mod:`govern.services.recommendations`)."""
    from govern.evidence.process import ProcessEvidence
    from govern.results import ModelRef
    from govern.services import audit as steps

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # What a data audit knows of the process: that this audit happens now; sign-off is the
    # gate's, and nothing was read from a register.
    process = ProcessEvidence(last_audit_at=now, approvals=None, register_read=False)
    evidence = steps.gathered(inputs).with_parts(
        steps.documentation_evidence(card, on_record=False), process
    )
    return steps.judged(
        evidence,
        inputs,
        waivers=waivers,
        today=today or now.date(),
        now=now,
        model=ModelRef(name=model_name) if model_name else None,
    )
