"""The services' layers, enforced: each service's import-linter contracts (services/<name>/importlinter.ini).

domain/ imports no framework (FastAPI, Starlette, SQLAlchemy, asyncpg, aiokafka, httpx); a layer
imports only the layers below it (main → entrypoints → use_cases → adapters → domain); routes and
event handlers never touch tables. See services/README.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecity_cli.services import SERVICES

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_service_keeps_its_layers(service):
    config = ROOT / "services" / service / "importlinter.ini"
    assert config.exists(), f"{service} has no import-linter contracts"
    package = SERVICES[service].package
    for layer in ("domain", "use_cases", "adapters", "entrypoints"):
        assert (ROOT / "services" / service / "src" / package / layer / "__init__.py").exists(), f"{service} lacks {layer}/"
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(config)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 broken" in result.stdout, result.stdout[-4000:]


def test_the_web_keeps_its_layers():
    """The web (not among SERVICES: it owns no data) has no use_cases layer: each page is one API call."""
    config = ROOT / "services" / "web" / "importlinter.ini"
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(config)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0 and " 0 broken" in result.stdout, result.stdout[-4000:] + result.stderr[-2000:]
