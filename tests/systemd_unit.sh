#!/bin/sh
# An installed unit passes `systemd-analyze verify` and scores "OK" or better (exposure <= 2.5)
# in `systemd-analyze security`. $1 is the unit, $2 (optional) the DESTDIR it was installed
# under: its programs are looked for there. Skipped (77) where systemd-analyze is not installed.
set -u
unit=$1
destdir=${2:-}
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify checks that ExecStart= programs exist: point them into the install tree. Man pages are
# not looked up there, so that check is left to a real install (.ci/run).
man=yes
if [ -n "$destdir" ]; then
	sed "s|^\(Exec[A-Za-z]*=\)\(/[^ ]*/esatlsd\) |\1$destdir\2 |" "$unit" >"$tmp/esatlsd.service"
	man=no
else
	cp "$unit" "$tmp/esatlsd.service"
fi
systemd-analyze verify --man="$man" "$tmp/esatlsd.service" || { echo "FAIL: systemd-analyze verify"; exit 1; }
grep -q '^Type=notify$' "$unit" || { echo "FAIL: not Type=notify"; exit 1; }
score=$(systemd-analyze security --offline=true "$tmp/esatlsd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for esatlsd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "FAIL: no security score"; exit 1; }
echo "exposure level $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || { echo "FAIL: exposure $score > 2.5"; exit 1; }
echo "systemd_unit: 3 passed, 0 failed"
