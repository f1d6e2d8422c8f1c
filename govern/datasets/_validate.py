"""Checks on the scenario functions' arguments, with messages for the person who typed them."""

from __future__ import annotations

from govern.errors import BadInputError

ROWS_MESSAGE = "{name} must be a whole number of at least 1; got {value!r}. Ask for 1 or more rows."
DISPARITY_MESSAGE = (
    "disparity must be a number in [0, 1) (0 = parity, 0.3 = the disadvantaged groups are "
    "selected at 70% of the others' rate); got {value!r}."
)


def check_rows(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInputError(ROWS_MESSAGE.format(name=name, value=value))


def check_disparity(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise BadInputError(DISPARITY_MESSAGE.format(value=value))
