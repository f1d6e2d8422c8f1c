"""The per-user reduction of a recommendation log: the data-source step of ranking audits.

A recommendation log has one row per (user, recommended item): the user's id and sensitive
attributes, the item's category and, for talent lists, the candidate's own group, the item's
rank in the user's list and optionally an outcome (clicked, enrolled, hired, qualified). The
rows of one user are not independent records: they are one list. So a source does not hand the
ranking audit a contingency table of rows but a :class:`UserTable`, **one row per user (one
list)** holding the user's groups and the few statistics every ranking metric is a sum of. The
audit then resamples users, never rows, and never sees the log again; on pandas, DuckDB or
Spark only this step differs.

A source implements :class:`RankingSource`, one method::

    class MyWarehouseSource:
        engine = "warehouse"

        def user_table(self, roles: RankingRoles) -> UserTable: ...

Rules every source follows (``tests/ranking_source_contract.py`` holds a source to the pandas
source's table, to a hand-computed log, and to its refusals of bad input). ``n`` is the number
of users, ``C`` the number of categories audited, ``G`` the number of item groups; every array
is a numpy array; "top k" means ``rank <= k``.

1. **Columns and refusals**: only the columns the roles name are read. A
   :class:`govern.errors.DataError` with the messages below (and those of :mod:`govern.data`
   for columns and missing values), checked in this order so that every source reports the
   same first problem: the roles (:func:`check_ranking_roles`); a named column the data lacks
   (naming the available columns, in the data's order, and the closest match) or named for two
   roles; an empty log; a missing user id; a missing or non-numeric rank, or one that is not a
   whole number of at least 1 (``3.0`` is read as 3; the count and the first such row); two
   rows for one (user, rank) (the first row in row order that shares its pair, and the next one
   with it); a missing item category, a category to audit that the log does not hold, more than
   :data:`MAX_CATEGORIES` categories with none chosen; an outcome that is not binary for the
   positive label; a user whose sensitive attribute differs between their rows (their first
   row and the first row, in row order, that differs from it; attributes in role order). Row
   numbers count data rows from 1 in the order the source reads them (a DataFrame's order, a
   file's from its start; DuckDB and Spark number the rows in a query run only to refuse).
2. **Users** are the distinct values of the user column (compared as the text of the value,
   as group labels are); the rows of the table may come in any order, since nothing in the
   audit depends on it. A user's list is every row of the log with their id; a list may be
   longer than ``k`` (a full ranking, of which the top ``k`` is shown) or shorter, and ranks
   need not be contiguous.
3. **Group labels** of the users' attributes and of the item attribute follow the contingency
   table's rule 3 (:mod:`govern.audits.sources`): the text of each distinct value (``"2"``, not
   ``"2.0"``), sorted as Python sorts strings, a missing value as the group
   :data:`govern.results.UNKNOWN_GROUP`, last. ``codes[attribute]`` holds each user's group
   as an index into ``levels[attribute]``; ``unknown_counts[attribute]`` counts the **users**
   in the unknown group, ``unknown_counts[item attribute]`` the **rows** (items) in it.
4. **Categories** are the text of the category values, sorted; ``categories`` lists the ones
   audited (``roles.categories``, or every category in the log), and column ``j`` of the
   per-category arrays is ``categories[j]``.
5. **Statistics per user** (``u``), with ``v(r) = 1 / log2(1 + r)`` the DCG discount of rank
   ``r`` (Järvelin & Kekäläinen 2002; the exposure of Singh & Joachims 2018):

   - ``n_items[u]``: rows in the list; ``n_top[u]``: rows at rank ``<= k``;
   - ``top_k_count[u, j]``: rows at rank ``<= k`` whose category is ``categories[j]``;
   - ``best_rank[u, j]``: the smallest rank of an item of ``categories[j]`` anywhere in the
     list, 0 when the list holds none;
   - with an outcome: ``hits[u]``, positive outcomes at rank ``<= k``; ``relevant[u]``, positive
     outcomes in the whole list; ``dcg[u] = sum over rows at rank <= k of outcome * v(rank)``;
   - with an item attribute: ``pool[u, g]`` rows of item group ``g`` in the list,
     ``top[u, g]`` those at rank ``<= k``, ``exposure[u, g] = sum of v(rank)`` over those,
     ``merit[u, g]`` (with an outcome) positive outcomes of group ``g`` in the list, and
     ``ndkl[u]``, the normalised discounted KL divergence of the list (Geyik, Ambler &
     Kenthapadi 2019): with the list's rows at rank ``<= k`` in rank order, ``p_i`` the group
     shares among its first ``i`` rows and ``q`` the group shares of the whole list (its pool),
     ``ndkl = sum_i v(i) KL(p_i || q) / sum_i v(i)`` over ``i = 1 .. n_top[u]``, with natural
     logarithms and ``0 log 0 = 0``; 0 for a list with nothing in its top ``k``.

   Counts are integers (``int64``), ``dcg``, ``exposure`` and ``ndkl`` float64. Arrays a role
   does not ask for are ``None`` (no outcome: no ``hits``, ``relevant``, ``dcg``, ``merit``;
   no item attribute: no ``pool``, ``top``, ``exposure``, ``merit``, ``ndkl``; no category
   column: ``top_k_count`` and ``best_rank`` have ``C = 0`` columns).
6. **Fingerprint**: :func:`log_sha256` over the canonical columns in row order, so the same log
   gives the same hash whatever the file format: the labelled columns ``user``,
   ``item_category``, ``item_sensitive`` and ``sensitive:<column>`` (those given, in that order)
   as their labels and one code per row (the users' labels in order of first appearance, the
   others sorted as rule 3 sorts them), then ``rank`` as int64 and ``outcome`` as 0/1 (int8)
   (``fingerprint.method`` ``"rows-sha256"``). A source that cannot read rows in order says so
   with its own ``method``, which names its engine, as rule 6 of :mod:`govern.audits.sources`
   allows: the DuckDB and Spark sources sum their engine's 64-bit hash of each row's audited
   columns (numbers as doubles), the same whatever the row order, file split or partitioning
   (:mod:`govern.audits.sources.sql_ranking`). Fingerprints compare only within a method.

Examples
--------
>>> roles = RankingRoles.of(user="employee_id", rank="rank", k=5, sensitive="sex",
...                         item_category="course_category")
>>> roles.columns
['employee_id', 'rank', 'course_category', 'sex']
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from govern.results import DataFingerprint

# With no category chosen, a log with more categories than this is refused: a table of rates for
# every one of hundreds of values (course ids used as categories, say) cannot be read or judged.
MAX_CATEGORIES = 50

# Messages a user sees (every source raises these; tests assert the exact text). Missing columns
# and missing values use govern.data's UNKNOWN_COLUMN, DUPLICATE_ROLE and MISSING_VALUES.
BAD_K = (
    "k must be a whole number of at least 1; got {k!r}. k is how much of the top of each list "
    "is audited (for example --k 5)."
)
NOTHING_TO_COMPARE = (
    "nothing to compare: name the users' sensitive attributes (--sensitive) to compare groups of "
    "users, the items' attribute (--item-sensitive) to compare groups of items such as "
    "candidates, or both."
)
CATEGORY_WITHOUT_COLUMN = (
    "categories to audit ({categories}) were given but no item_category column: name the column "
    "holding each item's category (--item-category)."
)
CATEGORY_NEEDS_USERS = (
    "item_category column {column!r} is given but no sensitive attribute of the users: category "
    "rates are compared between groups of users, so name their attributes with --sensitive."
)
RANK_NOT_NUMERIC = (
    "rank column {column!r} in {source} is not numeric: found {found}. Ranks are the positions "
    "1, 2, 3, ... of the items in each user's list."
)
RANK_NOT_POSITION = (
    "rank column {column!r} in {source} has {count} value(s) that are not whole numbers of at "
    "least 1 (first at row {row}: {value}). Ranks are the positions 1, 2, 3, ... of the items in "
    "each user's list."
)
DUPLICATE_POSITION = (
    "{source} has two rows for user {user!r} at rank {rank} (rows {first} and {second}); each "
    "position of a list holds one item. Remove the duplicate or fix the ranks."
)
ATTRIBUTE_VARIES = (
    "sensitive column {column!r} in {source} gives user {user!r} two values, {first_value!r} "
    "(row {first}) and {second_value!r} (row {second}); a user's attributes must be the same on "
    "every row of their list."
)
UNKNOWN_CATEGORY = (
    "category {category!r} does not occur in item_category column {column!r} of {source}.{hint} "
    "The categories are: {available}."
)
TOO_MANY_CATEGORIES = (
    "item_category column {column!r} in {source} has {count} distinct values; name the "
    "categories to audit with --category (with none named, at most {limit} are audited)."
)


@dataclass(frozen=True)
class RankingRoles:
    """Which column of a recommendation log plays which part, and the ``k`` of the top k."""

    user: str
    rank: str
    k: int
    sensitive: tuple[str, ...] = ()
    item_category: str | None = None
    categories: tuple[str, ...] | None = None
    item_sensitive: str | None = None
    outcome: str | None = None
    positive_label: Any = 1

    @classmethod
    def of(
        cls,
        *,
        user: str,
        rank: str,
        k: int,
        sensitive: Sequence[str] | str = (),
        item_category: str | None = None,
        categories: Sequence[str] | str | None = None,
        item_sensitive: str | None = None,
        outcome: str | None = None,
        positive_label: Any = 1,
    ) -> RankingRoles:
        names = (sensitive,) if isinstance(sensitive, str) else tuple(sensitive)
        chosen = (categories,) if isinstance(categories, str) else categories
        return cls(
            user=user,
            rank=rank,
            k=k,
            sensitive=names,
            item_category=item_category,
            categories=None if chosen is None else tuple(str(c) for c in chosen),
            item_sensitive=item_sensitive,
            outcome=outcome,
            positive_label=positive_label,
        )

    def role_columns(self) -> list[tuple[str, str]]:
        """(role, column) pairs in the order they are checked and reported."""
        pairs = [("user", self.user), ("rank", self.rank)]
        if self.item_category is not None:
            pairs.append(("item_category", self.item_category))
        if self.item_sensitive is not None:
            pairs.append(("item_sensitive", self.item_sensitive))
        if self.outcome is not None:
            pairs.append(("outcome", self.outcome))
        pairs += [("sensitive", column) for column in self.sensitive]
        return pairs

    @property
    def columns(self) -> list[str]:
        """Every column the roles name, each once, in role order."""
        return list(dict.fromkeys(column for _, column in self.role_columns()))


@dataclass(frozen=True)
class UserTable:
    """One row per user (one list): their groups and the statistics of rule 5 above."""

    k: int
    n_rows: int
    n_users: int
    codes: dict[str, np.ndarray]
    levels: dict[str, tuple[str, ...]]
    unknown_counts: dict[str, int]
    n_items: np.ndarray
    n_top: np.ndarray
    categories: tuple[str, ...]
    top_k_count: np.ndarray
    best_rank: np.ndarray
    fingerprint: DataFingerprint
    hits: np.ndarray | None = None
    relevant: np.ndarray | None = None
    dcg: np.ndarray | None = None
    item_attribute: str | None = None
    item_levels: tuple[str, ...] = ()
    pool: np.ndarray | None = None
    top: np.ndarray | None = None
    exposure: np.ndarray | None = None
    merit: np.ndarray | None = None
    ndkl: np.ndarray | None = None
    columns: Mapping[str, str | None] = field(default_factory=dict)
    engine: str = "pandas"

    @property
    def attributes(self) -> list[str]:
        """The users' sensitive attributes, in role order."""
        return list(self.codes)

    @property
    def has_outcome(self) -> bool:
        return self.hits is not None

    @property
    def has_items(self) -> bool:
        return self.pool is not None


def check_ranking_roles(roles: RankingRoles) -> None:
    """Refuse roles that cannot make an audit, before any data is read (DataError).

    Examples
    --------
    >>> from govern.errors import DataError
    >>> try:
    ...     check_ranking_roles(RankingRoles.of(user="u", rank="r", k=0, sensitive="sex"))
    ... except DataError as error:
    ...     print(str(error).split(";")[0])
    k must be a whole number of at least 1
    """
    from govern.errors import DataError

    k = roles.k
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DataError(BAD_K.format(k=k))
    if not roles.sensitive and roles.item_sensitive is None:
        raise DataError(NOTHING_TO_COMPARE)
    if roles.categories is not None and roles.item_category is None:
        raise DataError(CATEGORY_WITHOUT_COLUMN.format(categories=", ".join(roles.categories)))
    if roles.item_category is not None and not roles.sensitive:
        raise DataError(CATEGORY_NEEDS_USERS.format(column=roles.item_category))


@runtime_checkable
class RankingSource(Protocol):
    """Anything that turns ranking roles into a :class:`UserTable` (see the module docstring)."""

    engine: str

    def user_table(self, roles: RankingRoles) -> UserTable: ...


def _code_width(n_labels: int) -> str:
    for dtype in (np.int8, np.int16, np.int32):
        if n_labels <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype).newbyteorder("<").str
    return "<i8"


def log_sha256(
    *,
    labelled: Mapping[str, tuple[Sequence[str], np.ndarray]],
    numbers: Mapping[str, tuple[np.ndarray, str]],
    n_rows: int,
) -> str:
    """The fingerprint of a recommendation log: sha256 over its canonical columns in row order.

    ``labelled`` maps a role (``"user"``, ``"item_category"``, ``"sensitive:sex"``, ...) to its
    sorted labels and one code per row; ``numbers`` maps a role (``"rank"``, ``"outcome"``) to its
    values and their canonical dtype (``"<i8"``, ``"<i1"``). Parts are hashed in the order given,
    each with its name and length, so the hash of one log cannot equal another's by shifting
    bytes between parts.

    Examples
    --------
    >>> a = log_sha256(labelled={"user": (["u1", "u2"], np.array([0, 1, 1]))},
    ...                numbers={"rank": (np.array([1, 1, 2]), "<i8")}, n_rows=3)
    >>> b = log_sha256(labelled={"user": (["u1", "u2"], np.array([0, 1, 1], dtype=np.int8))},
    ...                numbers={"rank": (np.array([1.0, 1.0, 2.0]), "<i8")}, n_rows=3)
    >>> a == b
    True
    """
    digest = hashlib.sha256()

    def part(name: str, payload: bytes) -> None:
        digest.update(f"{name}\x1f{len(payload)}\x1e".encode())
        digest.update(payload)

    def array_part(name: str, values: np.ndarray, dtype: str) -> None:
        payload = np.ascontiguousarray(values, dtype=dtype)
        digest.update(f"{name}\x1f{payload.nbytes}\x1f{dtype}\x1e".encode())
        digest.update(payload.data.cast("B"))

    part("kind", b"recommendation_log")
    part("n_rows", str(int(n_rows)).encode())
    for name, (labels, codes) in labelled.items():
        part(f"{name}:levels", "\x1f".join(labels).encode("utf-8"))
        array_part(f"{name}:codes", codes, _code_width(len(labels)))
    for name, (values, dtype) in numbers.items():
        array_part(name, values, dtype)
    return digest.hexdigest()


__all__ = [
    "MAX_CATEGORIES",
    "RankingRoles",
    "RankingSource",
    "UserTable",
    "check_ranking_roles",
    "log_sha256",
]
