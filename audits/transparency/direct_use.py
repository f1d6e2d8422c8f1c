"""Direct use: which sensitive attributes the model takes as inputs, under any name.

An input counts as direct use of an attribute when

- it **is** the attribute (the same name, ignoring case);
- its **name** contains the attribute's name as whole words (``ethnicity_code``, ``Sex``);
- its **values copy** the attribute: on the audit data each of its values goes with one group
  and each group with one of its values, for at least 99% of people (a renamed or recoded copy
  such as ``group`` holding ``1`` for every woman);
- a feature the model's pipeline builds is named after the attribute (``onehot__sex_female``)
  when the attribute was not already found among the inputs.

The inputs are read from the fitted model's feature names, the MLflow signature, or the columns
the model is fed, and the evidence says which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from govern.audits.transparency.associations import category_codes, contingency
from govern.evidence.transparency import DirectUse

if TYPE_CHECKING:
    import pandas as pd

# Share of people for whom an input's value and the attribute's group match one to one, from
# which the input is taken to be a copy of the attribute (a little slack for data-entry noise).
COPY_AGREEMENT = 0.99
# An input with more distinct values than this is not examined as a copy (an identifier or a
# measurement cannot be a relabelled group), nor is a column on fewer people than this (on a
# handful of rows any two-valued column lines up with a two-group attribute by chance).
MAX_COPY_LEVELS = 200
MIN_COPY_PEOPLE = 30

DETAIL_IS = "input '{input}' is the sensitive attribute {attribute}"
DETAIL_NAME = "input '{input}' is named after the sensitive attribute {attribute}"
DETAIL_COPY = (
    "input '{input}' holds the same information as {attribute}: its values and the groups "
    "match one to one for {agreement:.1%} of people"
)
DETAIL_ENCODED = "the model's pipeline builds feature '{input}' from {attribute}"

_WORD = re.compile(r"[^0-9a-z]+")


def _words(name: str) -> list[str]:
    return [word for word in _WORD.split(name.casefold()) if word]


def _named_after(name: str, attribute: str) -> bool:
    words, wanted = _words(name), _words(attribute)
    if not wanted:
        return False
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words)))


def copy_agreement(values: pd.Series, attribute: pd.Series) -> float:
    """How far ``values`` and ``attribute`` determine each other, 0 to 1 (people with either
    missing are left out): the smaller of the two shares explained by the best mapping.

    Examples
    --------
    >>> import pandas as pd
    >>> copy_agreement(pd.Series([1, 1, 0, 0] * 10), pd.Series(list("ffmm") * 10))
    1.0
    """
    known = values.notna().to_numpy() & attribute.notna().to_numpy()
    if known.sum() < MIN_COPY_PEOPLE:
        return 0.0
    a, ka = category_codes(values[known])
    b, kb = category_codes(attribute[known])
    if ka < 2 or kb < 2 or ka > MAX_COPY_LEVELS:
        return 0.0
    table = contingency(a, ka, b, kb)
    n = table.sum()
    return float(min(table.max(axis=1).sum(), table.max(axis=0).sum()) / n)


def pipeline_feature_names(predictor: Any) -> list[str] | None:
    """The names of the features a scikit-learn pipeline feeds its final estimator, if known."""
    steps = getattr(predictor, "steps", None)
    if not steps or len(steps) < 2:
        return None
    try:
        return [str(name) for name in predictor[:-1].get_feature_names_out()]
    except Exception:  # a step without feature names: the pipeline's features stay unknown
        return None


def direct_use(
    data: pd.DataFrame,
    *,
    inputs: Sequence[str],
    sensitive: Sequence[str],
    source: str,
    predictor: Any = None,
) -> list[DirectUse]:
    """Every input that is, is named after, or copies a sensitive attribute.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"Sex": list("fm"), "sex": list("fm"), "score": [1, 2]})
    >>> [u.reason for u in direct_use(frame, inputs=["Sex", "score"], sensitive=["sex"],
    ...                               source="the columns fed")]
    ['is_attribute']
    """
    found: list[DirectUse] = []
    for attribute in sensitive:
        for name in inputs:
            use = _input_use(data, name, attribute, source)
            if use is not None:
                found.append(use)
        if not any(u.attribute == attribute for u in found):
            found += _encoded_use(predictor, attribute)
    return found


def _input_use(data: pd.DataFrame, name: str, attribute: str, source: str) -> DirectUse | None:
    if name.casefold() == attribute.casefold():
        return DirectUse(
            input=name,
            attribute=attribute,
            reason="is_attribute",
            source=source,
            detail=DETAIL_IS.format(input=name, attribute=attribute),
        )
    if _named_after(name, attribute):
        return DirectUse(
            input=name,
            attribute=attribute,
            reason="name_matches",
            source=source,
            detail=DETAIL_NAME.format(input=name, attribute=attribute),
        )
    if name in data.columns and attribute in data.columns:
        agreement = copy_agreement(data[name], data[attribute])
        if agreement >= COPY_AGREEMENT:
            return DirectUse(
                input=name,
                attribute=attribute,
                reason="copies_values",
                source=source,
                detail=DETAIL_COPY.format(input=name, attribute=attribute, agreement=agreement),
            )
    return None


def _encoded_use(predictor: Any, attribute: str) -> list[DirectUse]:
    names = pipeline_feature_names(predictor) or []
    return [
        DirectUse(
            input=name,
            attribute=attribute,
            reason="encoded_feature",
            source="the pipeline's feature names",
            detail=DETAIL_ENCODED.format(input=name, attribute=attribute),
        )
        for name in names
        if _named_after(name, attribute)
    ]
