#!/bin/sh
# Never ends on its own: starts a grandchild in its process group and waits for it. Records both
# process ids in DIR. "ignore-term": both ignore SIGTERM (only SIGKILL stops them);
# "grandchild-ignores-term": the hook itself ends on SIGTERM, its grandchild does not.
dir=$1
case $2 in
ignore-term)
	trap '' TERM
	sleep 1000 &
	;;
grandchild-ignores-term)
	(
		trap '' TERM
		exec sleep 1000
	) &
	;;
*)
	sleep 1000 &
	;;
esac
echo $! >"$dir/grandchild.$$"
echo $$ >"$dir/leader.$$"
wait
