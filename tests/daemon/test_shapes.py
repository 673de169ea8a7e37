"""Every way an ESA line reaches the running daemon: the same bytes give the same records as
replay; util-linux logger wrapping log-file lines (RFC 3164 and RFC 5424) gives the log-file
line's own time; a continuation fragment is counted and closes nothing."""

import os
import socket

from harness import (DaemonTest, config, free_port, logger, main, parse_counters,
                     counter_sum, read_records, send_tcp, wait_until)

DATA = os.environ["ESATLSD_TEST_DATA"]
SHAPES = os.path.join(DATA, "shapes.log")


class Shapes(DaemonTest):
    def test_tcp_gives_the_records_of_replay(self):
        # shapes.log over TCP (LF framing) against esatlsd -r of the same file, with -H naming
        # the sender for the lines that carry no host, as the daemon does.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        with open(SHAPES, "rb") as f:
            send_tcp(port, f.read())
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 9), d.stderr())
        self.assertEqual(d.stop(), 0)
        replay = self.run_binary(["-H", "127.0.0.1", "-r", SHAPES])
        self.assertEqual(replay.returncode, 0, replay.stderr)
        with open(d.path("v.jsonl")) as f:
            self.assertEqual(f.read(), replay.stdout)

    def check_wrapped(self, rfc):
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        lines = ["Fri Dec  4 09:00:00 2026 Info: New SMTP ICID 101 interface Data 1 (10.0.0.1) "
                 "address 192.0.2.1 reverse dns host mx.example.org verified yes",
                 "Fri Dec  4 09:00:01 2026 Info: ICID 101 TLS failed: [Errno 54] Connection "
                 "reset by peer",
                 "Fri Dec  4 09:00:02 2026 Info: ICID 101 close"]
        logger(port, lines, proto="tcp", rfc=rfc, tag="esa_tail")
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1), d.stderr())
        r = read_records(d.path("v.jsonl"))[0]
        self.assertEqual((r["verdict"], r["end"], r["icid"]), ("tls_failed", "close", 101))
        self.assertEqual(r["first_seen"], "2026-12-04T09:00:00")
        self.assertEqual(r["last_seen"], "2026-12-04T09:00:02")
        self.assertEqual(r["host"], socket.gethostname())
        self.assertEqual(d.stop(), 0)

    def test_logger_rfc3164_wrapping_log_file_lines(self):
        self.check_wrapped("--rfc3164")

    def test_logger_rfc5424_wrapping_log_file_lines(self):
        self.check_wrapped("--rfc5424")

    def test_continuation_fragment_counted_and_attached_to_nothing(self):
        # A Trace line split by its embedded newline: the tail reads "ICID 9 close" but must
        # not close ICID 9, which stays open until the stop.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        stream = ("<14>Dec  5 10:00:00 esa1 mail_logs: Info: New SMTP ICID 9 interface Data 1 "
                  "(10.0.0.1) address 192.0.2.9 reverse dns host unknown verified no\n"
                  "<14>Dec  5 10:00:00 esa1 mail_logs: Trace: ICID 9 data follows and\n"
                  "ICID 9 close\n"
                  "<14>Dec  5 10:00:00 esa1 mail_logs: Info: ICID 9 TLS success protocol TLSv1.3 "
                  "cipher TLS_AES_128_GCM_SHA256\n")
        send_tcp(port, stream)
        self.assertTrue(wait_until(lambda: d.count("esatlsd_messages_total") == 4), d.stderr())
        m = parse_counters(d.counters())
        self.assertEqual(counter_sum(m, "esatlsd_continuation_lines_total"), 1)
        self.assertEqual(counter_sum(m, "esatlsd_lines_total", kind="unclassified"), 0)
        self.assertEqual(counter_sum(m, "esatlsd_connections_open"), 1)
        # The fragment named no appliance: only esa1 is known.
        self.assertEqual(counter_sum(m, "esatlsd_appliance_messages_total", host="esa1"), 3)
        self.assertEqual(counter_sum(m, "esatlsd_appliance_messages_total"), 3)
        self.assertEqual(d.stop(), 0)
        records = read_records(d.path("v.jsonl"))
        self.assertEqual(len(records), 1, records)
        self.assertEqual((records[0]["verdict"], records[0]["end"]), ("tls", "shutdown"))


if __name__ == "__main__":
    main()
