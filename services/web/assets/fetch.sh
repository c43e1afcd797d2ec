#!/bin/sh
# The web's browser libraries, taken from npm at build time, pinned and checked against the integrity
# npm publishes (as libs/common/docs-assets/fetch.sh does for the API docs): the web serves them
# itself, so its pages work on the city's own network and no CDN learns who reads which page.
#
#   sh services/web/assets/fetch.sh OUT_DIR [AXE_DIR]
#
# OUT_DIR gets htmx and Leaflet (served under /static/vendor/); AXE_DIR, when given, gets axe-core,
# which only the browser tests inject into the pages (tests/test_web_browser.py), never served.
# `make setup` runs it into services/web/src/web/static/vendor/ and .cache/axe-core/ (neither
# committed); the Dockerfile runs it in a node stage. To move to a newer release: change a version
# and its integrity (`npm view leaflet@X dist.integrity`), run `make setup`, run the browser test.
set -eu

HTMX=htmx.org@2.0.11
HTMX_INTEGRITY=sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==
LEAFLET=leaflet@1.9.4
LEAFLET_INTEGRITY=sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==
AXE=axe-core@4.14.1
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

npm_unpack=$(cd "$(dirname "$0")/../../../libs/common/docs-assets" && pwd)/npm-unpack.sh
out=$(mkdir -p "$1" && cd "$1" && pwd)
axe_out=""
if [ $# -ge 2 ]; then axe_out=$(mkdir -p "$2" && cd "$2" && pwd); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

unpack() {  # package@version integrity folder (the API docs' fetcher, libs/common/docs-assets)
    sh "$npm_unpack" "$@"
}

unpack "$HTMX" "$HTMX_INTEGRITY" htmx
unpack "$LEAFLET" "$LEAFLET_INTEGRITY" leaflet
cp htmx/dist/htmx.min.js "$out/"
cp htmx/LICENSE "$out/htmx.LICENSE"
cp leaflet/dist/leaflet.js leaflet/dist/leaflet.css "$out/"
mkdir -p "$out/images" && cp leaflet/dist/images/*.png "$out/images/"
cp leaflet/LICENSE "$out/leaflet.LICENSE"
echo "$HTMX $LEAFLET" > "$out/VERSIONS"
if [ -n "$axe_out" ]; then
    unpack "$AXE" "$AXE_INTEGRITY" axe
    cp axe/axe.min.js "$axe_out/"
    cp axe/LICENSE "$axe_out/axe-core.LICENSE"
    echo "$AXE" > "$axe_out/VERSIONS"
fi
