"""Source identity against the running daemon: connection numbers are per appliance, so the same
ICID from two appliances makes two records; the appliance is the syslog HOSTNAME, else the
sender's address."""

import socket

from harness import (DaemonTest, config, esa_connection, free_port, main, read_complete_records,
                     read_records, send_udp, syslog_line, wait_until)


def interleave(*lists):
    out = []
    for i in range(max(len(x) for x in lists)):
        out.extend(x[i] for x in lists if i < len(x))
    return out


class Sources(DaemonTest):
    def records(self):
        return read_records(self.d.path("v.jsonl"))

    def complete(self):
        return read_complete_records(self.d.path("v.jsonl"))

    def test_same_icid_two_hostnames_stay_apart(self):
        # ICID 500 on esa1 succeeds with TLS, ICID 500 on esa2 closes without TLS; their lines
        # arrive interleaved over UDP, yet each appliance gets its own record and verdict.
        port = free_port()
        self.start(config(port, "@DIR@/v.jsonl"))
        one = [syslog_line(t, host="esa1.example.com") for t in esa_connection(500, "tls")]
        two = [syslog_line(t, host="esa2.example.com") for t in esa_connection(500, "no_tls")]
        send_udp(port, interleave(one, two))
        self.assertTrue(wait_until(lambda: len(self.complete()) == 2), self.d.stderr())
        by_host = {r["host"]: r for r in self.records()}
        self.assertEqual(set(by_host), {"esa1.example.com", "esa2.example.com"})
        self.assertEqual(by_host["esa1.example.com"]["verdict"], "tls")
        self.assertEqual(by_host["esa2.example.com"]["verdict"], "no_tls")
        self.assertEqual(by_host["esa1.example.com"]["lines"], 4)
        self.assertEqual(by_host["esa2.example.com"]["lines"], 3)
        for r in by_host.values():
            self.assertEqual((r["icid"], r["end"]), (500, "close"), r)
        self.assertEqual(self.d.stop(), 0)
        self.assertEqual(len(self.records()), 2)

    def test_hostname_wins_over_sender_address(self):
        # With a HOSTNAME the sender's address does not matter: one appliance's lines arriving
        # from 127.0.0.1 and 127.0.0.2 (a relay pair) make one record for that host.
        port = free_port()
        self.start(config(port, "@DIR@/v.jsonl"))
        lines = [syslog_line(t, host="esa1.example.com") for t in esa_connection(550, "tls")]
        send_udp(port, lines[:2], source="127.0.0.1")
        send_udp(port, lines[2:], source="127.0.0.2")
        self.assertTrue(wait_until(lambda: len(self.complete()) == 1), self.d.stderr())
        self.assertEqual(self.d.stop(), 0)
        records = self.records()
        self.assertEqual(len(records), 1, records)
        self.assertEqual((records[0]["host"], records[0]["verdict"], records[0]["lines"]),
                         ("esa1.example.com", "tls", 4))

    def test_no_hostname_keyed_by_sender_address(self):
        # "<166>Nov 28 12:00:00 mail_logs: Info: ..." names no appliance: the sender's address
        # does. The same ICID from 127.0.0.1 (tls) and 127.0.0.2 (tls_failed) stays apart.
        port = free_port()
        self.start(config(port, "@DIR@/v.jsonl"))
        one = [syslog_line(t, host=None, pri=166) for t in esa_connection(600, "tls")]
        two = [syslog_line(t, host=None, pri=166) for t in esa_connection(600, "tls_failed")]
        self.assertTrue(one[0].startswith("<166>Nov 28 12:00:00 mail_logs: Info: New SMTP ICID"))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
            a.bind(("127.0.0.1", 0))
            b.bind(("127.0.0.2", 0))
            for x, y in zip(one, two):
                a.sendto(x.encode(), ("127.0.0.1", port))
                b.sendto(y.encode(), ("127.0.0.1", port))
        self.assertTrue(wait_until(lambda: len(self.complete()) == 2), self.d.stderr())
        by_host = {r["host"]: r for r in self.records()}
        self.assertEqual(set(by_host), {"127.0.0.1", "127.0.0.2"})
        self.assertEqual(by_host["127.0.0.1"]["verdict"], "tls")
        self.assertEqual(by_host["127.0.0.2"]["verdict"], "tls_failed")
        self.assertEqual({r["icid"] for r in by_host.values()}, {600})
        self.assertEqual(self.d.stop(), 0)

    def test_no_hostname_over_tcp_keyed_by_peer_address(self):
        # The same over TCP: each connection's peer address names the appliance, and one
        # appliance's lines split over two TCP connections still make one record.
        port = free_port()
        self.start(config(port, "@DIR@/v.jsonl"))
        lines = [syslog_line(t, host=None, pri=166) for t in esa_connection(700, "tls")]
        for source, part in (("127.0.0.2", lines[:2]), ("127.0.0.3", lines),
                             ("127.0.0.2", lines[2:])):
            with socket.create_connection(("127.0.0.1", port), source_address=(source, 0)) as s:
                s.sendall(("\n".join(part) + "\n").encode())
        self.assertTrue(wait_until(lambda: len(self.complete()) == 2), self.d.stderr())
        self.assertEqual(self.d.stop(), 0)
        records = self.records()
        self.assertEqual(sorted(r["host"] for r in records), ["127.0.0.2", "127.0.0.3"])
        for r in records:
            self.assertEqual((r["icid"], r["verdict"], r["end"], r["lines"]),
                             (700, "tls", "close", 4), r)


    def test_no_hostname_over_ipv6_keyed_by_sender_address(self):
        # A hostname-less message from ::1 to an IPv6 listener is keyed by "::1".
        port = free_port(host="::1")
        listen = '  - { proto: udp, address: "[::1]:%d" }\n' % port
        self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        send_udp(port, [syslog_line(t, host=None, pri=166) for t in esa_connection(800)],
                 host="::1")
        self.assertTrue(wait_until(lambda: len(self.complete()) == 1), self.d.stderr())
        r = self.records()[0]
        self.assertEqual((r["host"], r["icid"], r["verdict"]), ("::1", 800, "tls"))
        self.assertEqual(self.d.stop(), 0)


if __name__ == "__main__":
    main()
