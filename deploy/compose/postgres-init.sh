#!/bin/bash
# One database and one owner per service (database per service), on the first start of the volume.
set -euo pipefail
for service in citizen_requests utilities_gateway budget_ledger network_registry notifications; do
  password_var="${service^^}_DB_PASSWORD"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$service" -v password="${!password_var}" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
# budget-ledger connects as a restricted role; its migrations (run as the owner above) grant it what it may do.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v password="$BUDGET_LEDGER_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE budget_ledger_app LOGIN PASSWORD :'password';
SQL
