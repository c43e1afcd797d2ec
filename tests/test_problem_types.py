"""Every problem `type` the services can answer is one of the registry's (issue 21), with the status
the registry gives it, and the README's table of them is the registry's own.

The services' sources are read, not run: every `Problem("<slug>", …)`, `problem_response("<slug>",
…)` and refusal's `code="<slug>"` names a registered slug, a refusal's code has the status of its
kind, and nothing spells a problem URI or `about:blank` by hand. (libs/common/tests/
test_problem_languages.py runs each exception handler and checks what it answers.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ecity_common.refusals import DEFAULT_CODE, Kind
from ecity_common.web.problem_types import PROBLEM_TYPE_BASE, PROBLEM_TYPES, for_status, readme_table
from ecity_common.web.problems import REFUSAL_STATUS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("libs/common/src/**/*.py")])
REGISTRY = ROOT / "libs/common/src/ecity_common/web/problem_types.py"
# The refusals' kinds by class, as ecity_common.refusals declares them; a service's own subclasses
# (IllegalTransition(Conflict)…) are found in its sources.
KINDS = {"Refused": Kind.CONFLICT, "NotFound": Kind.NOT_FOUND, "Conflict": Kind.CONFLICT, "Stale": Kind.STALE,
         "Invalid": Kind.INVALID, "Forbidden": Kind.FORBIDDEN, "LimitReached": Kind.LIMIT, "Unavailable": Kind.UNAVAILABLE}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in SOURCES}


def _kinds(trees: dict[Path, ast.Module]) -> dict[str, Kind]:
    """Every refusal class, the library's and the services' subclasses, with its kind."""
    kinds, bases = dict(KINDS), {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [_name(b) for b in node.bases]
    changed = True
    while changed:
        changed = False
        for name, of in bases.items():
            known = next((kinds[b] for b in of if b in kinds), None)
            if name not in kinds and known is not None:
                kinds[name], changed = known, True
    return kinds


def _slugs(node: ast.expr) -> list[str] | None:
    """The slugs an expression can be (`"a"`, `"a" if x else "b"`), or None when it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _slugs(node.body), _slugs(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _named_types() -> list[tuple[str, str, int | None]]:
    """(where, slug or the code's text when computed, the status its kind gives, if a refusal)."""
    trees = _trees()
    kinds = _kinds(trees)
    found = []
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        classes = {id(n): c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in ast.walk(c)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            at = f"{where}:{node.lineno}"
            if called in ("Problem", "problem_response") and node.args:
                slugs = _slugs(node.args[0])
                if slugs is None and path.name != "problems.py":  # the handlers pass on a slug they were given
                    found.append((at, ast.unparse(node.args[0]), None))
                found += [(at, s, None) for s in slugs or []]
            for keyword in node.keywords:
                if keyword.arg != "code" or (slugs := _slugs(keyword.value)) is None and not isinstance(
                        keyword.value, ast.JoinedStr):
                    continue  # code=<a variable>: someone's code (a holder's, a category's), not a refusal's
                kind = kinds.get(called)
                if called == "__init__":  # super().__init__(…, code=…) in a refusal's subclass
                    cls = classes.get(id(node))
                    kind = kinds.get(cls.name) if cls else None
                status = REFUSAL_STATUS[kind] if kind else None
                found += [(at, s, status) for s in slugs] if slugs else [(at, ast.unparse(keyword.value), status)]
    return found


def test_every_problem_type_the_code_names_is_registered_with_its_status():
    named = _named_types()
    assert len(named) > 30, "the scan found too little: has the code moved?"
    unregistered = [(at, slug) for at, slug, _ in named if slug not in PROBLEM_TYPES]
    assert unregistered == [], "add them to ecity_common/web/problem_types.py (and regenerate the README's table)"
    other_status = [(at, slug, status, PROBLEM_TYPES[slug].status) for at, slug, status in named
                    if status is not None and PROBLEM_TYPES[slug].status != status]
    assert other_status == [], "a refusal's code has the status of its kind"
    # Each registered type is one some code answers: named by it, a kind's default or a status's.
    answered = {slug for _, slug, _ in named} | set(DEFAULT_CODE.values()) | {
        for_status(status).slug for status in range(400, 600)}
    assert [slug for slug in PROBLEM_TYPES if slug not in answered] == [], "a registered type nothing answers"


def test_no_problem_uri_or_about_blank_is_spelt_by_hand():
    spelt = [str(p.relative_to(ROOT)) for p in SOURCES
             if p != REGISTRY and ("about:blank" in p.read_text() or PROBLEM_TYPE_BASE in p.read_text())]
    assert spelt == []


def test_the_readme_lists_the_registry():
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- problem types: generated.*?-->\n(.*?)<!-- end of problem types -->", readme, re.S)
    assert table, "README.md's section on errors has lost its table of problem types"
    assert table.group(1) == readme_table(), (
        "README.md's table of problem types differs from ecity_common.web.problem_types: paste "
        "`.venv/bin/python -c 'from ecity_common.web.problem_types import readme_table; print(readme_table(), end=\"\")'`")
