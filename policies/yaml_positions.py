"""Safe YAML loading that remembers where every key and value came from.

PyYAML's ``SafeLoader`` builds only plain data, so a ``!!python/object`` tag is refused rather
than executed. Walking the composed node tree ourselves (instead of ``yaml.safe_load``) keeps
each node's line and column, which is what lets every policy error point at ``file:line:col``.
It also lets us refuse duplicate keys, which PyYAML would otherwise silently resolve to the last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

# An alias-heavy document ("billion laughs") expands exponentially when walked; policies are
# small, so a generous cap on visited nodes stops that without hurting any real file.
MAX_NODES = 200_000

MSG_BAD_YAML = "{file}:{line}:{col}: not valid YAML: {problem}; fix the syntax at this position"
MSG_BAD_TAG = (
    "{file}:{line}:{col}: {path}: YAML tag {tag} is not allowed; policies hold plain data only "
    "(text, numbers, dates, lists and mappings), remove the tag"
)
MSG_DUPLICATE_KEY = (
    "{file}:{line}:{col}: {path}: key '{key}' appears twice (first at line {first}); "
    "keep one of them"
)
MSG_KEY_NOT_TEXT = "{file}:{line}:{col}: {path}: a key must be text, found {found}; quote it"
MSG_TOO_LARGE = (
    "{file}:1:1: the document expands to more than {limit} nodes (aliases?); "
    "write the policy out without deep alias nesting"
)
MSG_EMPTY = "{file}:1:1: the file is empty; expected a mapping with at least 'name' and 'version'"
MSG_NOT_MAPPING = "{file}:{line}:{col}: the document is {found}; expected a mapping of keys"
MSG_MULTI_DOC = (
    "{file}:{line}:{col}: a second YAML document starts here; put one policy in each file"
)

_DEFAULT_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


def describe(value: Any) -> str:
    """How a found value is named in messages: ``'text'``, ``0.5``, ``a list``, ``nothing``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return str(value)


def format_path(path: Path_) -> str:
    """``("rules", 0, "check")`` -> ``rules[0].check``; the root is ``(top level)``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
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


class YamlProblems(Exception):
    """Raised with every problem found while reading one YAML file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def load_located(text: str, file: str) -> LocatedDocument:
    """Parse ``text`` safely and return the data with node positions.

    Raises ``YamlProblems`` listing every problem (syntax, tags, duplicate keys).

    Examples
    --------
    >>> doc = load_located("name: x\\nversion: '1'\\n", "p.yaml")
    >>> doc.data, doc.value_at[("version",)]
    ({'name': 'x', 'version': '1'}, (2, 10))
    """
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.composer.ComposerError as error:
            if error.problem and "expected a single document" in error.problem:
                line, col = _pos(error.problem_mark)
                raise YamlProblems([MSG_MULTI_DOC.format(file=file, line=line, col=col)]) from None
            raise
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line, col = _pos(mark) if mark is not None else (1, 1)
            problem = getattr(error, "problem", None) or str(error)
            raise YamlProblems(
                [MSG_BAD_YAML.format(file=file, line=line, col=col, problem=problem)]
            ) from None
        if root is None:
            raise YamlProblems([MSG_EMPTY.format(file=file)])
        doc = LocatedDocument(file=file, data=None)
        problems: list[str] = []
        counter = [0]
        doc.data = _walk(loader, root, (), doc, problems, counter)
        if problems:
            raise YamlProblems(problems)
        if not isinstance(doc.data, dict):
            line, col = _pos(root.start_mark)
            found = _describe(doc.data)
            raise YamlProblems([MSG_NOT_MAPPING.format(file=file, line=line, col=col, found=found)])
        return doc
    finally:
        loader.dispose()


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "empty"
    return f"the {type(value).__name__} {value!r}"


def _walk(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path_,
    doc: LocatedDocument,
    problems: list[str],
    counter: list[int],
) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise YamlProblems([MSG_TOO_LARGE.format(file=doc.file, limit=MAX_NODES)])
    doc.value_at[path] = _pos(node.start_mark)
    if node.tag not in _DEFAULT_TAGS:
        line, col = _pos(node.start_mark)
        problems.append(
            MSG_BAD_TAG.format(
                file=doc.file,
                line=line,
                col=col,
                path=format_path(path),
                tag=node.tag.replace("tag:yaml.org,2002:", "!!"),
            )
        )
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _walk(loader, key_node, (*path, "<key>"), doc, problems, counter)
            doc.value_at.pop((*path, "<key>"), None)
            line, col = _pos(key_node.start_mark)
            if not isinstance(key, str):
                if key is not None or key_node.tag in _DEFAULT_TAGS:
                    problems.append(
                        MSG_KEY_NOT_TEXT.format(
                            file=doc.file,
                            line=line,
                            col=col,
                            path=format_path(path),
                            found=_describe(key),
                        )
                    )
                continue
            if key in result:
                problems.append(
                    MSG_DUPLICATE_KEY.format(
                        file=doc.file,
                        line=line,
                        col=col,
                        path=format_path((*path, key)),
                        key=key,
                        first=first_line[key],
                    )
                )
                continue
            first_line[key] = line
            doc.key_at[(*path, key)] = (line, col)
            result[key] = _walk(loader, value_node, (*path, key), doc, problems, counter)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(loader, item, (*path, index), doc, problems, counter)
            for index, item in enumerate(node.value)
        ]
    # Scalars: the safe constructor resolves ints, floats, booleans, nulls and dates.
    return loader.construct_object(node, deep=True)
