#!/bin/bash
# porcupine-times.sh - times Porcupine and Keel's checker side by side on Porcupine's public test data (issue 16).
#
# usage: scripts/porcupine-times.sh PORCUPINE_SRC_DIR
#
# PORCUPINE_SRC_DIR is a work tree of github.com/anishathalye/porcupine (MIT); it is built and run, never copied.
# Porcupine: scripts/porcupine-times (our Go program) parses the original test_data files and calls
# porcupine.CheckEventsTimeout; its seconds are parse plus check, in process. Keel: `.build/release/keelsim check`
# on each converted fixture (Tests/LinearizabilityTests/Fixtures/porcupine, from scripts/porcupine-convert.py);
# its seconds are the whole process, start to exit, with nothing subtracted. Both take the median of 3 runs.
# Needs Go >= 1.19 (no network: GOPROXY=off) and a release build of keelsim.
set -euo pipefail
[ $# -eq 1 ] || { sed -n 4p "$0" >&2; exit 2; }
src=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
[ -x .build/release/keelsim ] || { echo "build keelsim first: swift build -c release --product keelsim" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp scripts/porcupine-times/main.go scripts/porcupine-times/go.mod "$work/"
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
(cd "$work" && go mod edit -replace "github.com/anishathalye/porcupine=$src" && go build -o porcupinetimes .)
echo "porcupine $(git --git-dir="$src/.git" rev-parse HEAD 2>/dev/null || echo "(no git metadata)") at $src, $(go version)"
"$work/porcupinetimes" -runs 3 "$src/test_data" > "$work/porcupine.txt"
python3 - "$work/porcupine.txt" Tests/LinearizabilityTests/Fixtures/porcupine <<'PY'
import os, statistics, subprocess, sys, time
porcupine = {name: (verdict, float(seconds)) for name, verdict, seconds in map(str.split, open(sys.argv[1]))}
verdicts = {0: ('ok', 'linearizable:'), 1: ('illegal', 'not linearizable'), 3: ('unknown', 'unknown:')}
def keel(*args):
    start = time.perf_counter()
    run = subprocess.run(['.build/release/keelsim', *args], capture_output=True, text=True)
    return time.perf_counter() - start, run
rows, fixtures = [], sys.argv[2]
for name in sorted(f[:-6] for f in os.listdir(fixtures) if f.endswith('.jsonl')):
    times, seen = [], set()
    for _ in range(3):
        seconds, run = keel('check', os.path.join(fixtures, name + '.jsonl'), '--timeout', '600')
        times.append(seconds)
        verdict, prefix = verdicts.get(run.returncode, (None, None))
        seen.add(verdict if verdict and run.stdout.startswith(prefix) else f'error(exit {run.returncode})')
    rows.append((name, *porcupine.get(name, ('missing', float('nan'))), '/'.join(sorted(seen)), statistics.median(times)))
print(f'{"file":<14} {"porcupine":>9} {"seconds":>9}   {"keel":>9} {"seconds":>9}')
for name, pv, ps, kv, ks in rows:
    print(f'{name:<14} {pv:>9} {ps:>9.4f}   {kv:>9} {ks:>9.4f}{"" if pv == kv else "   DISAGREE"}')
for family in ('etcd_', 'kv-', ''):
    rs = [r for r in rows if r[0].startswith(family)]
    print(f'{(family.rstrip("_-") or "all") + f" ({len(rs)})":<14} Porcupine total {sum(r[2] for r in rs):.3f} s, '
          f'max {max(r[2] for r in rs):.3f} s; Keel total {sum(r[4] for r in rs):.3f} s, max {max(r[4] for r in rs):.3f} s; '
          f'verdicts agree on {sum(r[1] == r[3] for r in rs)} of {len(rs)}')
floor = statistics.median(keel('check')[0] for _ in range(5))
print(f'Keel process floor (keelsim check with no FILE, usage error, median of 5): {floor:.4f} s; not subtracted')
extra = sorted(set(porcupine) - {r[0] for r in rows})
print('Porcupine files without a Keel fixture: ' + (', '.join(extra) or 'none'))
print('all verdicts agree' if all(r[1] == r[3] for r in rows) else 'VERDICTS DISAGREE')
PY
