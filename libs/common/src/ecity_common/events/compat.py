"""Is a new payload schema safe for the consumers of the old one?

Breaking, for an event already published: a required field removed or renamed, or made optional;
any field's type changed (including nullability, which a consumer would trip over); a new required
field (old events replayed from the log would fail); an enum value removed. Adding an optional
field is fine. A breaking change is a new event type (`.v2`) instead.
"""

from __future__ import annotations

from typing import Any


def _resolve(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return _resolve(defs[name], defs)
        return {k: _resolve(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_resolve(v, defs) for v in schema]
    return schema


def _branches(schema: dict) -> list[dict]:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [b for s in schema[key] for b in _branches(s)]
    return [schema]


def _kind(branch: dict) -> str:
    if "const" in branch:
        return f"const:{branch['const']}"
    if "enum" in branch:
        return f"enum:{branch.get('type', '')}"
    kind = branch.get("type", "any")
    return f"{kind}:{branch['format']}" if "format" in branch else str(kind)


def breaking_changes(old: dict, new: dict) -> list[str]:
    old_r = _resolve(old, old.get("$defs", {}))
    new_r = _resolve(new, new.get("$defs", {}))
    problems: list[str] = []
    _compare(old_r, new_r, "", problems)
    return problems


def _compare(old: dict, new: dict, path: str, problems: list[str]) -> None:
    where = path or "(payload)"
    old_b, new_b = _branches(old), _branches(new)
    old_kinds = sorted({_kind(b) for b in old_b})
    new_kinds = sorted({_kind(b) for b in new_b})
    if old_kinds != new_kinds:
        problems.append(f"{where}: type changed from {'|'.join(old_kinds)} to {'|'.join(new_kinds)}")
        return
    for ob in old_b:
        nb = next((b for b in new_b if _kind(b) == _kind(ob)), None)
        if nb is None:
            continue
        if "enum" in ob:
            removed = [v for v in ob["enum"] if v not in nb.get("enum", [])]
            if removed:
                problems.append(f"{where}: enum value(s) removed: {removed}")
        if ob.get("type") == "object":
            _compare_object(ob, nb, path, problems)
        if ob.get("type") == "array" and isinstance(ob.get("items"), dict) and isinstance(nb.get("items"), dict):
            _compare(ob["items"], nb["items"], f"{path}[]", problems)


def _compare_object(old: dict, new: dict, path: str, problems: list[str]) -> None:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(old_req):
        if name not in new_props:
            problems.append(f"{path}{name}: required field removed or renamed")
        elif name not in new_req:
            problems.append(f"{path}{name}: required field became optional")
    for name in sorted(new_req - old_req):
        problems.append(f"{path}{name}: new required field (old events lack it)")
    for name in sorted(set(old_props) & set(new_props)):
        _compare(old_props[name], new_props[name], f"{path}{name}.", problems)
