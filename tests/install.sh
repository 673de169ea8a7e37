#!/bin/sh
# `DESTDIR=... cmake --install BUILD --prefix /usr` puts every file where a Debian system
# expects it (the program, the configuration and logrotate file in /etc, the unit, the example
# hook, the man pages, the README), the unit's ExecStart= names the installed program and
# configuration, and the installed unit passes tests/systemd_unit.sh. A second install keeps an
# edited configuration.
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

root=$tmp/root
DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/log" 2>&1
check "cmake --install exits 0" $?

[ -x "$root/usr/sbin/esatlsd" ]
check "usr/sbin/esatlsd" $?
for f in etc/esatlsd/esatlsd.yaml etc/logrotate.d/esatlsd usr/share/man/man8/esatlsd.8 \
	usr/share/man/man5/esatlsd.yaml.5 usr/share/doc/esatlsd/README.md \
	usr/share/doc/esatlsd/examples/prometheus/esatlsd-rules.yaml \
	usr/share/doc/esatlsd/examples/grafana/esatlsd-dashboard.json \
	usr/share/doc/esatlsd/examples/webhooks/slack.yaml \
	usr/share/doc/esatlsd/examples/webhooks/alertmanager.yaml; do
	[ -f "$root/$f" ] && [ ! -x "$root/$f" ]
	check "$f" $?
done
[ -x "$root/usr/libexec/esatlsd/tls-alert-mail" ]
check "usr/libexec/esatlsd/tls-alert-mail" $?
# Under the prefix (lib/systemd/system by default) or where ESATLSD_SYSTEMD_UNITDIR says
# (the Debian package: /lib/systemd/system).
unit=$(find "$root" -path '*/lib/systemd/system/esatlsd.service')
[ -n "$unit" ] && [ -f "$unit" ]
check "the unit in a lib/systemd/system directory" $?

# ExecStart= and ExecStartPre= run the installed program on the installed configuration.
grep -qx 'ExecStart=/usr/sbin/esatlsd -c /etc/esatlsd/esatlsd.yaml' "$unit" &&
	grep -qx 'ExecStartPre=/usr/sbin/esatlsd -t -c /etc/esatlsd/esatlsd.yaml' "$unit" &&
	! grep -q '@ESATLSD' "$unit"
check "the unit names /usr/sbin/esatlsd and /etc/esatlsd/esatlsd.yaml" $?

# The default configuration path compiled in is the installed one, and it is valid.
"$root/usr/sbin/esatlsd" --help | grep -q 'default /etc/esatlsd/esatlsd.yaml'
check "--help names /etc/esatlsd/esatlsd.yaml" $?
"$root/usr/sbin/esatlsd" -t -c "$root/etc/esatlsd/esatlsd.yaml" >/dev/null
check "the installed configuration is valid" $?

# A second install keeps what the admin changed in /etc.
echo "# edited" >>"$root/etc/esatlsd/esatlsd.yaml"
DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/log" 2>&1
tail -n 1 "$root/etc/esatlsd/esatlsd.yaml" | grep -qx '# edited'
check "a second install keeps an edited configuration" $?

"$here/systemd_unit.sh" "$unit" "$root"
status=$?
if [ "$status" -ne 77 ]; then
	check "systemd-analyze on the installed unit" $status
fi

finish install
