"""esatlsd explain on the real captures: its counts agree with what the file holds (counted
here with regular expressions) and with the records replay writes; gzip and standard input read
the same; a file of lines that are not ESA mail_logs exits 1 and says why, with at most five
distinct, escaped examples."""

import gzip
import json
import os
import re
import subprocess
import tempfile

from harness import BINARY, DaemonTest, main

REAL = os.environ.get("ESATLSD_SAMPLES", "/work/shared/samples/real")
NATIVE = re.compile(rb"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} ")


def lines_of(path):
    with open(path, "rb") as f:
        data = f.read()
    # The framer yields no message for an empty line.
    return [line for line in data.split(b"\n") if line]


class Explain(DaemonTest):
    def explain(self, args, stdin=None):
        proc = subprocess.run([BINARY, "explain"] + args, input=stdin, capture_output=True,
                              timeout=60)
        self.assertEqual(proc.stderr, b"")
        return proc

    def replay_verdicts(self, path):
        proc = self.run_binary(["-r", path])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        counts = {"tls": 0, "tls_failed": 0, "no_tls": 0, "unknown": 0}
        for line in proc.stdout.splitlines():
            counts[json.loads(line)["verdict"]] += 1
        return counts

    def test_real_samples_counts(self):
        names = sorted(os.listdir(REAL)) if os.path.isdir(REAL) else []
        if not names:
            self.skipTest("no samples at " + REAL)
        for name in names:
            path = os.path.join(REAL, name)
            with self.subTest(name):
                proc = self.explain(["--json", path])
                report = json.loads(proc.stdout)
                lines = lines_of(path)
                self.assertEqual(report["lines"], len(lines))
                self.assertEqual(report["recognised"] + report["unclassified"] +
                                 report["continuations"], len(lines))
                self.assertEqual(report["shapes"].get("native", 0),
                                 sum(1 for l in lines if NATIVE.match(l)))
                self.assertEqual(report["verdicts"], self.replay_verdicts(path))
                self.assertEqual(proc.returncode, 0 if report["recognised"] else 1)
                self.assertLessEqual(len(report["examples"]), 5)
                seen = [e["line"] for e in report["examples"]]
                self.assertEqual(len(seen), len(set(seen)))

    def test_2014_capture_in_detail(self):
        path = os.path.join(REAL, "asyncos-7.6.3-2014-native.log")
        if not os.path.exists(path):
            self.skipTest("no sample")
        report = json.loads(self.explain(["--json", path]).stdout)
        lines = lines_of(path)
        grep = lambda rx: sum(1 for l in lines if re.search(rx, l))
        self.assertEqual(report["kinds"]["tls_ok"], grep(rb" TLS success"))
        self.assertEqual(report["kinds"]["conn_open"], grep(rb"Info: New SMTP [ID]CID "))
        self.assertEqual(report["kinds"]["conn_end"], grep(rb"[ID]CID \d+ (close|lost)$"))
        self.assertEqual(report["continuations"], grep(rb"^#"))
        self.assertEqual(report["sources"], {"": len(lines) - grep(rb"^#")})
        self.assertEqual(report["shapes"], {"native": 1000, "none": 1})

    def test_gzip_and_stdin_read_the_same(self):
        path = os.path.join(REAL, "syslog-push-rfc3164.log")
        if not os.path.exists(path):
            self.skipTest("no sample")
        with open(path, "rb") as f:
            data = f.read()
        plain = json.loads(self.explain(["--json", path]).stdout)
        with tempfile.TemporaryDirectory() as tmp:
            gz = os.path.join(tmp, "x.log.gz")
            with gzip.open(gz, "wb") as f:
                f.write(data)
            from_gz = json.loads(self.explain(["--json", gz]).stdout)
        from_stdin = json.loads(self.explain(["--json", "-"], stdin=gzip.compress(data)).stdout)
        for other in (from_gz, from_stdin):
            del other["input"]
        del plain["input"]
        self.assertEqual(from_gz, plain)
        self.assertEqual(from_stdin, plain)
        self.assertEqual(plain["tags"], {"mail_logs": 33})

    def test_no_esa_lines_exits_1_and_says_why(self):
        text = ("<13>Nov 19 09:16:46 host1 sshd[22]: Accepted password for root\n"
                "<13>Nov 19 09:16:46 host1 esa_tail: Fri Dec  4 09:00:00 Info: ICID 101 close\n"
                "2023-11-19 09:16:46 esa1 mail_logs: Info: ICID 5 close\n"
                "<13>Nov 19 09:16:46 host1 x: \x1b[31mred \"quoted\"\n" * 3)
        proc = self.explain(["-"], stdin=text.encode())
        self.assertEqual(proc.returncode, 1, proc.stdout)
        out = proc.stdout.decode()
        self.assertIn("0 recognised as ESA mail_logs", out)
        self.assertIn("[rfc3164, no_level]", out)
        self.assertIn("[rfc3164, yearless_inner_stamp]", out)
        self.assertIn("[none, continuation]", out)
        self.assertIn('\\u001b[31mred \\"quoted\\"', out)
        self.assertNotIn("\x1b", out)
        self.assertIn("Troubleshooting: nothing comes out", out)
        report = json.loads(self.explain(["--json", "-"], stdin=text.encode()).stdout)
        self.assertEqual(report["lines"], 12)
        self.assertEqual(len(report["examples"]), 4)  # distinct lines only

    def test_usage_errors(self):
        self.assertEqual(self.run_binary(["explain"]).returncode, 2)
        proc = self.run_binary(["explain", "/nonexistent/x.log"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("cannot open /nonexistent/x.log", proc.stderr)


if __name__ == "__main__":
    main()
