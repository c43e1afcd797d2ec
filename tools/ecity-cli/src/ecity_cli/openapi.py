"""Each service's HTTP contract, committed as `services/<name>/openapi.json`.

`ecity contracts` writes them beside the event catalogue's; a test fails when a service's routes,
models or answers change and the file was not regenerated, so that a change to what the city's
partners call is always a deliberate, reviewed one (a refactoring must leave them as they are).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from ecity_cli.infra import repo_root
from ecity_cli.services import SERVICES


def openapi_document(service: str) -> dict:
    info = SERVICES[service]
    settings = importlib.import_module(f"{info.package}.settings").Settings()
    app = importlib.import_module(f"{info.package}.main").create_app(settings)
    return app.openapi()


def openapi_files() -> dict[Path, str]:
    return {
        repo_root() / "services" / name / "openapi.json": json.dumps(openapi_document(name), indent=2, ensure_ascii=False) + "\n"
        for name in SERVICES
    }


def write_openapi(check_only: bool = False) -> list[str]:
    """Write the documents that changed (or only name them); returns their paths."""
    stale = []
    for path, text in openapi_files().items():
        if not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(repo_root())))
            if not check_only:
                path.write_text(text)
    return stale
