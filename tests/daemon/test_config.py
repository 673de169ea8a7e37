"""The configuration file against the real binary: `esatlsd -t` accepts the shipped file and
rejects broken ones with every problem at FILE:LINE:COLUMN; the daemon refuses to start on a
broken file (exit 2, nothing bound) or on an address in use (exit 1); with --defaults it runs on
the built-in defaults."""

import json
import os
import socket

from harness import FilesTest, config, free_port, logger, main, seed_texts, wait_until

SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                       "esatlsd.yaml")

# Each broken file with the problems -t must report, in file order: (line, column, text).
MANY_ERRORS = (
    'listen:\n'
    '  - { proto: udp, address: "127.0.0.1:5514" }\n'
    '  - { proto: tcp, address: "127.0.0.1:5514", max_connections: 0 }\n'
    '  - { proto: sctp, address: "127.0.0.1:1" }\n'
    '  - { proto: udp, address: "localhost:5514", idle_timeout: 5s }\n'
    'allow_from: [10.0.0.1/8, "::1", bogus]\n'
    'max_message_size: 12\n'
    'bogus: 1\n'
    'tracking:\n'
    '  idle_timeout: soon\n'
    '  linger: 60s\n'
    '  linger: 30s\n'
    'outputs:\n'
    '  - { file: a.jsonl, verdicts: [tls, maybe, tls] }\n'
    '  - { file: a.jsonl, queue: -1 }\n'
)
MANY_EXPECTED = [
    (3, 63, "'max_connections' in listen entry must be between 1 and 65536, got \"0\""),
    (4, 14, "expected udp, tcp or tls for 'proto' in listen entry, got \"sctp\""),
    (5, 28, "for 'address' in listen entry, got \"localhost:5514\""),
    (5, 46, "'idle_timeout' applies only to tcp and tls listeners"),
    (6, 14, "for allow_from entry, got \"10.0.0.1/8\""),
    (6, 33, "for allow_from entry, got \"bogus\""),
    (7, 19, "'max_message_size' must be between 1KiB and 1MiB, got \"12\""),
    (8, 1, "unknown key 'bogus'"),
    (10, 17, "for 'idle_timeout' in tracking, got \"soon\""),
    (12, 3, "duplicate key 'linger' in tracking (first at 11:3)"),
    (14, 38, "for verdicts entry, got \"maybe\""),
    (14, 45, "duplicate verdict \"tls\" in 'verdicts' (first at 14:33)"),
    (15, 13, "duplicate output file \"a.jsonl\" (first at 14:13)"),
    (15, 29, "'queue' in outputs entry must be between 1 and 10000000, got \"-1\""),
]

BROKEN = {
    "unclosed flow": ("listen: [\n", [(2, 1, "did not find expected node content")]),
    "tab indent": ('listen:\n\t- { proto: udp, address: "127.0.0.1:1" }\n',
                   [(2, 1, "a tab: indent with spaces")]),
    "empty lists": ("listen: []\noutputs: []\n",
                    [(1, 9, "nothing to listen on: 'listen' is empty"),
                     (2, 10, "nothing to write to: 'outputs' is empty")]),
    "alias": ("tracking:\n  idle_timeout: &t 10m\n  lifetime: *t\n",
              [(3, 13, "aliases are not supported (*t)")]),
    "NUL byte": ("max_message_size: 64K\0iB\n",
                 [(1, 22, "control characters are not allowed (byte 0x00)")]),
    "deep nesting": ("tracking: " + "[" * 40 + "]" * 40 + "\n",
                     [(1, 42, "nesting deeper than 32 levels")]),
    "not a mapping": ("- 1\n- 2\n", [(1, 1, "expected a mapping at the top level, got a list")]),
}


class Config(FilesTest):
    def check_fails(self, path, expected):
        """-t on path exits 2 and reports exactly the expected problems, in order, then the
        summary line; nothing on standard output."""
        proc = self.run_binary(["-t", "-c", path])
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(proc.stdout, "")
        lines = proc.stderr.splitlines()
        self.assertEqual(lines[-1], "%s: configuration not valid" % path)
        problems = lines[:-1]
        self.assertEqual(len(problems), len(expected), proc.stderr)
        for line, (row, col, text) in zip(problems, expected):
            self.assertTrue(line.startswith("%s:%d:%d: " % (path, row, col)), (line, row, col))
            self.assertIn(text, line)

    def test_check_shipped_config(self):
        # The shipped conf/esatlsd.yaml is valid: -t exits 0 and says so on standard output.
        proc = self.run_binary(["-t", "-c", SHIPPED])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "%s: configuration valid\n" % SHIPPED)
        self.assertEqual(proc.stderr, "")

    def test_check_defaults_and_empty_file(self):
        # --defaults, and an empty file: both mean the built-in defaults, which are valid.
        proc = self.run_binary(["-t", "--defaults"])
        self.assertEqual((proc.returncode, proc.stdout),
                         (0, "built-in defaults: configuration valid\n"), proc.stderr)
        empty = self.write("empty.yaml", "")
        proc = self.run_binary(["-t", "-c", empty])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_check_reports_every_error_with_position(self):
        # One file with fourteen problems: each is reported at its FILE:LINE:COLUMN, in file
        # order, and -t exits 2.
        self.check_fails(self.write("many.yaml", MANY_ERRORS), MANY_EXPECTED)

    def test_check_broken_files(self):
        # Syntax errors, tabs, empty lists, aliases, NUL bytes, deep nesting and a top level
        # that is not a mapping: exit 2 with the position of the problem.
        for name, (text, expected) in BROKEN.items():
            with self.subTest(name):
                self.check_fails(self.write(name.replace(" ", "_") + ".yaml", text), expected)

    def test_check_unreadable_files(self):
        # A missing file, a directory, a file over 1 MiB and invalid UTF-8: exit 2, named.
        cases = {
            os.path.join(self.tmp.name, "missing.yaml"): "No such file or directory",
            self.tmp.name: "Is a directory",
            self.write("big.yaml", "#" * (1024 * 1024 + 10) + "\n"): "larger than 1 MiB",
            self.write("utf.yaml", b"bogus\xff: 1\n"): ":1:6: invalid leading UTF-8 octet",
        }
        for path, text in cases.items():
            with self.subTest(path):
                proc = self.run_binary(["-t", "-c", path])
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(path + ":", proc.stderr)
                self.assertIn(text, proc.stderr)

    def test_daemon_refuses_broken_config(self):
        # Started (not -t) on a file with a bad value after a valid listen list: exit 2 with
        # the position, no READY=1, and the listen port was never bound.
        port = free_port()
        text = config(port, "@DIR@/v.jsonl", extra="max_message_size: 1GiB\n")
        d = self.spawn(text, start=False)
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 2)
        self.assertIn("%s:6:19: 'max_message_size' must be between" % d.config_path, d.stderr())
        self.assertNotIn("listening", d.stderr())
        self.assertEqual(d.notified(), [])
        self.assertFalse(os.path.exists(d.path("v.jsonl")))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", port))

    def check_address_in_use(self, proto):
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        port = free_port()
        with socket.socket(socket.AF_INET, kind) as busy:
            busy.bind(("127.0.0.1", port))
            if proto == "tcp":
                busy.listen(1)
            listen = '  - { proto: %s, address: "127.0.0.1:%d" }\n' % (proto, port)
            d = self.spawn(config(port, "@DIR@/v.jsonl", listen=listen), start=False)
            d.start(wait_ready=False)
            self.assertEqual(d.wait_exit(), 1)
        self.assertIn("%s 127.0.0.1:%d: bind: Address already in use" % (proto, port),
                      d.stderr())
        self.assertIn("could not start", d.stderr())
        self.assertNotIn("READY=1", d.notified())
        # -t only reads the file: the same configuration checks as valid.
        self.assertEqual(self.run_binary(["-t", "-c", d.config_path]).returncode, 0)

    def test_tcp_address_in_use(self):
        # A TCP listen address another socket listens on: exit 1, saying which and why.
        self.check_address_in_use("tcp")

    def test_udp_address_in_use(self):
        # The same for a UDP address already bound.
        self.check_address_in_use("udp")

    def test_unopenable_output_exits_1(self):
        # An output file in a directory that does not exist: exit 1 naming the file, no READY.
        port = free_port()
        text = config(port, "@DIR@/missing-dir/v.jsonl")
        d = self.spawn(text, start=False)
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn("cannot open %s: No such file or directory" % d.path("missing-dir/v.jsonl"),
                      d.stderr())
        self.assertNotIn("READY=1", d.notified())

    def skip_unless_builtin_port_free(self):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as s:
                try:
                    s.bind(("127.0.0.1", 5514))
                except OSError:
                    self.skipTest("127.0.0.1:5514 is in use")

    def test_builtin_defaults_listen_on_5514(self):
        # With --defaults the daemon listens on 127.0.0.1:5514 (UDP and TCP) and writes
        # verdicts to standard output. Skipped when something else uses that port.
        self.skip_unless_builtin_port_free()
        d = self.start(None, args=["--defaults"])
        self.assertIn("listening on udp 127.0.0.1:5514", d.stderr())
        self.assertIn("listening on tcp 127.0.0.1:5514", d.stderr())
        logger(5514, seed_texts(), proto="tcp")
        logger(5514, ["Info: ICID 9 close"], proto="udp")
        self.assertTrue(wait_until(lambda: d.stdout().count(b"\n") == 2), d.stderr())
        self.assertEqual(d.stop(), 0)
        records = [json.loads(line) for line in d.stdout().splitlines()]
        self.assertEqual(len(records), 5, records)
        self.assertEqual(sorted((r["direction"], r.get("icid", r.get("dcid"))) for r in records),
                         [("inbound", 9), ("inbound", 282204970), ("inbound", 282204971),
                          ("outbound", 2386069), ("outbound", 2386070)])

    def test_file_without_listen_warns_at_start(self):
        # Started from a file without a listen key, the daemon runs on the built-in listeners
        # and says at once that a reload of that file will be refused until it names them.
        # (Beside the test above: both use 127.0.0.1:5514, so they run one after the other.)
        self.skip_unless_builtin_port_free()
        d = self.start('outputs:\n  - { file: "-" }\n')
        self.assertIsNotNone(d.wait_stderr("has no 'listen' key: listening on the built-in "
                                           "127.0.0.1:5514"), d.stderr())
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
