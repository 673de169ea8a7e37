"""esatlsd report on the verdict files esatlsd -r makes of tests/data/real: its --json counts
per peer match counts made here with python's json from the same files (plain and gzip), the
table lists the same peers, --since drops older records, and bad options exit 2.
Usage: report_cli.py ESATLSD DATA_DIR"""

import collections
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ESATLSD, DATA = sys.argv.pop(1), sys.argv.pop(1)


def host_domain(host):
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def peer(rec, by):
    if by == "appliance":
        return rec.get("host") or "(none)"
    if by == "domain":
        if rec["direction"] == "outbound":
            if rec.get("peer_domain") or rec.get("tls_domain"):
                return rec.get("peer_domain") or rec.get("tls_domain")
        elif rec.get("peer_rdns", "unknown") != "unknown" and "." in rec["peer_rdns"]:
            return host_domain(rec["peer_rdns"])
    return rec.get("peer_ip") or "(unknown)"


def expected(records, by, since=None):
    rows = collections.defaultdict(lambda: collections.Counter())
    for rec in records:
        if rec.get("type") != "connection":
            continue
        seen = rec.get("last_seen") or rec.get("first_seen") or ""
        if since and seen and seen < since:
            continue
        row = rows[(rec["direction"], peer(rec, by))]
        row["connections"] += 1
        row[rec["verdict"]] += 1
    return rows


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="report_cli.")
        cls.files, cls.records = [], []
        for log in sorted(glob.glob(os.path.join(DATA, "real", "*.log"))):
            out = os.path.join(cls.dir, os.path.basename(log) + ".jsonl")
            subprocess.run([ESATLSD, "-r", log, "-o", out], check=True,
                           stderr=subprocess.DEVNULL)
            with open(out) as f:
                cls.records += [json.loads(line) for line in f if line.strip()]
            cls.files.append(out)
        # One file gzip-compressed, as logrotate leaves them.
        with open(cls.files[0], "rb") as f, gzip.open(cls.files[0] + ".gz", "wb") as g:
            g.write(f.read())
        os.unlink(cls.files[0])
        cls.files[0] += ".gz"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def report(self, *args, status=0):
        p = subprocess.run([ESATLSD, "report", *args], capture_output=True, text=True)
        self.assertEqual(p.returncode, status, p.stderr)
        return p.stdout

    def check(self, by, since=None):
        args = ["--by", by, "--json"] + (["--since", since] if since else []) + self.files
        got = json.loads(self.report(*args))
        want = expected(self.records, by, since)
        self.assertGreater(len(want), 3)
        self.assertEqual(len(got["peers"]), len(want))
        self.assertEqual(got["connections"], sum(r["connections"] for r in want.values()))
        for p in got["peers"]:
            w = want[(p["direction"], p["peer"])]
            for key in ("connections", "tls", "tls_failed", "no_tls", "unknown"):
                self.assertEqual(p[key], w[key], (by, p))
        # Most connections first.
        counts = [p["connections"] for p in got["peers"]]
        self.assertEqual(counts, sorted(counts, reverse=True))
        return got

    def test_by_domain(self):
        got = self.check("domain")
        failed = [p for p in got["peers"] if p["tls_failed"]]
        self.assertTrue(failed)
        for p in failed:
            self.assertEqual(sum(r["count"] for r in p["failure_reasons"]) <= p["tls_failed"],
                             True)
            self.assertTrue(p["failure_reasons"])

    def test_by_ip(self):
        self.check("ip")

    def test_by_appliance(self):
        self.check("appliance")

    def test_since(self):
        got = self.check("ip", "2023-01-01")
        self.assertGreater(got["too_old"], 0)

    def test_table_names_every_peer(self):
        table = self.report(*self.files).splitlines()
        self.assertIn("%tls", table[0])
        want = expected(self.records, "domain")
        self.assertEqual(len(table) - 1, len(want))
        for line in table[1:]:
            direction, name = line.split()[:2]
            self.assertIn((direction, name), want)

    def test_html_page(self):
        # One self-contained page: every peer, a bar each, the failure timeline; nothing
        # fetched from elsewhere, nothing on standard output.
        page = os.path.join(self.dir, "posture.html")
        self.assertEqual(self.report("--html", page, *self.files), "")
        with open(page) as f:
            html = f.read()
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertTrue(html.rstrip().endswith("</html>"))
        self.assertNotIn("src=", html)
        self.assertNotIn("href=", html)
        self.assertNotIn("<script", html)
        want = expected(self.records, "domain")
        self.assertEqual(html.count("<tr><td>"), len(want))
        for _, name in want:
            self.assertIn("<td>%s</td>" % name.replace("&", "&amp;").replace("<", "&lt;"), html)
        self.assertIn("failed of", html)
        # With --json as well, the page is written and the document printed.
        got = json.loads(self.report("--json", "--html", page, *self.files))
        self.assertEqual(len(got["peers"]), len(want))

    def test_usage(self):
        self.report(status=2)
        self.report("--by", "peer", self.files[0], status=2)
        self.report("--since", "soon", self.files[0], status=2)
        self.report("/nonexistent/file.jsonl", status=1)
        self.report("--html", "/nonexistent/dir/page.html", self.files[0], status=1)


if __name__ == "__main__":
    unittest.main()
