#!/usr/bin/env bash
# Installs the wheel or sdist given into a fresh virtualenv, with nothing else, reads a reference
# server through it from a folder outside the project, and runs its calllogs-contract console
# script. An sdist is built from source by pip (with maturin from PyPI); CARGO_TARGET_DIR, when
# set, keeps that build incremental.
set -euo pipefail
wheel=$(realpath "$1")
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
python3 -m venv "$fresh/venv"
case "$wheel" in
    *.whl) "$fresh/venv/bin/python" -m pip install -q --no-index "$wheel" ;;
    *) "$fresh/venv/bin/python" -m pip install -q "$wheel" >&2 ;;
esac
cd "$fresh"
"$fresh/venv/bin/python" -c "
from unpod_calllogs import Client
from unpod_calllogs.testing import ReferenceServer
with ReferenceServer(records=50) as server:
    assert Client(server.token, server.org_handle, server.url).call_logs.list().count == 50
print('$(basename "$wheel") works on its own in a fresh virtualenv')
"
"$fresh/venv/bin/calllogs-contract" run --records 300 --cases 2 >/dev/null 2>&1 || {
    echo "calllogs-contract run, from $(basename "$wheel") in a fresh virtualenv, failed" >&2
    exit 1
}
