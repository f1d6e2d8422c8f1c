"""The one YAML loader for every file people write for govern, hardened once.

Policies, waivers, governance metadata, model cards and ``govern.yaml`` are all read here, so
they all get the same protection and the same ``file:line:col`` messages:

- **safe**: PyYAML's ``SafeLoader`` builds plain data only, and any explicit tag outside the
  core schema (``!!python/object``, ``!!binary``, a local ``!tag``) is refused, never executed;
- **bounded** (:class:`govern.limits.Limits`): the file's size is checked before it is parsed,
  nesting depth while it is composed, and the number of values (aliases expanded, so an "alias
  bomb" stops) while it is walked;
- **strict about values**: duplicate keys, a second YAML document, impossible dates written
  unquoted (``2027-02-30``), integers too long to read, NaN and infinity, bytes that are not
  UTF-8 and control characters (NUL) are each reported at their position;
- **located**: walking the composed nodes ourselves (rather than ``yaml.safe_load``) keeps each
  node's line and column, so a schema error can point at the line that caused it;
- **discreet**: a message quotes at most a short excerpt of a line (:func:`excerpt`), so
  pointing govern at a file that is not one of its own cannot echo that file into a log.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from govern.errors import BadInputError
from govern.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from pydantic import ValidationError

Path_ = tuple[str | int, ...]

# The longest piece of a file's content any message quotes.
EXCERPT_CHARS = 40

MSG_UNREADABLE = "{file}:1:1: cannot read the file ({reason}); check the path and permissions"
MSG_NOT_REGULAR = (
    "{file}:1:1: not a regular file (a folder, device or pipe); give the path of a YAML file"
)
MSG_TOO_BIG = (
    "{file}:1:1: the file is larger than {limit} bytes, the limit for YAML files "
    "(limits.yaml_max_bytes in govern.yaml); a {kind} file is a few kilobytes, check the path"
)
MSG_NOT_UTF8 = (
    "{file}:{line}:{col}: not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8, or check "
    "that this is the {kind} file you meant"
)
MSG_CONTROL_CHAR = (
    "{file}:{line}:{col}: the file holds the control character U+{code:04X}, which YAML does not "
    "allow; remove it, or check that this is the {kind} file you meant"
)
MSG_BAD_YAML = "{file}:{line}:{col}: not valid YAML: {problem}; fix the syntax at this position"
MSG_BAD_TAG = (
    "{file}:{line}:{col}: {path}: YAML tag {tag} is not allowed; {kind} files hold plain data "
    "only (text, numbers, dates, lists and mappings), remove the tag"
)
MSG_DUPLICATE_KEY = (
    "{file}:{line}:{col}: {path}: key '{key}' appears twice (first at line {first}); "
    "keep one of them"
)
MSG_KEY_NOT_TEXT = "{file}:{line}:{col}: {path}: a key must be text, found {found}; quote it"
MSG_TOO_DEEP = (
    "{file}:{line}:{col}: lists and mappings are nested more than {limit} levels deep "
    "(limits.yaml_max_depth in govern.yaml); a {kind} file needs only a few levels"
)
MSG_TOO_LARGE = (
    "{file}:1:1: the document expands to more than {limit} nodes (aliases?) "
    "(limits.yaml_max_nodes in govern.yaml); write the {kind} out without deep alias nesting"
)
MSG_EMPTY = "{file}:1:1: the file is empty; expected {expected}"
MSG_NOT_MAPPING = "{file}:{line}:{col}: the document is {found}; expected a mapping of keys"
MSG_MULTI_DOC = (
    "{file}:{line}:{col}: a second YAML document starts here; a {kind} file holds one "
    "document, remove this '---' and what follows or move it to a file of its own"
)
MSG_BAD_DATE = (
    "{file}:{line}:{col}: {path}: {found} is not a real date or time ({reason}); write a real "
    "one (YYYY-MM-DD), or quote the value if it is text"
)
MSG_HUGE_INT = (
    "{file}:{line}:{col}: {path}: a whole number of {digits} digits is too long to read; "
    "write a smaller number, or quote the value if it is text"
)
MSG_BAD_SCALAR = (
    "{file}:{line}:{col}: {path}: {found} cannot be read as {tag} ({reason}); "
    "write a valid value, or quote it if it is text"
)
MSG_NOT_FINITE = (
    "{file}:{line}:{col}: {path}: {found} is not a finite number; govern files hold no NaN or "
    "infinity, write a number"
)

_CORE = "tag:yaml.org,2002:"
_DEFAULT_TAGS = {
    f"{_CORE}{name}" for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
}


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, quoted, single-line excerpt of ``text`` for a message.

    Examples
    --------
    >>> excerpt("root:x:0:0:root:/root:/bin/bash and a lot more text", limit=10)
    "'root:x:0:0…'"
    """
    first = text.split("\n", 1)[0]
    cut = first[:limit]
    return repr(cut + "…") if len(cut) < len(text) else repr(cut)


def _short(key: str, limit: int = EXCERPT_CHARS) -> str:
    """A key as it appears inside a message, cut to ``limit`` characters."""
    text = repr(key)[1:-1]
    return text if len(text) <= limit else text[:limit] + "…"


def describe(value: Any) -> str:
    """How a found value is named in messages: ``'text'``, ``0.5``, ``a list``, ``nothing``.

    Examples
    --------
    >>> describe("four-fifths"), describe(None), describe([1])
    ("'four-fifths'", 'nothing', 'a list')
    """
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return excerpt(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    text = str(value)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def format_path(path: Path_) -> str:
    """``("rules", 0, "check")`` -> ``rules[0].check``; the root is ``(top level)``.

    Examples
    --------
    >>> format_path(("rules", 0, "check"))
    'rules[0].check'
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{_short(part)}" if text else _short(part)
    return text or "(top level)"


@dataclass
class LocatedDocument:
    """Plain data from one YAML file plus the 1-based position of every node by path."""

    file: str
    data: Any
    value_at: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_at: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of the node at ``path``, else of its nearest located ancestor."""
        lookup = self.key_at if key else self.value_at
        if path in lookup:
            return lookup[path]
        for end in range(len(path) - 1, -1, -1):
            if path[:end] in self.value_at:
                return self.value_at[path[:end]]
        return (1, 1)

    def at(self, path: Path_, message: str, *, key: bool = False) -> str:
        """``file:line:col: key.path: message`` for the node at ``path``."""
        line, col = self.where(path, key=key)
        return f"{self.file}:{line}:{col}: {format_path(path)}: {message}"


class YamlProblems(BadInputError):
    """Every problem found while reading one YAML file, one ``file:line:col: ...`` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class FieldProblem:
    """One schema error of a located document, with the position of the node it is about."""

    line: int
    column: int
    key: str
    type: str
    message: str


def field_problems(error: ValidationError, doc: LocatedDocument) -> list[FieldProblem]:
    """pydantic's errors for ``doc.data`` with the line and column of the node each is about.

    An unknown key points at the key, a missing one at the mapping that lacks it, anything else
    at the value.
    """
    found = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        kind = item["type"]
        line, column = doc.where(loc, key=kind == "extra_forbidden")
        key = ".".join(str(part) for part in loc) or "(top level)"
        message = str(item["msg"]).removeprefix("Value error, ")
        found.append(FieldProblem(line, column, key, kind, message))
    return found


def read_yaml_text(
    path: str | os.PathLike[str], display: str, *, kind: str, limits: Limits = DEFAULT_LIMITS
) -> str:
    """The text of a YAML file, refused before parsing when it is too big or not UTF-8 text.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> source = pathlib.Path(tempfile.mkdtemp()) / "w.yaml"
    >>> _ = source.write_bytes(b"name: \\xff\\n")
    >>> read_yaml_text(source, "w.yaml", kind="waivers")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    govern.yaml_loader.YamlProblems: w.yaml:1:7: not UTF-8 text (byte 0xff); ...
    """
    source = Path(path)
    try:
        if source.exists() and not source.is_file():
            raise YamlProblems([MSG_NOT_REGULAR.format(file=display)])
        with source.open("rb") as handle:
            data = handle.read(limits.yaml_max_bytes + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise YamlProblems([MSG_UNREADABLE.format(file=display, reason=reason)]) from None
    except ValueError:  # a NUL character in the path itself
        reason = "the path holds a NUL character"
        raise YamlProblems([MSG_UNREADABLE.format(file=display, reason=reason)]) from None
    if len(data) > limits.yaml_max_bytes:
        raise YamlProblems(
            [MSG_TOO_BIG.format(file=display, limit=limits.yaml_max_bytes, kind=kind)]
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        message = MSG_NOT_UTF8.format(file=display, line=line, col=col, byte=data[start], kind=kind)
        raise YamlProblems([message]) from None


def load_located_file(
    path: str | os.PathLike[str],
    display: str,
    *,
    kind: str,
    expected: str | None = "a mapping of keys",
    limits: Limits = DEFAULT_LIMITS,
) -> LocatedDocument:
    """:func:`read_yaml_text` then :func:`load_located`: one YAML file, checked and located."""
    text = read_yaml_text(path, display, kind=kind, limits=limits)
    return load_located(text, display, kind=kind, expected=expected, limits=limits)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses to compose nodes nested deeper than a limit.

    PyYAML composes recursively, so a few thousand ``[`` would otherwise end in RecursionError.
    """

    def __init__(self, text: str, max_depth: int) -> None:
        super().__init__(text)
        self._depth = 0
        self._max_depth = max_depth

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__()
        self.mark = mark


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _position_in(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _compose(text: str, file: str, kind: str, limits: Limits) -> yaml.Node | None:
    """The document's root node; YamlProblems for syntax, control characters, depth, a second
    document."""
    try:
        loader = _BoundedLoader(text, limits.yaml_max_depth)
    except yaml.reader.ReaderError as error:  # checked over the whole text on construction
        line, col = _position_in(text, error.position)
        code = ord(error.character) if isinstance(error.character, str) else error.character
        raise YamlProblems(
            [MSG_CONTROL_CHAR.format(file=file, line=line, col=col, code=code, kind=kind)]
        ) from None
    try:
        return loader.get_single_node()
    except _TooDeep as deep:
        line, col = _pos(deep.mark)
        message = MSG_TOO_DEEP.format(
            file=file, line=line, col=col, limit=limits.yaml_max_depth, kind=kind
        )
        raise YamlProblems([message]) from None
    except yaml.composer.ComposerError as error:
        if "expected a single document" in f"{error.context} {error.problem}":
            line, col = _pos(error.problem_mark)
            message = MSG_MULTI_DOC.format(file=file, line=line, col=col, kind=kind)
            raise YamlProblems([message]) from None
        raise YamlProblems([_syntax_message(error, file)]) from None
    except yaml.YAMLError as error:
        raise YamlProblems([_syntax_message(error, file)]) from None
    finally:
        loader.dispose()


def _syntax_message(error: yaml.YAMLError, file: str) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, col = _pos(mark) if mark is not None else (1, 1)
    problem = getattr(error, "problem", None) or type(error).__name__
    return MSG_BAD_YAML.format(file=file, line=line, col=col, problem=problem)


def load_located(
    text: str,
    file: str,
    *,
    kind: str = "policy",
    expected: str | None = "a mapping with at least 'name' and 'version'",
    limits: Limits = DEFAULT_LIMITS,
) -> LocatedDocument:
    """Parse ``text`` safely and return the data with node positions.

    Parameters
    ----------
    text : str
        The file's text.
    file : str
        How messages name the file.
    kind : str
        What the file is ("policy", "waivers", "metadata", "model card", "settings"), for
        messages.
    expected : str or None
        What an empty file should have held (its message); None accepts an empty file as ``{}``.
    limits : Limits
        Size, depth and node bounds.

    Raises
    ------
    YamlProblems
        Listing every problem found (syntax, tags, duplicate keys, values that cannot be read).

    Examples
    --------
    >>> doc = load_located("name: x\\nversion: '1'\\n", "p.yaml")
    >>> doc.data, doc.value_at[("version",)]
    ({'name': 'x', 'version': '1'}, (2, 10))
    """
    if len(text) > limits.yaml_max_bytes:  # text read from elsewhere (the register)
        raise YamlProblems([MSG_TOO_BIG.format(file=file, limit=limits.yaml_max_bytes, kind=kind)])
    root = _compose(text, file, kind, limits)
    if root is None:
        if expected is None:
            return LocatedDocument(file=file, data={})
        raise YamlProblems([MSG_EMPTY.format(file=file, expected=expected)])
    walker = _Walker(file, kind, limits)
    data = walker.walk(root, ())
    if walker.problems:
        raise YamlProblems(walker.problems)
    if not isinstance(data, dict):
        line, col = _pos(root.start_mark)
        found = _kind_of_document(data)
        raise YamlProblems([MSG_NOT_MAPPING.format(file=file, line=line, col=col, found=found)])
    return LocatedDocument(file=file, data=data, value_at=walker.value_at, key_at=walker.key_at)


def _kind_of_document(value: Any) -> str:
    """What a whole document is, without quoting it (a file that is not YAML at all, such as a
    password file, is one long text)."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text, not a mapping"
    if value is None:
        return "empty"
    return f"a single {type(value).__name__}"


def _describe_document(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {excerpt(value)}"
    if value is None:
        return "empty"
    return f"the {type(value).__name__} {describe(value)}"


class _Walker:
    """Turns composed nodes into plain data, remembering positions and collecting problems."""

    def __init__(self, file: str, kind: str, limits: Limits) -> None:
        self.file = file
        self.kind = kind
        self.limits = limits
        self.problems: list[str] = []
        self.value_at: dict[Path_, tuple[int, int]] = {}
        self.key_at: dict[Path_, tuple[int, int]] = {}
        self.visited = 0
        self.failed: set[int] = set()  # scalars already reported (an alias may repeat one)
        # Constructs scalars only (never collections), so it needs no document of its own.
        self.constructor = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, path: Path_) -> Any:
        self.visited += 1
        if self.visited > self.limits.yaml_max_nodes:
            limit = self.limits.yaml_max_nodes
            raise YamlProblems([MSG_TOO_LARGE.format(file=self.file, limit=limit, kind=self.kind)])
        line, col = _pos(node.start_mark)
        if len(path) >= self.limits.yaml_max_depth:  # an alias can nest a node inside itself
            limit = self.limits.yaml_max_depth
            message = MSG_TOO_DEEP.format(
                file=self.file, line=line, col=col, limit=limit, kind=self.kind
            )
            raise YamlProblems([message])
        self.value_at[path] = (line, col)
        if node.tag not in _DEFAULT_TAGS:
            tag = node.tag.replace(_CORE, "!!")
            self.problems.append(
                MSG_BAD_TAG.format(
                    file=self.file,
                    line=line,
                    col=col,
                    path=format_path(path),
                    tag=_short(tag),
                    kind=self.kind,
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node, path, line, col)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.walk(key_node, (*path, "<key>"))
            self.value_at.pop((*path, "<key>"), None)
            line, col = _pos(key_node.start_mark)
            where = {"file": self.file, "line": line, "col": col}
            if not isinstance(key, str):
                if key is not None or key_node.tag in _DEFAULT_TAGS:
                    self.problems.append(
                        MSG_KEY_NOT_TEXT.format(
                            **where, path=format_path(path), found=_describe_document(key)
                        )
                    )
                continue
            if key in result or key in first_line:
                self.problems.append(
                    MSG_DUPLICATE_KEY.format(
                        **where,
                        path=format_path((*path, key)),
                        key=_short(key),
                        first=first_line[key],
                    )
                )
                continue
            first_line[key] = line
            self.key_at[(*path, key)] = (line, col)
            result[key] = self.walk(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.Node, path: Path_, line: int, col: int) -> Any:
        where = {"file": self.file, "line": line, "col": col, "path": format_path(path)}
        if id(node) in self.failed:
            return None
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError) as error:
            self.failed.add(id(node))
            self.problems.append(self._unreadable(node, where, error))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.failed.add(id(node))
            self.problems.append(MSG_NOT_FINITE.format(**where, found=excerpt(str(node.value))))
            return None
        return value

    @staticmethod
    def _unreadable(node: yaml.Node, where: dict[str, Any], error: Exception) -> str:
        text = str(node.value)
        found = excerpt(text)
        reason = str(error).split("\n", 1)[0][:80] or type(error).__name__
        if node.tag == f"{_CORE}timestamp":
            return MSG_BAD_DATE.format(**where, found=found, reason=reason)
        if node.tag == f"{_CORE}int":
            digits = sum(char.isdigit() for char in text)
            if digits > 100:
                return MSG_HUGE_INT.format(**where, digits=digits)
        tag = node.tag.replace(_CORE, "")
        return MSG_BAD_SCALAR.format(**where, found=found, tag=tag, reason=reason)
