"""Model cards: the schema, YAML loading with positions, and the documentation-field contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_helpers import make_audit

from govern.errors import BadInputError
from govern.evidence.fairness import FairnessEvidence
from govern.model_cards.card import (
    CARD_NOT_FOUND,
    ModelCard,
    ModelDetails,
    load_model_card,
)
from govern.policies.fields import DOCUMENTATION_FIELDS
from govern.results import INTERSECTION_SEPARATOR
from govern.yaml_loader import MSG_BAD_TAG, MSG_BAD_YAML, MSG_NOT_MAPPING

FIXTURE = Path(__file__).parent / "fixtures" / "cards" / "cv_screening.yaml"

# Keys a card can produce that are governance extras, beyond the policy vocabulary.
EXTRA_KEYS = {
    "model_details.name",
    "model_details.model_type",
    "model_details.date",
    "model_details.licence",
    "model_details.supplier",
    "factors.instrumentation",
    "factors.environment",
    "metrics.decision_thresholds",
    "evaluation_data.preprocessing",
    "training_data.description",
    "logging.retention",
    "risk_management.risk_tier",
    "accountability.accountable_executive",
    "accountability.contact",
}


def _full_card() -> ModelCard:
    """A card with every text field filled, built from the schema itself."""
    data: dict[str, object] = {}
    for name, field in ModelCard.model_fields.items():
        annotation = field.annotation
        if (
            isinstance(annotation, type)
            and issubclass(annotation, ModelDetails | object)
            and (hasattr(annotation, "model_fields"))
        ):
            section: dict[str, object] = {}
            for sub, sub_field in annotation.model_fields.items():
                if sub_field.annotation is str:
                    section[sub] = f"text of {name}.{sub}"
                elif sub == "groups":
                    section[sub] = ["sex", "ethnicity"]
            data[name] = section
        else:
            data[name] = f"text of {name}"
    return ModelCard.model_validate(data)


def test_every_policy_documentation_field_can_be_filled_by_a_card() -> None:
    fields = _full_card().documentation_fields()
    missing = set(DOCUMENTATION_FIELDS) - set(fields)
    assert not missing, f"the card cannot document {sorted(missing)}"
    assert set(fields) - set(DOCUMENTATION_FIELDS) == EXTRA_KEYS


def test_documentation_fields_flatten_and_skip_empty() -> None:
    card = load_model_card(FIXTURE)
    fields = card.documentation_fields()
    assert fields["intended_use.primary_uses"].startswith("Ordering applications")
    assert fields["factors.groups"] == "sex; ethnicity; age band; disability"
    assert fields["accountability.appeal_route"].endswith("within 28 days.")
    assert "logging.description" not in fields  # not written in the YAML
    assert "privacy.data_protection" not in fields
    evidence = card.documentation_evidence()
    assert evidence.fields == fields


def test_with_fairness_keeps_aggregates_and_drops_small_groups() -> None:
    audit = make_audit()
    assert audit.evidence.get(FairnessEvidence) is not None
    card = load_model_card(FIXTURE).with_fairness(
        audit.evidence.get(FairnessEvidence), disclosure=audit.disclosure
    )
    analysis = card.quantitative_analysis
    # The small group, and the next smallest so that the first cannot be worked out.
    assert analysis.suppressed_groups == [
        ("sex & ethnicity", "female & other"),
        ("sex & ethnicity", "male & other"),
    ]
    assert all(INTERSECTION_SEPARATOR not in r.attribute for r in analysis.unitary)
    assert {r.attribute for r in analysis.intersectional} == {"sex & ethnicity"}
    assert all(r.group not in ("male & other", "female & other") for r in analysis.intersectional)
    kept = len(analysis.unitary) + len(analysis.intersectional)
    assert kept == len(audit.evidence.get(FairnessEvidence).metrics) - 2
    # measured tables are evidence, not documentation
    assert "quantitative_analysis.unitary" not in card.documentation_fields()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as error:
        load_model_card(tmp_path / "nope.yaml")
    assert str(error.value) == CARD_NOT_FOUND.format(path=tmp_path / "nope.yaml")


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    source = tmp_path / "card.yaml"
    source.write_text("model_details:\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(BadInputError) as error:
        load_model_card(source)
    assert str(error.value) == MSG_BAD_YAML.format(
        file=source, line=3, col=1, problem="expected ',' or ']', but got '<stream end>'"
    )


def test_not_a_mapping(tmp_path: Path) -> None:
    source = tmp_path / "card.yaml"
    source.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(BadInputError) as error:
        load_model_card(source)
    assert str(error.value) == MSG_NOT_MAPPING.format(file=source, line=1, col=1, found="a list")


def test_every_bad_field_is_reported_with_its_position(tmp_path: Path) -> None:
    source = tmp_path / "card.yaml"
    source.write_text(
        "model_details:\n"
        "  name: screening\n"
        "  ownr: HR\n"
        "intended_use:\n"
        "  primary_uses: [not, a, string]\n"
        "factors:\n"
        "  groups: sex\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInputError) as error:
        load_model_card(source)
    assert str(error.value) == (
        f"{source}: the model card has 3 problem(s):\n"
        f"  {source}:3:3: model_details.ownr: unknown key; check its spelling against the "
        "model-card sections\n"
        f"  {source}:5:17: intended_use.primary_uses: Input should be a valid string\n"
        f"  {source}:7:11: factors.groups: Input should be a valid list"
    )


def test_missing_name_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "card.yaml"
    source.write_text("model_details:\n  owner: HR\n", encoding="utf-8")
    with pytest.raises(BadInputError) as error:
        load_model_card(source)
    assert str(error.value) == (
        f"{source}: the model card has 1 problem(s):\n"
        f"  {source}:2:3: model_details.name: Field required"
    )


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    source = tmp_path / "card.yaml"
    source.write_text("model_details: !!python/object/apply:os.system ['true']\n", "utf-8")
    with pytest.raises(BadInputError) as error:
        load_model_card(source)
    assert str(error.value) == MSG_BAD_TAG.format(
        file=source,
        line=1,
        col=16,
        path="model_details",
        tag="!!python/object/apply:os.system",
        kind="model card",
    )


@pytest.mark.parametrize(
    "module",
    [
        "govern.model_cards.card",
        "govern.model_cards.charts",
        "govern.model_cards.render",
        "govern.model_cards.format",
        "govern.model_cards.summary",
        "govern.model_cards.glossary",
        "govern.model_cards.card_page",
        "govern.model_cards.register_page",
        "govern.model_cards.panel_charts",
        "govern.model_cards.history_chart",
        "govern.services.documents",
        "govern.metadata",
        "govern.evidence.transparency",
        "govern.datasets",
        "govern.datasets.recruitment",
        "govern.datasets.promotion",
        "govern.datasets.learning",
    ],
)
def test_docstring_examples_run(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import doctest
    import importlib

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=_TEXT.filter(lambda s: s.strip() != ""),
    uses=_TEXT,
    groups=st.lists(_TEXT, max_size=4),
    appeal=_TEXT,
)
def test_card_yaml_round_trip(
    tmp_path: Path, name: str, uses: str, groups: list[str], appeal: str
) -> None:
    import yaml

    card = ModelCard.model_validate(
        {
            "model_details": {"name": name},
            "intended_use": {"primary_uses": uses},
            "factors": {"groups": groups},
            "accountability": {"appeal_route": appeal},
        }
    )
    source = tmp_path / "card.yaml"
    dumped = card.model_dump(exclude_defaults=True)
    source.write_text(yaml.safe_dump(dumped, allow_unicode=True), encoding="utf-8")
    assert load_model_card(source) == card
