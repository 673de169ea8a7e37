#!/bin/sh
# The shipped example hook conf/hooks/tls-alert-mail: given a record and ESATLSD_* variables
# (with a hostile reverse DNS name), it hands sendmail one mail with the fields, runs nothing
# from the data, and fails cleanly without a recipient.
set -u
script=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/sendmail" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$OUT.args"
cat >"$OUT.mail"
SH
chmod +x "$tmp/sendmail"
fail=0
marker="$tmp/marker"
record='{"v":1,"verdict":"tls_failed","icid":7}'
printf '%s\n' "$record" | OUT="$tmp/m" SENDMAIL="$tmp/sendmail" ESATLSD_HOST=esa1 \
	ESATLSD_DIRECTION=inbound ESATLSD_CONN_ID=7 ESATLSD_PEER_IP=192.0.2.1 \
	ESATLSD_PEER_RDNS="\$(touch $marker)\`touch $marker\`" ESATLSD_TLS_ERROR="[Errno 54] reset" \
	ESATLSD_SUPPRESSED=3 ESATLSD_END=lost "$script" postmaster@example.com || fail=1
grep -q '^Subject: TLS failed: inbound 192.0.2.1 on esa1 (+3 more since the last alert)$' "$tmp/m.mail" || fail=1
grep -qF "Peer:        192.0.2.1 (\$(touch $marker)" "$tmp/m.mail" || fail=1
grep -qF "$record" "$tmp/m.mail" || fail=1
[ "$(cat "$tmp/m.args")" = "$(printf -- '-i\n--\npostmaster@example.com')" ] || fail=1
[ ! -e "$marker" ] || fail=1
if printf '{}\n' | SENDMAIL="$tmp/sendmail" "$script" 2>/dev/null; then fail=1; fi
if [ "$fail" -eq 0 ]; then
	echo "hook_script: 1 passed, 0 failed"
else
	echo "hook_script: 0 passed, 1 failed"
	cat "$tmp/m.mail" 2>/dev/null
fi
exit "$fail"
