# Shared by the shell tests: check NAME STATUS counts a pass (status 0) or reports a failure;
# finish NAME prints the closing "NAME: N passed, N failed" line and returns non-zero on any
# failure.
failures=0
passes=0

check() { # name, command status (0 = ok)
	if [ "$2" -eq 0 ]; then
		passes=$((passes + 1))
	else
		echo "FAIL: $1" >&2
		failures=$((failures + 1))
	fi
}

finish() {
	echo "$1: $passes passed, $failures failed"
	[ "$failures" -eq 0 ]
}
