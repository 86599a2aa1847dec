"""Intercom's OpenAPI spec with its self-contradictions relaxed, for the validators.

A few schemas in the spec reject the spec's own examples (which match the live API): `format:
uri` on fields whose example is a relative path such as `/contacts/…/tags` (or, once, the word
`note`), `format: uuid` on contact ids whose example is a 24-hex-digit Intercom id, and
`custom_attributes` declared as string-valued while the example holds numbers and booleans. A validator would then fail a faithful emulator. Each such schema node is found here by
checking the node's own `example` against it, never by a hand-kept list of paths, and relaxed only
as far as that example needs. Every relaxation is printed, so a run shows what was excused.

Usage: python spec_errata.py SPEC.yaml OUT.json
"""

from __future__ import annotations

import json
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


def relaxed_spec(spec_path: Path) -> tuple[dict, list[Erratum]]:
    with open(spec_path, encoding="utf-8") as source:
        spec = yaml.load(source, Loader=Loader)
    errata: list[Erratum] = []
    relax(spec.get("components", {}), "#/components", errata)
    relax(spec.get("paths", {}), "#/paths", errata)
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
