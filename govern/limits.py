"""Bounds on what govern will read or compute, so that no input can exhaust memory or time.

Every bound has a default that no real file or audit comes near, and each can be changed under
``limits:`` in ``govern.yaml`` (see :mod:`govern.settings` and ``docs/limits.md``)::

    limits:
      yaml_max_bytes: 1048576   # policies, waivers, metadata, model cards, govern.yaml
      yaml_max_depth: 64        # nesting of mappings and lists in those files
      yaml_max_nodes: 200000    # values in one file, aliases expanded
      max_bootstrap: 10000      # bootstrap replicates (--bootstrap, a policy's n_boot)
      max_groups: 10000         # distinct groups in one sensitive attribute

A value over a bound is bad input (exit 2) with a message that names the bound and the setting.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from govern.errors import BadInputError

MSG_TOO_MANY_REPLICATES = (
    "{where}{n_boot} bootstrap replicates is over the limit of {limit} (limits.max_bootstrap in "
    "govern.yaml): more replicates do not make intervals meaningfully more precise, and each "
    "costs memory for every group. Use at most {limit}, for example 1000."
)


@dataclass(frozen=True)
class Limits:
    """The bounds in force; :data:`DEFAULT_LIMITS` unless ``govern.yaml`` changes them.

    Attributes
    ----------
    yaml_max_bytes : int
        Largest YAML file read (policies, waivers, metadata, model cards, ``govern.yaml``).
    yaml_max_depth : int
        Deepest nesting of mappings and lists in such a file.
    yaml_max_nodes : int
        Most values in one such file, counting every use of an alias.
    max_bootstrap : int
        Most bootstrap replicates an audit may ask for.
    max_groups : int
        Most distinct groups (values) one sensitive attribute may have.

    Examples
    --------
    >>> DEFAULT_LIMITS.max_bootstrap
    10000
    """

    yaml_max_bytes: int = 1_048_576
    yaml_max_depth: int = 64
    yaml_max_nodes: int = 200_000
    max_bootstrap: int = 10_000
    max_groups: int = 10_000


DEFAULT_LIMITS = Limits()
LIMIT_NAMES: tuple[str, ...] = tuple(item.name for item in fields(Limits))


def check_bootstrap(n_boot: int, limits: Limits = DEFAULT_LIMITS, *, where: str = "") -> int:
    """Return ``n_boot`` when it is within ``limits.max_bootstrap``; BadInputError otherwise.

    Examples
    --------
    >>> check_bootstrap(1000)
    1000
    """
    if n_boot > limits.max_bootstrap:
        raise BadInputError(
            MSG_TOO_MANY_REPLICATES.format(where=where, n_boot=n_boot, limit=limits.max_bootstrap)
        )
    return n_boot
