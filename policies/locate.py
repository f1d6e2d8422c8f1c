"""Turn pydantic validation errors into ``file:line:col: key.path: problem; expected`` lines.

pydantic reports where an error is as a ``loc`` tuple over the *model* (discriminated-union tags
included); this module walks the same tuple over the located YAML data to find the node, its
line and column, and the keys a mapping accepts (for "did you mean").
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from govern.policies.checks import CheckModel, check_kind, check_kinds
from govern.policies.schema import RULE_ID_PATTERN
from govern.suggest import did_you_mean
from govern.yaml_loader import LocatedDocument, Path_, describe, format_path

MSG_MISSING = "missing required key '{key}'; add it"
MSG_UNKNOWN_KEY = "unknown key '{key}'{hint}; expected one of: {allowed}"
MSG_UNKNOWN_KIND = "unknown check kind {found}{hint}; expected one of: {allowed}"
MSG_NO_KIND = "the check has no 'kind'; expected one of: {allowed}"
MSG_NOT_ALLOWED = "found {found}{hint}; expected one of: {allowed}"
MSG_WRONG_TYPE = "found {found}; expected {expected}"
MSG_BAD_RULE_ID = (
    "found {found}; expected an id of lower-case letters, digits, '-', '_' or '.', "
    "starting with a letter or digit"
)
MSG_OTHER = "found {found}; {problem}"

_EXPECTED_BY_TYPE = {
    "string_type": "text (quote numbers and dates used as text, e.g. '1.0')",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "date_type": "a date written YYYY-MM-DD",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date written YYYY-MM-DD",
}


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated; a rule's check is every registered
    check schema."""
    if annotation is CheckModel:
        return [check_kind(key).schema for key in check_kinds()]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        result: list[Any] = []
        for arg in typing.get_args(annotation):
            result.extend(_unwrap(arg))
        return result
    return [annotation]


def _step(annotation: Any, part: str | int, data: Any) -> Any:
    """The annotation one ``loc`` step further down, or None when unknown."""
    for candidate in _unwrap(annotation):
        origin = typing.get_origin(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if isinstance(part, str) and part in candidate.model_fields:
                return candidate.model_fields[part].annotation
        elif origin is list and isinstance(part, int):
            return typing.get_args(candidate)[0]
        elif origin is dict and isinstance(part, str):
            return typing.get_args(candidate)[1]
    return None


def _model_for_kind(annotation: Any, kind: Any) -> Any:
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get("kind")
            if field is not None and typing.get_args(field.annotation) == (kind,):
                return candidate
    return None


def _resolve_loc(
    root: type[BaseModel], data: Any, loc: tuple[str | int, ...]
) -> tuple[Path_, Any, Any, bool]:
    """Walk ``loc`` over the data: (data path, value there, its annotation, found)."""
    path: list[str | int] = []
    value = data
    annotation: Any = root
    found = True
    for part in loc:
        is_union = len(_unwrap(annotation)) > 1
        if is_union and isinstance(value, dict) and "kind" in value and part == value["kind"]:
            tagged = _model_for_kind(annotation, part)
            if tagged is not None:
                annotation = tagged
                continue
        in_mapping = isinstance(value, dict) and isinstance(part, str) and part in value
        in_list = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if in_mapping or in_list:
            annotation = _step(annotation, part, value)
            value = value[part]
            path.append(part)
        elif isinstance(part, str) and (
            "[" in part or part.startswith(("function-", "literal", "list", "str", "union"))
        ):
            continue  # a union member's name, not a key of the data
        else:
            found = False
            path.append(part)
            annotation = _step(annotation, part, value)
            break
    return tuple(path), value, annotation, found


def _allowed_keys(annotation: Any) -> list[str]:
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return list(candidate.model_fields)
    return []


def _expected_choices(error: ErrorDetails) -> list[str]:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'([^']*)'", expected)


def locate_errors(error: ValidationError, doc: LocatedDocument, root: type[BaseModel]) -> list[str]:
    """Every error of ``error`` as one located line, in document order."""
    lines: list[tuple[tuple[int, int], str]] = []
    seen: set[str] = set()
    for item in error.errors(include_url=False):
        kind = item["type"]
        loc = tuple(item["loc"])
        path, value, _, found = _resolve_loc(root, doc.data, loc)
        if kind == "missing" or (not found and kind != "extra_forbidden"):
            parent = path[:-1]
            key = path[-1] if path else "?"
            message = MSG_MISSING.format(key=key)
            where = doc.where(parent)
            line = f"{doc.file}:{where[0]}:{where[1]}: {format_path(parent)}: {message}"
        elif kind == "extra_forbidden":
            parent = path[:-1]
            _, _, parent_annotation, _ = _resolve_loc(root, doc.data, loc[:-1])
            allowed = _allowed_keys(parent_annotation)
            key = str(path[-1])
            message = MSG_UNKNOWN_KEY.format(
                key=key, hint=did_you_mean(key, set(allowed)), allowed=", ".join(allowed)
            )
            where = doc.where(path, key=True)
            line = f"{doc.file}:{where[0]}:{where[1]}: {format_path(path)}: {message}"
        else:
            message = _message(item, value)
            where = doc.where(path)
            line = f"{doc.file}:{where[0]}:{where[1]}: {format_path(path)}: {message}"
        if line not in seen:
            seen.add(line)
            lines.append((where, line))
    lines.sort(key=lambda pair: pair[0])
    return [line for _, line in lines]


def _message(item: ErrorDetails, value: Any) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    found = describe(value)
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        return MSG_UNKNOWN_KIND.format(
            found=describe(tag),
            hint=did_you_mean(tag, check_kinds()),
            allowed=", ".join(check_kinds()),
        )
    if kind == "union_tag_not_found":
        return MSG_NO_KIND.format(allowed=", ".join(check_kinds()))
    if kind == "literal_error":
        choices = _expected_choices(item)
        hint = did_you_mean(value, set(choices)) if isinstance(value, str) else ""
        return MSG_NOT_ALLOWED.format(found=found, hint=hint, allowed=", ".join(choices))
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == RULE_ID_PATTERN:
        return MSG_BAD_RULE_ID.format(found=found)
    if kind in _EXPECTED_BY_TYPE:
        return MSG_WRONG_TYPE.format(found=found, expected=_EXPECTED_BY_TYPE[kind])
    text = item["msg"]
    if text.startswith("Input should be "):
        return MSG_WRONG_TYPE.format(found=found, expected=text[len("Input should be ") :])
    return MSG_OTHER.format(found=found, problem=text[0].lower() + text[1:])
