"""Render template.yaml as CloudFormation would deploy it with the given parameters (default: the defaults).

checkov cannot evaluate `!If`, `!Ref` to a parameter or a resource's `Condition`, so on the template itself
it counts a conditional setting as present whichever branch the defaults take. This script takes the
branches the parameters choose, replaces parameter references by their values (inside `!Sub` strings
too), removes `AWS::NoValue` and the resources and outputs whose condition is false, and drops the
sections nothing refers to any more (Parameters, Conditions, Rules). `make template` runs checkov and
cfn-lint on the result as well, so their pass holds for what a default deployment gets.

checkov skips whose comment starts with "Condition:" exist only because checkov cannot evaluate a
condition; they are dropped here, so the check has to pass on the resolved template by itself.

Usage: resolve_template.py [--template template.yaml] [--out FILE] [--param Name=Value ...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

CONDITION_ONLY_SKIP = "Condition:"
_NO_VALUE = object()  # what `Ref: AWS::NoValue` resolves to: the property or list item disappears
_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")


class TemplateError(ValueError):
    """The template or a parameter value cannot be resolved."""


def load(path: Path) -> dict:
    """The template as plain dicts and lists, intrinsic functions in their long form (`Fn::If`)."""
    template, matches = decode(str(path))
    if matches or template is None:
        raise TemplateError(f"{path}: {'; '.join(str(m) for m in matches) or 'not a template'}")
    return json.loads(json.dumps(template))


def parameter_values(template: dict, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Each parameter's value: the override, else its default. Numbers as numbers."""
    values: dict[str, Any] = {}
    overrides = dict(overrides or {})
    for name, spec in template.get("Parameters", {}).items():
        if name in overrides:
            raw = overrides.pop(name)
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no default: pass --param {name}=VALUE")
        if spec.get("Type") == "Number":
            number = float(raw)
            values[name] = int(number) if number.is_integer() else number
        else:
            values[name] = str(raw)
    if overrides:
        raise TemplateError(f"no such parameter: {', '.join(sorted(overrides))}")
    return values


def _as_text(value: Any) -> str:
    """A value as CloudFormation compares and substitutes it: numbers without a trailing `.0`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Resolver:
    def __init__(self, template: dict, parameters: dict[str, Any]) -> None:
        self.template = template
        self.parameters = parameters
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            definitions = self.template.get("Conditions", {})
            if name not in definitions:
                raise TemplateError(f"no such condition: {name}")
            self.conditions[name] = self._truth(definitions[name])
        return self.conditions[name]

    def _truth(self, node: Any) -> bool:
        if not isinstance(node, dict) or len(node) != 1:
            raise TemplateError(f"not a condition: {node!r}")
        ((function, arguments),) = node.items()
        if function == "Condition":
            return self.condition(arguments)
        if function == "Fn::Equals":
            left, right = (self.value(argument) for argument in arguments)
            return _as_text(left) == _as_text(right)
        if function == "Fn::Not":
            return not self._truth(arguments[0])
        if function == "Fn::And":
            return all(self._truth(argument) for argument in arguments)
        if function == "Fn::Or":
            return any(self._truth(argument) for argument in arguments)
        raise TemplateError(f"{function} cannot be evaluated in a condition")

    def value(self, node: Any) -> Any:
        """The node with conditions taken and parameters substituted; _NO_VALUE for AWS::NoValue."""
        if isinstance(node, list):
            return [item for item in (self.value(item) for item in node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Fn::If":
                name, then, otherwise = argument
                return self.value(then if self.condition(name) else otherwise)
            if key == "Ref":
                if argument == "AWS::NoValue":
                    return _NO_VALUE
                if argument in self.parameters:
                    return self.parameters[argument]
                return node  # a resource or a pseudo parameter: known only at deploy time
            if key == "Fn::Sub":
                return self._sub(argument)
        resolved = {key: self.value(item) for key, item in node.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _sub(self, argument: Any) -> Any:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.value(item) for name, item in variables.items()}

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                value = variables[name]
            elif name in self.parameters:
                value = self.parameters[name]
            else:
                return match.group(0)
            if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str) and len(value) == 1:
                return value["Fn::Sub"]  # a nested !Sub string: its own ${...} stay for deploy time
            return _as_text(value) if isinstance(value, str | int | float) else match.group(0)

        text = _SUB_VARIABLE.sub(replace, text)
        remaining = {name: value for name, value in variables.items() if "${" + name + "}" in text}
        if not _SUB_VARIABLE.search(text):
            return text
        return {"Fn::Sub": [text, remaining] if remaining else text}


def _drop_condition_only_skips(resource: dict) -> None:
    skips = resource.get("Metadata", {}).get("checkov", {}).get("skip")
    if skips is None:
        return
    kept = [skip for skip in skips if not str(skip.get("comment", "")).startswith(CONDITION_ONLY_SKIP)]
    if kept:
        resource["Metadata"]["checkov"]["skip"] = kept
    else:
        del resource["Metadata"]["checkov"]
        if not resource["Metadata"]:
            del resource["Metadata"]


def resolve(template: dict, overrides: dict[str, str] | None = None) -> dict:
    """The template as deployed with these parameters (the defaults, and `overrides`)."""
    resolver = Resolver(template, parameter_values(template, overrides))
    out: dict[str, Any] = {}
    for section, body in template.items():
        if section in ("Parameters", "Conditions", "Rules"):
            continue
        if section not in ("Resources", "Outputs"):
            out[section] = resolver.value(body)  # Globals refer to parameters too
            continue
        kept = {}
        for name, item in body.items():
            if "Condition" in item and not resolver.condition(item["Condition"]):
                continue
            item = {key: value for key, value in item.items() if key != "Condition"}
            kept[name] = resolver.value(item)
        out[section] = kept
    resources = out.get("Resources", {})
    for resource in resources.values():
        _drop_condition_only_skips(resource)
        depends = resource.get("DependsOn")
        if depends is not None:
            names = [depends] if isinstance(depends, str) else depends
            names = [name for name in names if name in resources]
            if names:
                resource["DependsOn"] = names[0] if isinstance(depends, str) else names
            else:
                del resource["DependsOn"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--out", type=Path, default=Path(".aws-sam/template.resolved.json"))
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        overrides = dict(item.split("=", 1) for item in args.param)
    except ValueError:
        parser.error("--param takes NAME=VALUE")
    try:
        template = load(args.template)
        resolved = resolve(template, overrides)
    except TemplateError as exc:
        print(f"resolve_template: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(resolved, indent=2) + "\n")
    conditions = Resolver(template, parameter_values(template, overrides)).conditions
    chosen = ", ".join(f"{name}={'true' if value else 'false'}" for name, value in conditions.items())
    print(f"{args.out}: {len(resolved.get('Resources', {}))} resources; {chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
