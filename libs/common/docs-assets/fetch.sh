#!/bin/sh
# Swagger UI and ReDoc for every service's /docs and /redoc, taken from npm at build time, pinned and
# checked against the integrity npm publishes: the services serve them themselves, so the API docs
# render where there is no internet (the city's own network) and no CDN sees who reads them.
#
#   sh libs/common/docs-assets/fetch.sh OUT_DIR
#
# `make setup` runs it into libs/common/src/ecity_common/web/docs_assets/ (not committed); the
# Dockerfiles run it in a node stage. To move to a newer release: change a version below and its
# integrity (`npm view swagger-ui-dist@X dist.integrity`), run `make setup`, open /docs.
set -eu

SWAGGER_UI=swagger-ui-dist@5.35.0
SWAGGER_UI_INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
REDOC=redoc@3.0.1
REDOC_INTEGRITY=sha512-KDfoKaYW19LCl4YStgBnwlaNjYEFfs5zCNt1s1WZ2YM5u8d26Yuzd2l43fZO851ZsgIMe/D640fDJkD8eaRQKQ==

here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

unpack() {  # package@version integrity folder
    sh "$here/npm-unpack.sh" "$@"
}

unpack "$SWAGGER_UI" "$SWAGGER_UI_INTEGRITY" swagger-ui
unpack "$REDOC" "$REDOC_INTEGRITY" redoc
cp swagger-ui/swagger-ui-bundle.js swagger-ui/swagger-ui.css swagger-ui/favicon-32x32.png "$out/"
cp swagger-ui/LICENSE "$out/swagger-ui.LICENSE"
cp redoc/bundles/redoc.standalone.js "$out/"
cp redoc/LICENSE "$out/redoc.LICENSE"
echo "$SWAGGER_UI $REDOC" > "$out/VERSIONS"
