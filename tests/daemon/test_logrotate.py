"""The shipped logrotate file (conf/esatlsd.logrotate, installed as /etc/logrotate.d/esatlsd)
against the running daemon: `logrotate -f` renames the verdict files and its postrotate HUP
makes the daemon reopen them, while records keep coming, and every record is in exactly one
of the files afterwards, none lost or written twice. Its paths and postrotate command are
pointed at the test's daemon; everything else is used as shipped. Skipped without
logrotate."""

import gzip
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import unittest

from harness import DaemonTest, config, esa_connection, free_port, main, syslog_line, wait_until

SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                       "esatlsd.logrotate")


def records_of(path):
    """The records of one verdict file, plain or gzip-compressed."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    # A line still being written by the daemon has no LF yet: it counts once it has one.
    return data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]


@unittest.skipUnless(shutil.which("logrotate") or os.path.exists("/usr/sbin/logrotate"),
                     "logrotate not installed")
class Logrotate(DaemonTest):
    def rotate_config(self, d):
        """The shipped file with the test daemon's directory and pid in it."""
        with open(SHIPPED) as f:
            text = f.read()
        self.assertIn("/var/log/esatlsd/", text)
        text = text.replace("/var/log/esatlsd/", d.dir + "/")
        text, n = re.subn(r"(\n\s*postrotate\n).*?(\n\s*endscript)",
                          r"\1\t\tkill -HUP %d\2" % d.proc.pid, text, flags=re.S)
        self.assertEqual(n, 1)
        path = d.path("logrotate.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def logrotate(self, d, conf):
        binary = shutil.which("logrotate") or "/usr/sbin/logrotate"
        before = d.stderr_count()
        proc = subprocess.run([binary, "-f", "-s", d.path("logrotate.state"), conf],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # The HUP has been handled once the reload's outcome is logged.
        self.assertTrue(wait_until(lambda: any(("reloaded" in l or "reload failed" in l)
                                               for l in d.stderr_lines[before:])), d.stderr())

    def rotate_while_sending(self, break_config):
        """Sends 900 connections over TCP while logrotate runs three times; returns the
        daemon. break_config empties the configuration first: the reload is then refused,
        and the files must be reopened all the same."""
        port = free_port()
        outputs = ('  - { file: "@DIR@/failed.jsonl", verdicts: [tls_failed] }\n')
        d = self.start(config(port, "@DIR@/verdicts.jsonl") + outputs)
        conf = self.rotate_config(d)
        if break_config:
            d.write_config("")
        icids = list(range(1000, 1900))
        done = threading.Event()

        def send():
            with socket.create_connection(("127.0.0.1", port)) as s:
                for icid in icids:
                    verdict = "tls_failed" if icid % 3 == 0 else "tls"
                    lines = [syslog_line(t) for t in esa_connection(icid, verdict)]
                    s.sendall(("\n".join(lines) + "\n").encode())
                    time.sleep(0.003)
            done.set()

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        for _ in range(3):
            time.sleep(0.7)
            self.logrotate(d, conf)
        self.assertTrue(done.wait(30))
        # Every connection's close line has been read before the stop.
        self.assertTrue(wait_until(lambda: len(self.icids(d, "verdicts.jsonl")) == len(icids)),
                        d.stderr())
        self.assertEqual(d.stop(), 0)
        return d, icids

    def icids(self, d, name):
        """The ICIDs of every record in name and its rotated files, in file order."""
        seen = []
        for f in sorted(f for f in os.listdir(d.dir) if f.startswith(name)):
            for raw in records_of(os.path.join(d.dir, f)):
                seen.append(int(re.search(rb'"icid":(\d+)', raw).group(1)))
        return seen

    def check_files(self, d, name, expected):
        files = sorted(f for f in os.listdir(d.dir) if f.startswith(name))
        # delaycompress: the newest rotated file stays plain, older ones are gzip files.
        self.assertIn(name + ".1", files)
        self.assertIn(name + ".2.gz", files)
        self.assertIn(name + ".3.gz", files)
        for f in (name + ".1", name + ".2.gz"):
            self.assertTrue(records_of(os.path.join(d.dir, f)), f)
        seen = self.icids(d, name)
        self.assertEqual(len(seen), len(set(seen)), "a record written twice")
        self.assertEqual(sorted(seen), expected)

    def test_rotation_loses_nothing(self):
        # Three forced rotations while 900 connections arrive: every record is in exactly
        # one file of each output, which logrotate left as .1, .2.gz and .3.gz.
        d, icids = self.rotate_while_sending(break_config=False)
        self.check_files(d, "verdicts.jsonl", icids)
        self.check_files(d, "failed.jsonl", [i for i in icids if i % 3 == 0])
        self.assertNotIn("reload failed", d.stderr())

    def test_rotation_with_a_refused_reload_loses_nothing(self):
        # The configuration was emptied before the rotations: each HUP's reload is refused,
        # yet the files are reopened and nothing is lost or doubled.
        d, icids = self.rotate_while_sending(break_config=True)
        self.assertIn("reload refused", d.stderr())
        self.check_files(d, "verdicts.jsonl", icids)


if __name__ == "__main__":
    main()
