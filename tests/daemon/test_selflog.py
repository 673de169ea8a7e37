"""The daemon's own log: a hook that fails on every alert gives five lines and then one
"N more like this" summary whose count makes the total exact (at stop, and from the periodic
tick once the window has ended while the daemon keeps running); bad input writes no log line;
-v adds debug lines; with stderr on the journal ($JOURNAL_STREAM naming fd 2) every line
carries its syslog priority as "<N>"."""

import os
import re
import time

from harness import (JOURNAL_WRAPPER, DaemonTest, config, esa_connection, free_port, main,
                     read_records, send_tcp, send_udp, syslog_line, wait_until)

BURST = 5
FAIL_LINE = "hook fail: exited with status 1"
SUMMARY = re.compile(r"^(esatlsd: warning: |<4>)hook fail: exited with status 1 "
                     r"\((\d+) more like this in the last (\d+) s\)$")

# Consumes the record, leaves a mark per run, and fails.
FAIL_HOOK = """#!/bin/sh
cat >/dev/null
: >"$1/run.$$"
exit 1
"""

def failing_connections(first, count):
    """count connections whose TLS failed, as RFC 3164 lines for TCP (one per line)."""
    lines = []
    for icid in range(first, first + count):
        lines += [syslog_line(text) for text in esa_connection(icid, "tls_failed")]
    return "\n".join(lines) + "\n"


class SelfLog(DaemonTest):
    def setUp(self):
        super().setUp()
        self.port = free_port()

    def start_failing(self, args=(), prefix=(), extra=""):
        hooks = ('hooks:\n  - { name: fail, exec: ["@DIR@/fail", "@DIR@/runs"], '
                 'max_concurrent: 4, queue: 1000 }\n' + extra)
        d = self.spawn(config(self.port, "@DIR@/v.jsonl", extra=hooks), start=False,
                       args=args, prefix=prefix)
        self.d = d
        os.makedirs(d.path("runs"))
        with open(d.path("fail"), "w") as f:
            f.write(FAIL_HOOK)
        os.chmod(d.path("fail"), 0o755)
        os.chmod(d.dir, 0o755)
        return d.start()

    def alert(self, d, first, count, runs_before=0):
        """Sends count failing connections and waits until the hook ran for each."""
        send_tcp(self.port, failing_connections(first, count))
        done = runs_before + count
        self.assertTrue(wait_until(lambda: len(os.listdir(d.path("runs"))) == done, timeout=20),
                        d.stderr())

    def lines(self, d, start=0):
        text = d.stderr()
        return text.split("\n")[start:] if text else []

    def test_fifty_failures_five_lines_and_an_exact_summary(self):
        # 50 alerts, each a failed hook run: five lines, then at stop one summary of the 45
        # others; nothing else about them, and no debug line without -v.
        d = self.start_failing()
        started = time.monotonic()
        self.alert(d, 1, 50)
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 50), d.stderr())
        time.sleep(0.3)  # the last exits are reaped
        self.assertEqual(d.stop(), 0)
        self.assertLess(time.monotonic() - started, 55, "the test outlasted one log window")
        lines = self.lines(d)
        single = [l for l in lines if l == "esatlsd: warning: " + FAIL_LINE]
        summaries = [SUMMARY.match(l) for l in lines if SUMMARY.match(l)]
        self.assertEqual(len(single), BURST, d.stderr())
        self.assertEqual(len(summaries), 1, d.stderr())
        self.assertEqual(summaries[0].group(1), "esatlsd: warning: ")
        self.assertEqual(int(summaries[0].group(2)), 50 - BURST)
        self.assertLessEqual(int(summaries[0].group(3)), 60)
        self.assertEqual(len(single) + int(summaries[0].group(2)), 50)
        self.assertEqual(sum(FAIL_LINE in l for l in lines), BURST + 1, d.stderr())
        self.assertFalse([l for l in lines if "debug:" in l], d.stderr())
        # The summary comes after the five lines.
        self.assertGreater(lines.index(summaries[0].group(0)),
                           max(i for i, l in enumerate(lines) if l in single))

    def test_summary_from_tick_after_flood_stops(self):
        # log_repeats: a burst of 3 lines per 3 s window. Eight failures, then silence: once
        # the window has ended the summary of the five held lines comes by itself from the
        # daemon's timer, while the daemon keeps running, and says 3 s.
        d = self.start_failing(extra="log_repeats: { burst: 3, interval: 3s }\n")
        self.alert(d, 1, 8)
        line = d.wait_stderr("more like this", timeout=15)
        self.assertIsNotNone(line, d.stderr())
        m = SUMMARY.match(line)
        self.assertIsNotNone(m, line)
        self.assertEqual((int(m.group(2)), int(m.group(3))), (8 - 3, 3))
        self.assertEqual(sum(l == "esatlsd: warning: " + FAIL_LINE for l in self.lines(d)), 3)
        self.assertIsNone(d.proc.poll())
        # A new window: three lines again, and the stop adds a summary only for what it held.
        before = d.stderr_count()
        self.alert(d, 100, 6, runs_before=8)
        self.assertEqual(d.stop(), 0)
        later = self.lines(d, before)
        self.assertEqual(sum(l == "esatlsd: warning: " + FAIL_LINE for l in later), 3,
                         d.stderr())
        counts = [int(SUMMARY.match(l).group(2)) for l in later if SUMMARY.match(l)]
        self.assertEqual(counts, [3], d.stderr())

    def test_journal_priority_prefix(self):
        # stderr is "the journal": every line starts with its priority and nothing else of the
        # terminal form; warnings are <4>, info <6>, and the summary keeps <4>.
        d = self.start_failing(prefix=JOURNAL_WRAPPER)
        self.alert(d, 1, 8)
        time.sleep(0.3)
        self.assertEqual(d.stop(), 0)
        lines = self.lines(d)
        self.assertTrue(lines)
        for l in lines:
            self.assertRegex(l, r"^<[3467]>", d.stderr())
            self.assertFalse(l[3:].startswith("esatlsd:"), l)
        self.assertIn("<6>ready", lines)
        self.assertIn("<6>listening on tcp 127.0.0.1:%d" % self.port, lines)
        self.assertEqual(lines.count("<4>" + FAIL_LINE), BURST, d.stderr())
        summaries = [SUMMARY.match(l) for l in lines if SUMMARY.match(l)]
        self.assertEqual([(m.group(1), int(m.group(2))) for m in summaries], [("<4>", 3)])

    def test_verbose_adds_debug_lines(self):
        # -v: the hook's start shows as a debug line; the limited warnings are unchanged.
        d = self.start_failing(args=["-v"])
        self.alert(d, 1, 2)
        time.sleep(0.3)
        self.assertEqual(d.stop(), 0)
        lines = self.lines(d)
        self.assertTrue([l for l in lines if l.startswith("esatlsd: debug: hook fail: started pid ")],
                        d.stderr())
        self.assertEqual(lines.count("esatlsd: warning: " + FAIL_LINE), 2, d.stderr())

    def test_bad_input_writes_no_log_line(self):
        # Hundreds of malformed, hostile or unknown messages over UDP and TCP: counted, never
        # logged one by one (the drop report comes once a minute, later than this test ends).
        d = self.start(config(self.port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        self.assertIsNotNone(d.wait_stderr("esatlsd: ready"), d.stderr())
        before = d.stderr_count()
        junk = [b"", b"\x00\x01\x02", b"<999>broken", b"\xff\xfe\xfd invalid utf-8",
                b"<13>Nov 28 12:00:00 esa1 mail_logs: Info: nothing we know", b"x" * 5000,
                b"<13>Nov 28 12:00:00 esa1 mail_logs: Info: ICID 99999999999999999999999 close",
                b"<13>Nov 28 12:00:00 esa1 mail_logs: Info: New SMTP ICID 1 interface",
                b"\"quotes\" and \\backslashes\\\n\r\n"]
        send_udp(self.port, junk * 40)
        send_tcp(self.port, b"\n".join(junk * 40) + b"\n" + b"y" * 70000 + b"\n")
        # A good connection after the junk: when its record is written, the junk was read.
        send_tcp(self.port, "\n".join(syslog_line(t) for t in esa_connection(7, "tls")) + "\n")
        self.assertTrue(wait_until(lambda: any(r.get("icid") == 7
                                               for r in read_records(d.path("v.jsonl")))),
                        d.stderr())
        time.sleep(0.3)
        self.assertEqual(self.lines(d, before), [], d.stderr())


if __name__ == "__main__":
    main()
