#!/bin/sh
# Reads standard input only after a while (the writer must wait for the pipe), into DIR.
sleep 0.3
cat >"$1/stdin.$$"
