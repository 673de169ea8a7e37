#!/bin/sh
# Replay mode against the real binary: the seed's records byte for byte, -o, stdin, several
# inputs, valid JSON on every line, and clear failures for missing inputs and a full disk.
set -u
bin=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# The seed gives exactly the expected records.
"$bin" -r "$data/seed.log" >"$tmp/seed.out" 2>"$tmp/seed.err"
check "seed exits 0" $?
cmp -s "$tmp/seed.out" "$data/seed.expected.jsonl"
check "seed records match seed.expected.jsonl" $?
[ -s "$tmp/seed.out" ] && [ ! -s "$tmp/seed.err" ]
check "seed writes records and no warnings" $?

# Every header shape a collector or forwarder writes gives its expected records (one per line
# of shapes.expected.jsonl; the continuation fragment in it closes nothing).
"$bin" -r "$data/shapes.log" | cmp -s - "$data/shapes.expected.jsonl"
check "shapes records match shapes.expected.jsonl" $?

# -o writes the same to a file; stdin via "-" gives the same again.
"$bin" -r "$data/seed.log" -o "$tmp/seed.file" && cmp -s "$tmp/seed.file" "$data/seed.expected.jsonl"
check "-o FILE" $?
"$bin" -r - <"$data/seed.log" | cmp -s - "$data/seed.expected.jsonl"
check "-r - reads stdin" $?

# Every real sample at once: every line is one valid JSON object.
set -- "$data"/real/*.log "$data"/real/*.txt
args=""
for f in "$@"; do args="$args -r $f"; done
# shellcheck disable=SC2086
"$bin" $args -o "$tmp/all.jsonl"
check "all samples replay" $?
python3 - "$tmp/all.jsonl" <<'PY'
import json, sys
n = 0
with open(sys.argv[1], 'rb') as f:
    for raw in f:
        obj = json.loads(raw.decode('utf-8', 'strict'))
        assert obj["v"] == 1 and obj["verdict"] in ("tls", "tls_failed", "no_tls", "unknown"), obj
        n += 1
assert n > 100, n
PY
check "all sample records are valid JSON" $?

# A missing input: exit 2, its name on stderr, nothing written.
"$bin" -r "$data/seed.log" -r "$tmp/does-not-exist" >"$tmp/missing.out" 2>"$tmp/missing.err"
[ $? -eq 2 ] && grep -q "does-not-exist" "$tmp/missing.err" && [ ! -s "$tmp/missing.out" ]
check "missing input: exit 2 and a clear message" $?

# A directory as input: exit 2, nothing written.
"$bin" -r "$data/seed.log" -r "$tmp" >"$tmp/dir.out" 2>"$tmp/dir.err"
[ $? -eq 2 ] && grep -q "directory" "$tmp/dir.err" && [ ! -s "$tmp/dir.out" ]
check "directory input: exit 2" $?

# -H names the appliance of the inputs after it: two files with the same ICIDs stay apart.
"$bin" -H esa1 -r "$data/seed.log" -H esa2 -r "$data/seed.log" -o "$tmp/two.jsonl"
[ "$(grep -c '"host":"esa1"' "$tmp/two.jsonl")" -eq 4 ] && [ "$(grep -c '"host":"esa2"' "$tmp/two.jsonl")" -eq 4 ]
check "-H keeps appliances apart" $?

# An output that cannot be opened: exit 2.
"$bin" -r "$data/seed.log" -o "$tmp/no/such/dir/out" 2>"$tmp/badout.err"
[ $? -eq 2 ] && grep -q "cannot open" "$tmp/badout.err"
check "unopenable output: exit 2" $?

# A full disk: exit 1 and say so.
if [ -w /dev/full ]; then
	"$bin" -r "$data/seed.log" -o /dev/full 2>"$tmp/full.err"
	[ $? -eq 1 ] && grep -q "write failed" "$tmp/full.err"
	check "full disk: exit 1 and a message" $?
fi

# Garbage input: no crash, no records, exit 0.
head -c 200000 /dev/urandom >"$tmp/garbage"
"$bin" -r "$tmp/garbage" >"$tmp/garbage.out"
check "random bytes replay without a crash" $?

# Usage errors: exit 2.
"$bin" -o out.jsonl >/dev/null 2>&1
[ $? -eq 2 ]
check "-o without -r: exit 2" $?
"$bin" -x >/dev/null 2>&1
[ $? -eq 2 ]
check "unknown option: exit 2" $?

finish replay_cli
