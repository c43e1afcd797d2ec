"""Every refusal a service says has its Ukrainian words (issue 21): its `detail` (and each
`errors[].message` of a `Problem`) is a `Phrase` of the catalogue, never English typed in place.

The services' sources are read, not run: a call of a refusal class (the library's and a service's
own subclasses) or of `Problem(...)` whose detail is a string literal, an f-string, a literal's
`.format(...)`, or a name bound to one of those in the same function, is listed as file:line. The
Ukrainian answers themselves are checked through each running service in tests/test_phrases_spoken.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(ROOT.glob("services/*/src/**/*.py"))

# Where each library class takes its words: the position after `self`, or None when it says a
# phrase of its own (NotFound says "no {what} {key}" in the shared catalogue).
LIBRARY = {"Refused": 0, "Conflict": 0, "Stale": 0, "Forbidden": 0, "LimitReached": 0, "Unavailable": 0,
           "Invalid": 1, "NotFound": None, "Problem": 1}
WORDS = ("detail", "message")


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _classes(trees: dict[Path, ast.Module]) -> dict[str, int | None]:
    """Every refusal class with the position of its words: a subclass with its own `__init__` takes
    them where a parameter is named detail or message (or takes none: IllegalTransition says its own,
    in its `super().__init__`, which is checked as a call of its base); one without, as its base."""
    found: dict[str, tuple[list[str], ast.FunctionDef | None]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                found[node.name] = ([_name(b) for b in node.bases], init)
    positions: dict[str, int | None] = dict(LIBRARY)
    changed = True
    while changed:
        changed = False
        for name, (bases, init) in found.items():
            base = next((b for b in bases if b in positions), None)
            if name in positions or base is None:
                continue
            if init is None:
                positions[name] = positions[base]
            else:
                params = [a.arg for a in init.args.args[1:]]
                positions[name] = next((n for n, p in enumerate(params) if p in WORDS), None)
            changed = True
    return positions


def _typed_in_place(node: ast.expr, bound: dict[str, list[ast.expr]], seen: frozenset[str] = frozenset()) -> bool:
    """English written where it is said: a literal, an f-string, a literal joined or formatted, one
    branch of a conditional being one, or a local name bound to one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _typed_in_place(node.left, bound, seen) or _typed_in_place(node.right, bound, seen)
    if isinstance(node, ast.IfExp):
        return _typed_in_place(node.body, bound, seen) or _typed_in_place(node.orelse, bound, seen)
    if isinstance(node, ast.BoolOp):
        return any(_typed_in_place(v, bound, seen) for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _typed_in_place(node.func.value, bound, seen) or any(_typed_in_place(a, bound, seen) for a in node.args)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_typed_in_place(e, bound, seen) for e in node.elts)
    if isinstance(node, ast.Name) and node.id in bound and node.id not in seen:
        return any(_typed_in_place(v, bound, seen | {node.id}) for v in bound[node.id])
    return False


def _bindings(scope: ast.AST) -> dict[str, list[ast.expr]]:
    bound: dict[str, list[ast.expr]] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name) and node.value:
            bound.setdefault(node.target.id, []).append(node.value)
    return bound


def _messages(errors: ast.expr) -> list[ast.expr]:
    """The `message` of each `{"field": …, "message": …}` written in an `errors=[…]`."""
    return [value for node in ast.walk(errors) if isinstance(node, ast.Dict)
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and key.value == "message"]


def _said(call: ast.Call, position: int | None) -> list[ast.expr]:
    words = [kw.value for kw in call.keywords if kw.arg in WORDS]
    if position is not None and len(call.args) > position:
        words.append(call.args[position])
    for kw in call.keywords:
        if kw.arg == "errors":
            words.extend(_messages(kw.value))
    return words


def untranslated() -> list[str]:
    trees = {path: ast.parse(path.read_text(), str(path)) for path in SOURCES}
    positions = _classes(trees)
    bases = {node.name: next((_name(b) for b in node.bases if _name(b) in positions), None)
             for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found = []
    for path, tree in trees.items():
        scopes: list[ast.AST] = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
        # The innermost function a call sits in gives the names it may be bound to.
        owner: dict[int, ast.AST] = {}
        for scope in scopes:
            for node in ast.walk(scope):
                owner[id(node)] = scope
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            if called == "__init__" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
                # super().__init__(…) in a refusal's own class: said as its base says it.
                cls = next((c for c in classes if any(n is node for n in ast.walk(c))), None)
                called = bases.get(cls.name) if cls else None
            if called not in positions:
                continue
            bound = _bindings(owner[id(node)])
            if any(_typed_in_place(words, bound) for words in _said(node, positions[called])):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)[:120]}")
    return found


def test_every_refusal_a_service_says_is_a_phrase():
    found = untranslated()
    assert not found, "English typed in place of a Phrase (add it to the service's domain/phrases.py):\n" + "\n".join(found)


def test_the_check_sees_english_typed_in_place():
    source = '''
class Closed(Conflict):
    def __init__(self):
        super().__init__("closed for good")
def f(x):
    reason = f"{x} is closed"
    raise Invalid("year", reason)
def g(x):
    raise Problem("unknown-filter", Phrase("unknown-filter", key=x), errors=[{"field": x, "message": "unknown"}])
def h(x):
    said = Phrase("closed", year=x)
    raise Conflict(said, code="year-closed")
'''
    tree = ast.parse(source)
    positions = _classes({Path("x.py"): tree})
    assert positions["Closed"] is None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) in ("Invalid", "Problem", "Conflict")]
    flagged = {_name(c.func): any(_typed_in_place(w, _bindings(tree)) for w in _said(c, positions[_name(c.func)]))
               for c in calls}
    assert flagged == {"Invalid": True, "Problem": True, "Conflict": False}


def _catalogue() -> dict[str, tuple[str, str]]:
    """The shared catalogue with every service's own phrases registered (one process, as the
    cross-service tests run them: a key two services register with other words fails here)."""
    import importlib

    from ecity_cli.services import SERVICES
    from ecity_common.phrases import CATALOGUE

    for info in SERVICES.values():
        if (ROOT / "services" / info.name / "src" / info.package / "domain" / "phrases.py").exists():
            importlib.import_module(f"{info.package}.domain.phrases")
    return CATALOGUE


def test_every_phrase_a_service_says_is_in_the_catalogue_with_its_fields():
    from ecity_common.phrases import fields_of

    catalogue = _catalogue()
    wrong = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and _name(node.func) == "Phrase" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                continue  # a key made by code (f"address-{what}") is checked by the service's own tests
            key, where = node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"
            if key not in catalogue:
                wrong.append(f"{where} {key!r} is in no catalogue")
            elif all(kw.arg for kw in node.keywords) and {kw.arg for kw in node.keywords} != fields_of(catalogue[key][0]):
                wrong.append(f"{where} {key!r} takes {sorted(fields_of(catalogue[key][0]))}, "
                             f"given {sorted(kw.arg for kw in node.keywords)}")
    assert not wrong, "\n".join(wrong)


def test_every_thing_a_service_says_it_did_not_find_has_its_ukrainian_name():
    """`NotFound("request", …)` says "не знайдено: звернення …": the thing's name is the catalogue's
    `thing:request`, which the service registers with its phrases (a literal first argument here)."""
    import importlib

    from ecity_common.phrases import CATALOGUE

    for phrases in sorted(ROOT.glob("services/*/src/*/domain/phrases.py")):
        importlib.import_module(f"{phrases.parts[-3]}.domain.phrases")
    missing = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            said = (isinstance(node, ast.Call) and _name(node.func) == "NotFound" and node.args
                    and isinstance(node.args[0], ast.Constant))
            if said and f"thing:{node.args[0].value}" not in CATALOGUE:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} NotFound({node.args[0].value!r})")
    assert not missing, "name these things in the service's domain/phrases.py as thing:…:\n" + "\n".join(missing)
