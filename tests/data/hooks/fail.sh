#!/bin/sh
# Fails: "status N" writes two stderr lines (one with an escape sequence) and exits with N;
# "signal" ends itself with SIGTERM; "noisy N" writes N lines to stderr and exits 0.
case $1 in
status)
	echo "cannot reach the pager" >&2
	printf 'bad\033[31mcolour\\n\n' >&2
	exit "$2"
	;;
signal)
	kill -TERM $$
	sleep 5
	;;
noisy)
	yes 'noise line' | head -n "$2" >&2
	;;
esac
