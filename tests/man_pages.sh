#!/bin/sh
# The man pages render without a groff warning, and esatlsd.yaml(5) documents exactly the keys
# the configuration parser accepts (read from its key tables in daemon/config*.c), each of which
# conf/esatlsd.yaml mentions too. Skipped (77) where groff is not installed.
set -u
src=$1
command -v groff >/dev/null 2>&1 || { echo "groff not installed: skipped"; exit 77; }
. "$(dirname "$0")/lib.sh"

for page in "$src"/man/esatlsd.8 "$src"/man/esatlsd.yaml.5; do
	out=$(groff -ww -z -man "$page" 2>&1)
	status=$?
	[ -n "$out" ] && printf '%s\n' "$out" >&2
	[ "$status" -eq 0 ] && [ -z "$out" ]
	check "$(basename "$page") renders without warnings" $?
done

python3 - "$src" <<'PY'
import re, sys
src = sys.argv[1]

# The parser: every string of a key table, "static const char *const <name>keys[...] = {...}".
parser = set()
for name in ("daemon/config.c", "daemon/config_hooks.c", "daemon/config_appliances.c",
             "daemon/config_posture.c"):
    text = open("%s/%s" % (src, name)).read()
    tables = re.findall(r"static const char \*const \w*keys\[[^\]]*\]\s*=\s*\{([^}]*)\}", text)
    assert tables, "no key tables in " + name
    for body in tables:
        parser.update(re.findall(r'"([^"]*)"', body))

# The page: a key is a tagged paragraph whose tag is one bold word (".TP" then ".B key").
page = open(src + "/man/esatlsd.yaml.5").read()
documented = set(re.findall(r"^\.TP\n\.B ([a-z_]+)\n", page, re.M))

status = 0
for key in sorted(parser - documented):
    print("FAIL: esatlsd.yaml(5) does not document '%s'" % key)
    status = 1
for key in sorted(documented - parser):
    print("FAIL: esatlsd.yaml(5) documents '%s', which the parser does not accept" % key)
    status = 1
shipped = open(src + "/conf/esatlsd.yaml").read()
for key in sorted(k for k in parser if not re.search(r"\b%s\b" % re.escape(k), shipped)):
    print("FAIL: conf/esatlsd.yaml does not mention '%s'" % key)
    status = 1
print("%d keys in the parser, %d documented" % (len(parser), len(documented)))
sys.exit(status)
PY
check "esatlsd.yaml(5) and conf/esatlsd.yaml name the parser's keys" $?

finish man_pages
