#!/bin/sh
# One npm package's own tarball, checked against the integrity npm publishes and unpacked: what the
# project's asset scripts (libs/common/docs-assets/fetch.sh, services/web/assets/fetch.sh) take
# from npm at build time.
#
#   sh npm-unpack.sh PACKAGE@VERSION INTEGRITY FOLDER     (FOLDER made in the current directory)
#
# npm pack downloads the package's own tarball only (none of its dependencies: what the project
# serves are its prebuilt files).
set -eu

tarball=$(npm pack --silent "$1" | tail -n 1)
got=$(node -e 'const c = require("crypto"), fs = require("fs");
    process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$tarball")
if [ "$got" != "$2" ]; then
    echo "$1: the tarball's integrity is $got, not the pinned $2" >&2
    exit 1
fi
mkdir "$3" && tar -xzf "$tarball" -C "$3" --strip-components=1
