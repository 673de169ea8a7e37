#!/bin/sh
# Records what it was given, in DIR (its first argument), one file per item and run: standard
# input, the other arguments (NUL-separated), the environment it was started with, its open
# descriptors (as a program it starts sees them), where its stdout goes and its process group.
dir=$1
shift
out=$(readlink /proc/$$/fd/1)
cat >"$dir/stdin.$$"
printf '%s\0' "$@" >"$dir/argv.$$"
cat /proc/$$/environ >"$dir/env.$$"
ls -l /proc/self/fd >"$dir/fd.$$"
echo "$out" >"$dir/stdout.$$"
cat /proc/$$/stat >"$dir/stat.$$"
