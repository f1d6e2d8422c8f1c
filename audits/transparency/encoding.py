"""One numeric encoding of the inputs, shared by the combined proxy classifier and the nearest
neighbours of the consistency measure: text and category inputs one-hot (the rarest levels
pooled), numbers standardised with missing values set to the median and flagged.

Standardising puts every number on the same scale (one standard deviation), so no input
dominates a distance or a penalised fit merely because of its units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Levels beyond the most frequent ones are pooled into one "infrequent" column, so that an
# identifier-like input cannot blow the design matrix up to one column per person.
MAX_LEVELS = 50


def numeric_columns(frame: pd.DataFrame, features: Sequence[str]) -> list[str]:
    """The inputs with a numeric (not boolean) dtype; the rest are encoded as categories."""
    import pandas as pd

    return [
        f
        for f in features
        if pd.api.types.is_numeric_dtype(frame[f]) and not pd.api.types.is_bool_dtype(frame[f])
    ]


def input_encoder(frame: pd.DataFrame, features: Sequence[str]) -> Any:
    """An unfitted scikit-learn transformer from the ``features`` columns to numbers.

    Each input is its own step, so :func:`feature_blocks` can tell which output columns came
    from which input (shuffling an input's rows is shuffling the rows of its block).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"area": ["a", "b", "a"], "age": [20.0, None, 40.0]})
    >>> input_encoder(frame, ["area", "age"]).fit_transform(frame).shape
    (3, 4)
    """
    from sklearn.compose import ColumnTransformer

    numbers = set(numeric_columns(frame, features))
    steps = [
        (_step(index), _number_encoder() if feature in numbers else _category_encoder(), [feature])
        for index, feature in enumerate(features)
    ]
    return ColumnTransformer(steps, sparse_threshold=0.0)


def feature_blocks(encoder: Any, features: Sequence[str]) -> dict[str, slice]:
    """The output columns of each input in a fitted :func:`input_encoder`."""
    return {
        feature: encoder.output_indices_[_step(index)] for index, feature in enumerate(features)
    }


def _step(index: int) -> str:
    return f"input_{index}"


def _category_encoder() -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    return make_pipeline(
        FunctionTransformer(_as_text, feature_names_out="one-to-one"),
        OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=MAX_LEVELS, sparse_output=False
        ),
    )


def _number_encoder() -> Any:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
    )


def _as_text(values: Any) -> Any:
    """Categories as strings, missing values as a category of their own."""
    import pandas as pd

    frame = pd.DataFrame(values)
    return frame.astype("string").fillna("<missing>").astype(object).to_numpy()


@dataclass(frozen=True)
class EncodedInputs:
    """The encoded inputs of some people, and which columns came from which input."""

    matrix: np.ndarray
    blocks: dict[str, slice]

    def columns(self, features: Sequence[str]) -> np.ndarray:
        """The matrix's column positions that encode ``features``."""
        import numpy as np

        spans = [np.arange(self.matrix.shape[1])[self.blocks[f]] for f in features]
        return np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)


def encode_inputs(frame: pd.DataFrame, features: Sequence[str]) -> EncodedInputs:
    """Fit :func:`input_encoder` on ``frame`` and encode it.

    The encoding uses no outcome or attribute, so fitting it once on everyone (rather than in
    each cross-validation fold) leaks nothing a classifier could exploit, and saves the cost.

    Examples
    --------
    >>> import pandas as pd
    >>> encoded = encode_inputs(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]}), ["a", "b"])
    >>> encoded.matrix.shape, encoded.columns(["b"]).tolist()
    ((2, 3), [2])
    """
    import numpy as np

    encoder = input_encoder(frame, features)
    matrix = np.asarray(encoder.fit_transform(frame[list(features)]), dtype=float)
    return EncodedInputs(matrix=matrix, blocks=feature_blocks(encoder, features))
