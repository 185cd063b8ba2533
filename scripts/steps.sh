# Sourced by the scripts: one line per step, with the time it took.
#
#   step TITLE COMMAND...      runs COMMAND with its output kept aside; prints `== TITLE ... 12.3 s`,
#                              or, when it fails, its output and its exit status
#   show TITLE COMMAND...      runs COMMAND with its output shown (the output is the step's result);
#                              prints `== TITLE`, the output, then `   (12.3 s)`
#   background NAME COMMAND... starts COMMAND (set-up that waits on the network or the disk, not on
#                              the cores) while the next steps run
#   joined TITLE NAME          waits for that command, as a step of its own
#   steps_total WHAT           prints `== WHAT in 95.0 s`, the time since steps.sh was sourced
#   steps_end                  stops what is still in the background, removes the logs (for a trap)
#
# COMMAND may be a shell function. It runs as a job of its own, so that `set -e` holds inside it
# (bash ignores it in a command whose status is tested), and with its own working folder.

steps_started=$EPOCHREALTIME
steps_dir=$(mktemp -d)
declare -A steps_jobs=()

steps_elapsed() {
    awk -v from="$1" -v to="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", to - from }'
}

steps_outcome() {
    if [ "$1" = 0 ]; then
        steps_elapsed "$2"
    else
        printf 'failed (exit %s) after %s' "$1" "$(steps_elapsed "$2")"
    fi
}

step() {
    local title=$1 started=$EPOCHREALTIME status=0
    shift
    printf '== %s ... ' "$title"
    "$@" >"$steps_dir/step.log" 2>&1 &
    wait "$!" || status=$?
    steps_outcome "$status" "$started"
    echo
    [ "$status" = 0 ] || sed 's/^/   | /' "$steps_dir/step.log"
    return "$status"
}

show() {
    local title=$1 started=$EPOCHREALTIME status=0
    shift
    echo "== $title"
    "$@" &
    wait "$!" || status=$?
    echo "   ($(steps_outcome "$status" "$started"))"
    return "$status"
}

background() {
    local name=$1
    shift
    "$@" >"$steps_dir/$name.log" 2>&1 &
    steps_jobs[$name]=$!
}

joined() {
    local title=$1 name=$2 started=$EPOCHREALTIME status=0
    printf '== %s ... ' "$title"
    wait "${steps_jobs[$name]}" || status=$?
    unset "steps_jobs[$name]"
    if [ "$status" = 0 ]; then
        echo "$(steps_elapsed "$started") more (it ran in the background)"
    else
        echo "failed (exit $status); its output:"
        sed 's/^/   | /' "$steps_dir/$name.log"
    fi
    return "$status"
}

steps_total() {
    echo "== $1 in $(steps_elapsed "$steps_started")"
}

steps_end() {
    local job
    for job in "${steps_jobs[@]}"; do kill "$job" 2>/dev/null || true; done
    rm -rf "$steps_dir"
}
