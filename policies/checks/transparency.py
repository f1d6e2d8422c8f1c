"""The ``transparency`` check kind: what must be known about a model's inputs and explanations.

Reads :class:`govern.evidence.transparency.TransparencyEvidence`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from govern.evidence.transparency import TransparencyEvidence, method_words
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind

MSG_THRESHOLD_NEEDED = "requirement '{requirement}' needs '{key}'; add it"
MSG_THRESHOLD_UNUSED = "'{key}' is only used with requirement '{used_with}'; remove it"


class TransparencyCheck(CheckModel):
    """What must be known about the model's inputs and explanations."""

    kind: Literal["transparency"]
    requirement: Literal["no_sensitive_inputs", "max_proxy_strength", "global_explanation"]
    max_strength: float | None = Field(
        None, ge=0, le=1, description="For max_proxy_strength: the highest allowed strength."
    )

    @model_validator(mode="after")
    def _threshold_matches(self) -> TransparencyCheck:
        if self.requirement == "max_proxy_strength" and self.max_strength is None:
            raise ValueError(
                MSG_THRESHOLD_NEEDED.format(requirement=self.requirement, key="max_strength")
            )
        if self.requirement != "max_proxy_strength" and self.max_strength is not None:
            raise ValueError(
                MSG_THRESHOLD_UNUSED.format(key="max_strength", used_with="max_proxy_strength")
            )
        return self


def _no_sensitive_inputs(info: TransparencyEvidence) -> Finding:
    if info.model_inputs is None:
        return Finding(
            verdict="insufficient_data",
            sentence="The model's inputs are not known (for example a vendor tool), so it cannot "
            "be shown that no sensitive attribute is an input.",
            to_conclude="The list of the model's inputs (its signature, or the supplier's "
            "documentation of the features it reads).",
        )
    common = {"threshold": 0.0, "comparison": "sensitive_inputs <= 0"}
    if info.direct_use is not None:
        found = [(use.input, use.detail) for use in info.direct_use]
    else:  # evidence from before direct use was examined: compare the names only
        sensitive = {name.casefold() for name in info.sensitive_attributes}
        found = [
            (name, f"input '{name}' is a sensitive attribute")
            for name in info.model_inputs
            if name.casefold() in sensitive
        ]
    if found:
        used = list(dict.fromkeys(name for name, _ in found))
        where = f" (read from {info.input_source})" if info.input_source else ""
        return Finding(
            verdict="fail",
            sentence=f"The model reads sensitive attributes as inputs{where}: {say.listing(used)}.",
            value=float(len(used)),
            details=[detail for _, detail in found],
            **common,
        )
    return Finding(
        verdict="pass",
        sentence=f"None of the model's {say.count_words(len(info.model_inputs), 'input')} is, "
        f"is named after or copies a sensitive attribute "
        f"({say.listing(info.sensitive_attributes) or 'none declared'}).",
        value=0.0,
        **common,
    )


def _max_proxy_strength(info: TransparencyEvidence, limit: float) -> Finding:
    common = {"threshold": limit, "comparison": f"proxy_strength <= {limit:g}"}
    if not info.proxies:
        return Finding(
            verdict="insufficient_data",
            sentence="No proxy analysis is in the evidence, so it is not known whether an input "
            "stands in for a sensitive attribute.",
            to_conclude="Audit data holding the model's inputs and the sensitive attributes.",
            **common,
        )
    ranked = sorted(info.proxies, key=lambda p: p.strength, reverse=True)
    top = ranked[0]
    over = [p for p in ranked if p.strength > limit]
    if over:
        also = f"; {say.count_words(len(over) - 1, 'other input')} also" if len(over) > 1 else ""
        return Finding(
            verdict="fail",
            sentence=f"Input '{top.feature}' acts as a proxy for {top.attribute} (strength "
            f"{top.strength:.2f} by {method_words(top.method)}, where 0 is no link and 1 gives "
            f"it away), above the {limit:g} limit{also}.",
            value=top.strength,
            attribute=top.attribute,
            group=top.feature,
            details=[
                f"'{p.feature}' encodes {p.attribute} with strength {p.strength:.2f} "
                f"({method_words(p.method)})"
                for p in over
            ],
            **common,
        )
    return Finding(
        verdict="pass",
        sentence=f"No input is a strong proxy for a sensitive attribute: the strongest is "
        f"'{top.feature}' for {top.attribute} at {top.strength:.2f}, within the {limit:g} limit.",
        value=top.strength,
        attribute=top.attribute,
        group=top.feature,
        **common,
    )


def _global_explanation(info: TransparencyEvidence) -> Finding:
    if not info.global_explanation:
        return Finding(
            verdict="fail",
            sentence="No global explanation of the model is available, so nobody can say which "
            "inputs drive its outputs.",
        )
    top = sorted(info.global_explanation, key=lambda f: abs(f.importance), reverse=True)
    names = [f.feature for f in top[:3]]
    first = top[0]
    if first.ci_low is not None and first.ci_high is not None:
        level = info.settings.get("level")
        level_text = f"{float(level) * 100:g}%" if isinstance(level, int | float) else "95%"
        how = (
            f"; shuffling '{first.feature}' changes {first.importance:.0%} of its decisions "
            f"({level_text} interval {first.ci_low:.0%} to {first.ci_high:.0%})"
        )
    else:
        how = ""
    return Finding(
        verdict="pass",
        sentence=f"A global explanation exists (by {method_words(first.method)}); the most "
        f"influential inputs are {say.listing(names)}{how}.",
    )


def evaluate_transparency(
    check: TransparencyCheck, info: TransparencyEvidence | None, context: RuleContext
) -> Finding:
    assert info is not None  # absence is handled by the evaluator
    if check.requirement == "no_sensitive_inputs":
        return _no_sensitive_inputs(info)
    if check.requirement == "max_proxy_strength":
        assert check.max_strength is not None
        return _max_proxy_strength(info, check.max_strength)
    return _global_explanation(info)


def describe_transparency(check: TransparencyCheck) -> str:
    if check.requirement == "max_proxy_strength":
        return f"max_proxy_strength <= {check.max_strength:g}"
    return check.requirement


KIND: CheckKind[TransparencyCheck, TransparencyEvidence] = register_check_kind(
    CheckKind(
        key="transparency",
        schema=TransparencyCheck,
        evidence=TransparencyEvidence,
        evaluate=evaluate_transparency,
        describe=describe_transparency,
        missing_evidence="No transparency evidence was gathered (the model's inputs, proxies and "
        "explanation), so this rule could not be judged.",
        to_gather="Audit the registered model (govern audit run) on data holding its inputs and "
        "the sensitive attributes.",
        threshold_field="max_strength",
    )
)
