"""The Endpoints table of each service README is what `ecity contracts` renders from the committed
openapi.json (and the security test's DOORS), and names every operation of that document: a route
added, a parameter made required or a door changed without `make contracts` fails here."""

from __future__ import annotations

import json
import re

import pytest

from ecity_cli.endpoints import METHODS, SECTION, endpoint_tables, readme_of, rendered_readme, write_endpoint_tables
from ecity_cli.infra import repo_root
from ecity_cli.services import SERVICES

ROW = re.compile(r"^\| `([A-Z]+)` \| `([^`]+)` \| (.*?) \| (.*?) \| ", re.MULTILINE)


def _document(service: str) -> dict:
    return json.loads((repo_root() / "services" / service / "openapi.json").read_text())


def _rows(service: str) -> dict[str, tuple[str, str]]:
    """The README table's rows: "METHOD /path" -> (who may call, required)."""
    section = SECTION.search(readme_of(service).read_text())
    assert section, f"{readme_of(service)} has no generated Endpoints section"
    return {f"{method} {path}": (who, needs) for method, path, who, needs in ROW.findall(section.group(1))}


def test_the_readme_tables_are_current():
    stale = write_endpoint_tables(check_only=True)
    assert stale == [], f"run `make contracts` (ecity contracts) and commit: {stale}"


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_operation_is_in_its_readme(service):
    operations = {f"{method.upper()} {path}" for path, item in _document(service)["paths"].items()
                  for method in item if method in METHODS}
    rows = _rows(service)
    assert operations and set(rows) == operations
    assert not [route for route, (who, _) in rows.items() if "undecided" in who]


def test_what_the_old_top_readme_table_left_out():
    """The routes issue 21 found listed without their method or what they need."""
    citizens, gateway = _rows("citizen-requests"), _rows("utilities-gateway")
    ledger, network = _rows("budget-ledger"), _rows("network-registry")
    assert citizens["GET /api/v1/public/statistics"] == ("anyone", "query `from`, `to`")
    assert citizens["POST /api/v1/requests/{request_id}/comments"][0] == "`citizen` or `operator`"
    assert not any(route.endswith("/comments") and not route.startswith("POST ") for route in citizens)
    assert ledger["GET /api/v1/reports/execution/chart.{fmt}"] == ("anyone", "query `from_year`, `to_year`; path `fmt` (svg, png)")
    assert network["GET /api/v1/analysis/path"][1] == "query `from_site`, `to_site`"
    assert gateway["POST /api/v1/routing/check"] == ("`integrations-admin`", "body `application/json`: `kind`, `service_code`")
    assert [route for route in gateway if route.endswith("/routing/check")] == ["POST /api/v1/routing/check"]


def test_the_rendering_of_one_operation():
    document = {
        "paths": {"/things/{kind}.{fmt}": {"post": {
            "tags": ["things"], "summary": "Make a thing | or two",
            "parameters": [
                {"in": "path", "name": "kind", "required": True, "schema": {"type": "string"}},
                {"in": "path", "name": "fmt", "required": True, "schema": {"anyOf": [{"enum": ["json", "xml"]}]}},
                {"in": "query", "name": "at", "required": True, "schema": {"type": "string"}},
                {"in": "query", "name": "limit", "required": False, "schema": {"type": "integer"}},
                {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}},
            ],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        }}},
        "components": {"schemas": {"Thing": {"type": "object", "required": ["name"], "properties": {"name": {}, "size": {}}}}},
    }
    table = endpoint_tables(document, {}, "tests/security/test_things_access.py")
    assert "### things" in table
    assert ("| `POST` | `/things/{kind}.{fmt}` | **undecided** | query `at`; header `If-Match`; path `fmt` (json, xml); "
            "optional body `application/json`: `name` | Make a thing \\| or two |") in table


def test_a_readme_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="no Endpoints section"):
        rendered_readme("budget-ledger", "# budget-ledger\n", _document("budget-ledger"))


def test_the_routes_the_top_readme_names_are_routes_with_that_method():
    """The top README keeps only the main routes, each with its method: each must be one."""
    text = (repo_root() / "README.md").read_text()
    table = text[text.index("| service | main routes"):text.index("\n\n", text.index("| service | main routes"))]
    operations = {f"{method.upper()} {path}" for service in SERVICES for path, item in _document(service)["paths"].items()
                  for method in item if method in METHODS}
    named = [f"{method} {path.split('?')[0]}" for method, path in re.findall(r"`([A-Z]+) (/[^`…]+)`", table)]
    assert len(named) >= 12
    assert [route for route in named if route not in operations] == []
