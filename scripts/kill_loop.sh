#!/usr/bin/env bash
# The long kill loop (docs/reliability.md quotes its figures): tests/kill's driver sends SIGKILL to
# a training process at random moments while model_checkpoint and backup_and_restore write, and to
# a process rewriting one file with save_npz; after every kill the files must load and the resumed
# run must end with the uninterrupted run's weights. The suite runs it with 30 kills of each
# (ctest -L kill); this runs KILLS of each (default 1000: about 4 minutes on the 2-core VM).
#
#   scripts/kill_loop.sh [KILLS] [--seed S]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TYPENET_BUILD_DIR:-$root/build}"
kills="${1:-1000}"
shift || true
bin="$build/tests/kill/typenet_kill_test"
[ -x "$bin" ] || cmake --build "$build" --target typenet_kill_test
exec "$bin" --kills "$kills" --savez-kills "$kills" "$@"
