"""Dataset contracts: a data owner's YAML statement of what a valid file of their dataset is.

The format is `contract.schema.json` (docs/contracts.md). A contract that is not valid raises
ContractError with the line of the YAML that is wrong, so the files of its dataset are rejected
with a reason that points at it. ROW_RULES says what each rule of a field means: one entry per rule.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.compute as pc
import yaml

TIMESTAMP, BOOL = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"
FILE_RULES = ("min_rows", "max_rows", "primary_key", "max_rejected_fraction")


class ContractError(ValueError):
    """The contract itself is invalid: the message says where (`contracts/x.yaml line 7`) and why."""


@dataclass(frozen=True)
class Rule:
    name: str
    value: Any
    severity: str
    line: int


@dataclass(frozen=True)
class FieldSpec:
    name: str
    line: int  # where the field's `type` is, else where the field starts
    rename: str | None = None
    type: str | None = None
    format: str | None = None
    required: Rule | None = None
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Contract:
    key: str
    etag: str
    fields: tuple[FieldSpec, ...] = ()
    columns: str = "allow_extra"
    file_rules: tuple[Rule, ...] = ()
    on_drift: str = "warn"
    dialect: tuple[tuple[str, Any], ...] = ()
    lines: tuple[tuple[str, int], ...] = ()  # the line of each top-level setting

    def where(self, setting: str) -> str:
        """`contracts/x.yaml line 3`: where a setting is written (for reasons and warnings)."""
        line = dict(self.lines).get(setting)
        return f"{self.key} line {line}" if line else self.key

    def field(self, source_name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == source_name), None)

    def file_rule(self, name: str) -> Rule | None:
        return next((r for r in self.file_rules if r.name == name), None)

    def as_report(self) -> dict[str, Any]:
        return {"key": self.key, "etag": self.etag}


@dataclass(frozen=True)
class Values:
    """One chunk's distinct values of a column, as the row rules see them."""

    text: pa.Array  # as written (trimmed for a typed column), null where empty
    parsed: pa.Array  # read as the column's type
    compared: pa.Array  # what bounds and enumerations compare: `parsed` if the field has a type, else `text`
    unparsed: pa.Array | None  # true where the text is not a value of the field's type

    @property
    def present(self) -> pa.Array:
        return self.parsed.is_valid()


def field_value(kind: str | None, value: Any) -> Any:
    """A value a rule holds (a bound, a member of an enum) as a value of the field's type `kind` (dates
    and datetimes are ISO-8601 text); without a type, the text it stands for. Raises ValueError."""
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError
        if kind == "integer" and not float(value).is_integer():
            raise ValueError
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind == "date":
        return dt.date.fromisoformat(str(value))
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _for_arrow(value: Any, arrow_type: pa.DataType) -> Any:
    """A rule's value (already a value of the field's type) as Arrow compares it with the column."""
    if isinstance(value, dt.datetime) and pa.types.is_timestamp(arrow_type):
        # A bound without an offset means UTC on a column of instants, and the reverse.
        if arrow_type.tz and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        if not arrow_type.tz and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _anchored(pattern: str, *_: Any) -> str:
    return f"^(?:{pattern})$"  # the whole value must match


def _bound(value: Any, kind: str | None, arrow_type: pa.DataType) -> pa.Scalar:
    return pa.scalar(_for_arrow(field_value(kind, value), arrow_type))


def _members(values: list, kind: str | None, arrow_type: pa.DataType) -> pa.Array:
    return pa.array([_for_arrow(field_value(kind, value), arrow_type) for value in values]).cast(arrow_type)


def _type_named(kind: str, spec: FieldSpec) -> str:
    return f"{kind} ({spec.format})" if spec.format else kind


def _listed(values: list, spec: FieldSpec) -> str:
    return ", ".join(map(str, values))


def _check_regex(rule: Rule, key: str) -> None:
    try:
        # Arrow's regular expressions (RE2) run the rule, so RE2 is what must accept it.
        pc.match_substring_regex(pa.array([""]), _anchored(rule.value))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ContractError(f"{key} line {rule.line}: pattern {rule.value!r} is not a valid regex: {exc}") from None


@dataclass(frozen=True)
class RowRule:
    """What a rule on each row's value means: which of a chunk's distinct values fail it, and what
    the reason of a row that fails it says ({value}: the row's value; {expected}: the rule's value,
    as `expected` writes it; {first_line}: where a repeated value first appeared)."""

    failing: Callable[[Values, Any], pa.Array] | None  # None: `unique`, a row against the rows before it
    message: str
    # The rule's value as `failing` takes it (given the field's type and the column's Arrow type), and as
    # the message writes it.
    operand: Callable[[Any, str | None, pa.DataType], Any] = lambda value, kind, arrow_type: value
    expected: Callable[[Any, FieldSpec], Any] = lambda value, spec: value
    sees_unparsed: bool = False  # else a value that fails its type fails this rule no more: `type` says it all
    # Checked as the contract is read: its value is a value (or a list of values) of the field's type;
    # it compares order, which booleans and strings do not have; `verify` raises ContractError.
    of_field_type: bool = False
    ordered: bool = False
    verify: Callable[[Rule, str], None] = lambda rule, key: None
    off: bool | None = None  # the value of a flag that asks for nothing (nullable: true)


def _bound_rule(beyond: Callable[[pa.Array, pa.Scalar], pa.Array], message: str) -> RowRule:
    """minimum or maximum: a value of the field's type that the column's values may not be `beyond`."""
    return RowRule(
        lambda values, bound: beyond(values.compared, bound), message, operand=_bound, of_field_type=True, ordered=True
    )


def _length_rule(beyond: Callable[[pa.Array, int], pa.Array], message: str) -> RowRule:
    """min_length or max_length: a number of characters that the text may not be `beyond`."""
    return RowRule(lambda values, length: beyond(pc.utf8_length(values.text), length), message)


# In the order a row's reasons are listed. `type` is the field's type; ColumnRules adds its rule.
ROW_RULES: dict[str, RowRule] = {
    "type": RowRule(
        lambda values, _: values.unparsed,
        "{value!r} is not a valid {expected}",
        expected=_type_named,
        sees_unparsed=True,
    ),
    "nullable": RowRule(lambda values, _: values.text.is_null(), "is empty, and the column may not be", off=True),
    "unique": RowRule(None, "{value!r} already appears at line {first_line}", off=False),
    "minimum": _bound_rule(pc.less, "{value} is less than the minimum {expected}"),
    "maximum": _bound_rule(pc.greater, "{value} is greater than the maximum {expected}"),
    "min_length": _length_rule(pc.less, "{value!r} is shorter than {expected} characters"),
    "max_length": _length_rule(pc.greater, "{value!r} is longer than {expected} characters"),
    "pattern": RowRule(
        lambda values, regex: pc.and_(values.present, pc.invert(pc.match_substring_regex(values.text, regex))),
        "{value!r} does not match the pattern {expected}",
        operand=_anchored,
        verify=_check_regex,
    ),
    "enum": RowRule(
        lambda values, members: pc.and_(values.present, pc.invert(pc.is_in(values.compared, value_set=members))),
        "{value!r} is not one of {expected}",
        operand=_members,
        expected=_listed,
        of_field_type=True,
    ),
}
# The rules a field states, in the order they are read, with the flag value that asks for nothing
# (`required: false`, `unique: false`, `nullable: true` are no rules). `required` is about the file's columns.
FIELD_RULES = {"required": False} | {name: rule.off for name, rule in ROW_RULES.items() if name != "type"}


class _Loader(yaml.SafeLoader):
    """YAML 1.2's plain scalars: `minimum: 2024-01-01` stays text, and so do `NO` (Norway), `yes`,
    `on` and `off` in an enum; only true and false are booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (TIMESTAMP, BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files(__package__).joinpath("contract.schema.json").read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _lines(node: yaml.Node, key: str, path: tuple = (), lines: dict | None = None) -> dict[tuple, int]:
    """The 1-based line of every key and item of a YAML document, by its path. A key written twice
    in one mapping is an error (YAML loaders keep the last one silently)."""
    lines = {} if lines is None else lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if (*path, name.value) in lines:
                first = lines[(*path, name.value)]
                raise ContractError(
                    f"{key} line {name.start_mark.line + 1}: {name.value!r} is already set at line {first}"
                )
            lines[(*path, name.value)] = name.start_mark.line + 1
            _lines(value, key, (*path, name.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, key, (*path, i), lines)
    return lines


def _line(lines: dict[tuple, int], path: tuple) -> int:
    while path not in lines:
        path = path[:-1]
    return lines[path]


def _explain(error: jsonschema.ValidationError, lines: dict[tuple, int]) -> tuple[int, str]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        unknown = next(k for k in error.instance if k not in known)
        what = "rule or setting" if path and path[0] == "fields" else "setting"
        return _line(lines, (*path, unknown)), f"unknown {what} {unknown!r}; expected one of {', '.join(known)}"
    where = ".".join(str(p) for p in path) or "the document"
    if error.validator == "dependentRequired":
        rule = next(k for k, needs in error.validator_value.items() if k in error.instance and "type" in needs)
        return _line(lines, (*path, rule)), f"{where}: {rule} needs the field's type (how its values are read)"
    if error.validator == "oneOf" and error.context:
        # The bare form and the {value, severity} form both failed: explain the one that was meant.
        meant = 1 if isinstance(error.instance, dict) else 0
        error = next((e for e in error.context if e.relative_schema_path[0] == meant), error.context[0])
        return _explain(error, lines)
    return _line(lines, path), f"{where}: {error.message}"


def _rule(name: str, raw: Any, default: str, line: int) -> Rule:
    if isinstance(raw, dict):
        return Rule(name, raw["value"], raw.get("severity", default), line)
    return Rule(name, raw, default, line)


def parse(text: bytes, key: str, etag: str) -> Contract:
    """The contract in `text` (the object `key`). Raises ContractError, naming the line, if it is invalid."""
    try:
        loader = _Loader(text.decode("utf-8-sig"))
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except UnicodeDecodeError as exc:
        line = text.count(b"\n", 0, exc.start) + 1
        raise ContractError(f"{key} line {line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContractError(f"{key}{line}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ContractError(f"{key} line 1: a contract is a mapping of settings (fields, columns, …)")
    lines = _lines(node, key)
    errors = sorted(_validator().iter_errors(data), key=lambda e: _line(lines, tuple(e.absolute_path)))
    if errors:
        line, message = _explain(errors[0], lines)
        raise ContractError(f"{key} line {line}: {message}")
    fields = []
    for i, item in enumerate(data.get("fields", [])):
        default = item.get("severity", "error")
        rules = []
        for name, off in FIELD_RULES.items():
            if name not in item:
                continue
            rule = _rule(name, item[name], default, _line(lines, ("fields", i, name)))
            if rule.value is not off:
                rules.append(rule)
        row_rules = tuple(rule for rule in rules if rule.name != "required")
        for rule in row_rules:
            ROW_RULES[rule.name].verify(rule, key)
        fields.append(
            FieldSpec(
                item["name"],
                _line(lines, ("fields", i, "type")),
                item.get("rename"),
                item.get("type"),
                item.get("format"),
                next((rule for rule in rules if rule.name == "required"), None),
                row_rules,
            )
        )
    _check_names(fields, key)
    for spec in fields:
        _check_values(spec, key)
    dialect = dict(data.get("dialect", {}))
    if "null_values" in dialect:
        dialect["null_values"] = tuple(dialect["null_values"])  # a Contract is immutable, and hashable
    if "encoding" in dialect:
        try:
            dialect["encoding"] = codecs.lookup(dialect["encoding"]).name  # windows-1252 → cp1252
        except LookupError:
            line = _line(lines, ("dialect", "encoding"))
            raise ContractError(f"{key} line {line}: unknown encoding {dialect['encoding']!r}") from None
    file_rules = tuple(_rule(n, data[n], "error", _line(lines, (n,))) for n in FILE_RULES if n in data)
    return Contract(
        key,
        etag,
        tuple(fields),
        data.get("columns", "allow_extra"),
        file_rules,
        data.get("on_drift", "warn"),
        tuple(sorted(dialect.items())),
        tuple((path[0], line) for path, line in lines.items() if len(path) == 1),
    )


def _check_values(spec: FieldSpec, key: str) -> None:
    """Bounds and enumerations must be values of the declared type, whatever file comes."""
    for rule in spec.rules:
        meaning = ROW_RULES[rule.name]
        if not meaning.of_field_type:
            continue
        if meaning.ordered and spec.type in ("boolean", "string"):
            raise ContractError(
                f"{key} line {rule.line}: {rule.name} applies to integer, number, date and datetime fields, "
                f"not to {spec.type}"
            )
        for value in rule.value if isinstance(rule.value, list) else [rule.value]:
            try:
                field_value(spec.type, value)
            except ValueError:
                hint = (
                    " (write dates as 2024-01-31, datetimes as 2024-01-31T08:30:00)"
                    if "date" in (spec.type or "")
                    else ""
                )
                article = "an" if spec.type == "integer" else "a"
                raise ContractError(
                    f"{key} line {rule.line}: {rule.name} {value!r} is not {article} {spec.type}{hint}"
                ) from None


def _check_names(fields: list[FieldSpec], key: str) -> None:
    seen: dict[str, int] = {}
    for f in fields:
        if f.name in seen:
            raise ContractError(f"{key} line {f.line}: field {f.name!r} is already described at line {seen[f.name]}")
        seen[f.name] = f.line
    renamed = [f.rename for f in fields if f.rename]
    for f in fields:
        if f.rename and renamed.count(f.rename) > 1:
            raise ContractError(f"{key} line {f.line}: rename {f.rename!r} is given to more than one field")
