"""'Did you mean ...?' hints for misspelt names in messages (keys, metrics, packs, rules)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string.

    Examples
    --------
    >>> did_you_mean("impact_raito", {"impact_ratio", "selection_rate"})
    " (did you mean 'impact_ratio'?)"
    """
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
