"""Intercom's OpenAPI spec with its self-contradictions relaxed, for the validators.

A few schemas in the spec reject the spec's own examples (which match the live API): `format:
uri` on fields whose example is a relative path such as `/contacts/…/tags` (or, once, the word
`note`), `format: uuid` on contact ids whose example is a 24-hex-digit Intercom id,
`custom_attributes` declared as string-valued while the example holds numbers and booleans, and
a path parameter declared `integer` in one operation (`contact_id` of POST /contacts/{contact_id}/notes)
while every other operation on the same path declares it a string with a 24-hex-digit example. A validator would then fail a faithful emulator. Each such schema node is found here by
checking the node's own `example` against it, never by a hand-kept list of paths, and relaxed only
as far as that example needs. Every relaxation is printed, so a run shows what was excused.

Usage: python spec_errata.py SPEC.yaml OUT.json
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import FormatChecker

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - the C loader ships with PyYAML wheels
    from yaml import SafeLoader as Loader

JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


@dataclass(frozen=True)
class Erratum:
    pointer: str
    change: str
    evidence: Any

    def __str__(self) -> str:
        return f"{self.pointer}: {self.change} (the spec's own example is {json.dumps(self.evidence)[:80]})"


def is_absolute_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def example_breaks_format(format_name: str, example: Any) -> bool:
    if not isinstance(example, str):
        return False
    if format_name == "uri":
        return not is_absolute_uri(example)
    return not FormatChecker().conforms(example, format_name)


def has_type(value: Any, type_name: str) -> bool:
    expected = JSON_TYPES.get(type_name)
    if expected is None:
        return True
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, expected)


def relax(node: Any, pointer: str, errata: list[Erratum]) -> None:
    """Walks the spec and relaxes every schema node that its own example contradicts."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            relax(item, f"{pointer}/{index}", errata)
        return
    if not isinstance(node, dict):
        return
    example = node.get("example")
    format_name = node.get("format")
    if isinstance(format_name, str) and example_breaks_format(format_name, example):
        del node["format"]
        errata.append(Erratum(pointer, f"dropped format: {format_name}", example))
    values = node.get("additionalProperties")
    if isinstance(values, dict) and "type" in values and isinstance(example, dict):
        if any(not has_type(value, values["type"]) for value in example.values()):
            node["additionalProperties"] = {}
            errata.append(Erratum(pointer, f"additionalProperties may be any type, not only {values['type']}", example))
    for key, child in node.items():
        relax(child, f"{pointer}/{key}", errata)


def looks_like_textual_id(value: str) -> bool:
    """One token of letters and digits that is not a number, such as 63a07ddf05a32042dffac965."""
    return re.fullmatch(r"[A-Za-z0-9_-]+", value) is not None and not value.isdigit()


def path_parameters(spec: dict):
    """Yields (group key, pointer, parameter) for every path parameter; the group is the path up to
    the parameter plus its name, so `/contacts/{contact_id}/...` operations share one group."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for index, parameter in enumerate(operation.get("parameters", [])):
                if isinstance(parameter, dict) and parameter.get("in") == "path":
                    prefix = path.split("{" + parameter["name"] + "}")[0]
                    escaped = path.replace("~", "~0").replace("/", "~1")
                    yield (prefix, parameter["name"]), f"#/paths/{escaped}/{method}/parameters/{index}", parameter


def relax_inconsistent_path_parameters(spec: dict, errata: list[Erratum]) -> None:
    """An `integer` path parameter is relaxed to `string` when the same parameter of the same path
    is a string elsewhere with an example that is no number (an id such as 63a07ddf05a32042dffac965)."""
    non_numeric_examples: dict = {}
    for group, _, parameter in path_parameters(spec):
        example = parameter.get("example")
        schema = parameter.get("schema", {})
        if schema.get("type") == "string" and isinstance(example, str) and looks_like_textual_id(example):
            non_numeric_examples.setdefault(group, example)
    for group, pointer, parameter in path_parameters(spec):
        schema = parameter.get("schema", {})
        if schema.get("type") == "integer" and group in non_numeric_examples:
            parameter["schema"] = {**schema, "type": "string"}
            errata.append(Erratum(pointer, f"path parameter {parameter['name']} is a string, as elsewhere on this path",
                                  non_numeric_examples[group]))


def relaxed_spec(spec_path: Path) -> tuple[dict, list[Erratum]]:
    with open(spec_path, encoding="utf-8") as source:
        spec = yaml.load(source, Loader=Loader)
    errata: list[Erratum] = []
    relax(spec.get("components", {}), "#/components", errata)
    relax(spec.get("paths", {}), "#/paths", errata)
    relax_inconsistent_path_parameters(spec, errata)
    return spec, errata


def write_relaxed_spec(spec_path: Path, out_path: Path) -> list[Erratum]:
    spec, errata = relaxed_spec(spec_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(spec), encoding="utf-8")
    return errata


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    errata = write_relaxed_spec(Path(argv[1]), Path(argv[2]))
    print(f"spec errata applied ({len(errata)}):")
    for erratum in errata:
        print(f"  {erratum}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
