# Sourced by scripts/python-env.sh and scripts/node-env.sh: the toolchain both portable release
# builds of this machine link with, zig targeting glibc 2.17 (cargo-zigbuild's `zig cc`, from
# .venv), behind wrappers at one fixed path under target/zig/.
#
# maturin --zig and napi --cross-compile each write wrappers of their own that run their own
# executable; the linker and the C compiler are part of every crate's fingerprint, so the two
# builds could not share the dependency tree and each compiled all of it. With the same wrappers,
# the same variables and one target folder, the addon's build compiles only what the wheel's did
# not (bindings-unify makes the features the same).
#
# Sets zig_target (the Cargo target triple to pass to --target) and exports the variables.
# Needs: the repository root as the current directory, .venv with cargo-zigbuild and ziglang.
zig_target="$(uname -m)-unknown-linux-gnu"
zig_wrappers="$PWD/target/zig/$zig_target.2.17"
[ -x .venv/bin/cargo-zigbuild ] && .venv/bin/python -c 'import ziglang' || {
    echo "scripts/glibc217.sh: .venv lacks cargo-zigbuild or ziglang (scripts/python-test.txt)" >&2
    return 1
}
mkdir -p "$zig_wrappers"
zig_wrapper() { # name, then the `cargo-zigbuild zig` subcommand and its arguments
    local name=$1 file="$zig_wrappers/$1"
    shift
    local text
    text=$(printf '%s\n' '#!/bin/sh' \
        "export CARGO_ZIGBUILD_ZIG_COMMAND=\"$PWD/.venv/bin/python3\" CARGO_ZIGBUILD_ZIG_COMMAND_ARGS='-m ziglang'" \
        "exec \"$PWD/.venv/bin/cargo-zigbuild\" zig $* \"\$@\"")
    # Rewritten only when it changes: cargo compares the wrappers' paths, and cc-rs their contents' age.
    [ -f "$file" ] && [ "$(cat "$file")" = "$text" ] && return
    printf '%s\n' "$text" >"$file.tmp"
    chmod +x "$file.tmp"
    mv "$file.tmp" "$file"
}
zig_wrapper cc cc -- -g -fno-sanitize=all -target "$(uname -m)-linux-gnu.2.17"
zig_wrapper c++ c++ -- -g -fno-sanitize=all -target "$(uname -m)-linux-gnu.2.17"
zig_wrapper ar ar --
zig_wrapper ranlib ranlib --
zig_env=${zig_target//-/_}
export "CC_$zig_env=$zig_wrappers/cc" "CXX_$zig_env=$zig_wrappers/c++" \
    "AR_$zig_env=$zig_wrappers/ar" "RANLIB_$zig_env=$zig_wrappers/ranlib" \
    "CARGO_TARGET_${zig_env^^}_LINKER=$zig_wrappers/cc"
unset zig_env
