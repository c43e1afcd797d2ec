"""Custom resources checked against the CRDs of the operators the manifests are written for
(the folders beside this file, `<operator>-<version>/`), the way the API server takes them on
`kubectl apply`: the apiVersion must be one the CRD serves, and every field must be in that
version's schema with the right type. A field the schema does not know is refused, as kubectl's
default strict field validation refuses it (where the schema says
`x-kubernetes-preserve-unknown-fields`, as in Kafka's `config`, anything goes).

Not checked here, since only an API server evaluates them: CEL rules (`x-kubernetes-validations`)
and string formats.

By hand: `python deploy/k8s/crds/validate.py [dev|prod ...]` renders the overlays and prints what
a cluster would refuse. tests/test_deploy.py runs the same check in `make test`.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRDs are large: libyaml when it is there

# What the API server accepts in a custom resource's metadata (it validates ObjectMeta itself; a
# CRD's schema says only `type: object` there). The fields a manifest may set, no more.
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "finalizers": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


def strict(schema: dict, *, in_junctor: bool = False) -> dict:
    """An OpenAPI v3 schema of a CRD as a JSON Schema (draft 4, whose boolean exclusiveMinimum is
    OpenAPI 3.0's) that refuses what the API server refuses: an object closes to the properties it
    names unless it preserves unknown fields. Branches of anyOf/allOf/oneOf only add constraints to
    the object around them (structural schemas declare fields outside them), so they stay open."""
    out = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    for key in ("properties", "patternProperties"):
        if key in out:
            out[key] = {name: strict(sub) for name, sub in out[key].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = strict(out["items"])
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = strict(out["additionalProperties"])
    for key in ("anyOf", "allOf", "oneOf"):
        if key in out:
            out[key] = [strict(sub, in_junctor=True) for sub in out[key]]
    if "not" in out:
        out["not"] = strict(out["not"], in_junctor=True)
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if schema.get("x-kubernetes-embedded-resource"):
        out.setdefault("properties", {}).update(
            {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": OBJECT_META})
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and not in_junctor and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    if schema.get("nullable"):  # null as one more type, so that other errors keep their own words
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


@dataclass(frozen=True)
class Definition:
    """One CRD: where it came from and its versions by name."""

    group: str
    kind: str
    versions: dict[str, dict]
    source: Path

    @property
    def operator(self) -> str:
        return self.source.parent.name


class Schemas:
    """The CRDs under `root`, one per (group, kind)."""

    def __init__(self, root: Path = HERE):
        self.definitions: dict[tuple[str, str], Definition] = {}
        for path in sorted(root.glob("*/*.yaml")):
            for doc in yaml.load_all(path.read_text(), Loader=Loader):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                key = (spec["group"], spec["names"]["kind"])
                if key in self.definitions:
                    raise ValueError(f"{key} is defined twice: {self.definitions[key].source} and {path}")
                self.definitions[key] = Definition(spec["group"], spec["names"]["kind"],
                                                   {v["name"]: v for v in spec["versions"]}, path)
        self._validators: dict[tuple[str, str, str], jsonschema.Draft4Validator] = {}

    @cached_property
    def groups(self) -> set[str]:
        return {group for group, _ in self.definitions}

    def validator(self, group: str, kind: str, version: str) -> jsonschema.Draft4Validator:
        key = (group, kind, version)
        if key not in self._validators:
            schema = strict(self.definitions[group, kind].versions[version]["schema"]["openAPIV3Schema"])
            # The API server always takes these three at the root, whether the schema names them or not.
            schema.setdefault("properties", {}).update(
                {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": OBJECT_META})
            self._validators[key] = jsonschema.Draft4Validator(schema)
        return self._validators[key]

    def refusals(self, obj: dict) -> list[str]:
        """What the API server would refuse in this object (nothing: an empty list)."""
        group, _, version = obj["apiVersion"].rpartition("/")
        what = f"{obj['kind']} {obj.get('metadata', {}).get('name', '?')}"
        definition = self.definitions.get((group, obj["kind"]))
        if definition is None:
            return [f"{what}: no CRD here defines {obj['kind']} in {group or 'the core group'}"]
        served = sorted(name for name, v in definition.versions.items() if v.get("served"))
        if version not in served:
            return [f"{what}: {obj['apiVersion']} is not served by {definition.operator} (it serves {', '.join(served)})"]
        errors = sorted(self.validator(group, obj["kind"], version).iter_errors(obj), key=lambda e: list(e.absolute_path))
        return [f"{what}: .{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def render(overlay: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(HERE.parent / "overlays" / overlay)],
                         capture_output=True, text=True, check=True)
    return [o for o in yaml.load_all(out.stdout, Loader=Loader) if o]


def main(overlays: list[str]) -> int:
    schemas = Schemas()
    refused = 0
    for overlay in overlays or ["dev", "prod"]:
        custom = [o for o in render(overlay) if o["apiVersion"].rpartition("/")[0] in schemas.groups]
        for problem in (p for o in custom for p in schemas.refusals(o)):
            print(f"{overlay}: {problem}")
            refused += 1
        print(f"{overlay}: {len(custom)} custom resources checked")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
