"""Apply a service's migrations: `python -m ecity_common.migrate citizen_requests`.

What the migration Job (Kubernetes) and the one-shot service (Docker Compose) run before the
service starts; the service's settings (its env prefix) give the database, and the owner to migrate
as (`MIGRATION_DATABASE_URL`, else `DATABASE_URL`).
"""

from __future__ import annotations

import importlib
import logging
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m ecity_common.migrate <service package, e.g. citizen_requests>", file=sys.stderr)
        return 2
    package = argv[0]
    try:
        main_module = importlib.import_module(f"{package}.main")
        settings = importlib.import_module(f"{package}.settings").Settings()
    except ModuleNotFoundError:
        print(f"no service package {package!r}", file=sys.stderr)
        return 2
    from ecity_common.migrations import upgrade

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    upgrade(main_module.MIGRATIONS_DIR, settings.migration_url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
