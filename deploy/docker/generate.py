"""Writes services/<name>/Dockerfile for every service from one template, so the four images
are built the same way. Run `python deploy/docker/generate.py` (or `make manifests`);
tests/test_deploy.py fails when a committed Dockerfile is not what this writes."""

from __future__ import annotations

import sys
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [("citizen-requests", "citizen_requests", 8001), ("utilities-gateway", "utilities_gateway", 8002),
            ("budget-ledger", "budget_ledger", 8003), ("network-registry", "network_registry", 8004)]

TEMPLATE = Template(r"""# syntax=docker/dockerfile:1
# The $name image. Build from the repository root, where the uv workspace and its lock are:
#   make images        (or: docker build -f services/$name/Dockerfile -t ecity/$name:0.1.0 .)

# Swagger UI and ReDoc for /docs and /redoc, from npm at build time (pinned and integrity-checked).
FROM node:20-bookworm-slim AS docs-assets
COPY libs/common/docs-assets/fetch.sh /fetch.sh
RUN sh /fetch.sh /docs_assets

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install uv==0.13.8
WORKDIR /src
# Manifests first: the dependency layer stays cached until the lock or a manifest changes.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY services/citizen-requests/pyproject.toml services/citizen-requests/
COPY services/utilities-gateway/pyproject.toml services/utilities-gateway/
COPY services/budget-ledger/pyproject.toml services/budget-ledger/
COPY services/network-registry/pyproject.toml services/network-registry/
COPY tools/ecity-cli/pyproject.toml tools/ecity-cli/
RUN uv sync --frozen --no-dev --no-install-workspace --package $name
COPY libs/common libs/common
COPY --from=docs-assets /docs_assets libs/common/src/ecity_common/web/docs_assets
COPY services/$name services/$name
# Non-editable: the runtime image needs the installed packages, not this source tree.
RUN uv sync --frozen --no-dev --no-editable --package $name

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 ecity \
    && useradd --system --uid 10001 --gid ecity --no-create-home --shell /usr/sbin/nologin ecity
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MPLCONFIGDIR=/tmp/matplotlib \
    ${prefix}HTTP_HOST=0.0.0.0 ${prefix}HTTP_PORT=$port ${prefix}MIGRATE_ON_START=false
USER 10001:10001
EXPOSE $port
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:$port/health/live', timeout=2).status != 200)"]
# ecity_common.server: uvicorn, draining on SIGTERM (readiness 503 first) before its graceful stop.
CMD ["python", "-m", "ecity_common.server", "$package.main:create_app", "--host", "0.0.0.0", "--port", "$port"]
""")


def files() -> dict[Path, str]:
    return {ROOT / "services" / name / "Dockerfile": TEMPLATE.substitute(name=name, package=package, prefix=package.upper() + "_", port=port)
            for name, package, port in SERVICES}


def main(check: bool = False) -> int:
    stale = [p for p, text in files().items() if not p.exists() or p.read_text() != text]
    if check:
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}")
        return 1 if stale else 0
    for p in stale:
        p.write_text(files()[p])
    print(f"wrote {len(stale)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
