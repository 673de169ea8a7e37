#!/bin/sh
# Runs SECONDS (second argument) and records its start and end in nanoseconds in DIR.
start=$(date +%s%N)
sleep "$2"
end=$(date +%s%N)
echo "$start $end" >"$1/span.$$"
