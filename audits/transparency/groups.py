"""Which groups' figures the transparency audit measures and publishes.

A group is measured when it has at least the minimum number of people (the larger of the
policy's ``min_group_size`` and its disclosure size): fewer make the figure noise, and their
count must not be published. Group counts are published with the measured groups' figures, so
when exactly one group falls short, the next smallest is withheld too; otherwise the small
group's count would follow from the total minus the others (complementary suppression, as
:mod:`govern.disclosure` does for the fairness tables).
"""

from __future__ import annotations

from collections.abc import Mapping


def measured_groups(counts: Mapping[str, int], min_size: int) -> tuple[list[str], list[str]]:
    """(groups measured, groups withheld), each sorted by name.

    Examples
    --------
    >>> measured_groups({"a": 500, "b": 40, "c": 8}, 30)
    (['a'], ['b', 'c'])
    >>> measured_groups({"a": 500, "b": 40, "c": 8, "d": 7}, 30)
    (['a', 'b'], ['c', 'd'])
    """
    large = {g: n for g, n in counts.items() if n >= min_size}
    withheld = [g for g in counts if g not in large]
    if len(withheld) == 1 and large:
        smallest = min(large, key=lambda g: (large[g], g))
        withheld.append(smallest)
        del large[smallest]
    return sorted(large), sorted(withheld)
