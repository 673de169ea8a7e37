"""Ingest against the running daemon: the seed log sent by util-linux logger over UDP, TCP with
LF framing and TCP with octet counting gives the four seed verdicts; IPv6; RFC 5424."""

import socket

from harness import DaemonTest, config, free_port, logger, main, read_records, seed_texts, wait_until

EXPECTED = {
    ("inbound", 282204970): ("tls", "shutdown"),
    ("inbound", 282204971): ("tls_failed", "lost"),
    ("outbound", 2386069): ("tls", "shutdown"),
    ("outbound", 2386070): ("tls_failed", "shutdown"),
}


def by_conn(records):
    out = {}
    for r in records:
        key = (r["direction"], r.get("icid", r.get("dcid")))
        out.setdefault(key, []).append(r)
    return out


class Ingest(DaemonTest):
    def check_seed(self, proto, **kw):
        port = free_port()
        out = "@DIR@/verdicts.jsonl"
        d = self.start(config(port, out))
        logger(port, seed_texts(), proto=proto, **kw)
        # The lost ICID ends at its close line: its record arrives while the daemon runs.
        self.assertTrue(wait_until(lambda: len(read_records(d.path("verdicts.jsonl"))) == 1),
                        d.stderr())
        self.assertEqual(d.stop(), 0)
        records = read_records(d.path("verdicts.jsonl"))
        conns = by_conn(records)
        self.assertEqual(len(records), 4, records)
        for key, (verdict, end) in EXPECTED.items():
            self.assertEqual(len(conns[key]), 1, key)
            self.assertEqual((conns[key][0]["verdict"], conns[key][0]["end"]), (verdict, end), key)
        failed = conns[("inbound", 282204971)][0]
        self.assertEqual(failed["tls_error"], "TLS was required but remote host did not initiate it")
        self.assertEqual(failed["host"], socket.gethostname())
        self.assertEqual(conns[("outbound", 2386069)][0]["tls_cn"], "common")
        return d

    def test_udp(self):
        # logger -d: one datagram per line, RFC 3164 with hostname and tag.
        self.check_seed("udp")

    def test_tcp_lf(self):
        # logger -T: LF-terminated frames on one TCP stream.
        self.check_seed("tcp")

    def test_tcp_octet_counting(self):
        # logger -T --octet-count: RFC 6587 octet-counted frames.
        self.check_seed("tcp", octet_count=True)

    def test_rfc5424_over_udp(self):
        # logger's default remote format is RFC 5424 (structured data, ISO timestamps).
        d = self.check_seed("udp", rfc="--rfc5424")
        first = read_records(d.path("verdicts.jsonl"))[0]
        self.assertRegex(first["first_seen"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")

    def test_ipv6_loopback(self):
        # A listener on [::1] receives over IPv6 from logger.
        port = free_port(host="::1")
        listen = ('  - { proto: udp, address: "[::1]:%d" }\n'
                  '  - { proto: tcp, address: "[::1]:%d" }\n' % (port, port))
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        logger(port, seed_texts(), proto="tcp", host="::1")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(len(read_records(d.path("v.jsonl"))), 4)
        self.assertIn("tcp [::1]:%d" % port, d.stderr())


if __name__ == "__main__":
    main()
