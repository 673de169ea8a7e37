"""Downgrade records against the running daemon with util-linux logger: a peer that used TLS
and then sends a message in the clear gets one tls_lost record in the output that asks for
downgrades (none in the default one), its way back a restored record; the throttle holds back
a repeat and says how many; a protocol drop is a record of its own; the posture table survives
a restart through the state file; the counters say so."""

import glob
import json
import os

from harness import DaemonTest, free_port, logger, main, read_records, wait_until

HOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooks")


def posture_config(port, mport, extra=""):
    return ('listen:\n  - { proto: tcp, address: "127.0.0.1:%d" }\n'
            'outputs:\n  - { file: "@DIR@/v.jsonl" }\n'
            '  - { file: "@DIR@/d.jsonl", types: [downgrade] }\n'
            'metrics: { address: "127.0.0.1:%d" }\n%s' % (port, mport, extra))


def inbound(icid, protocol=None, host="mx.example.org", verified="yes"):
    """One inbound connection from host carrying one message, over TLS when protocol."""
    lines = ["Info: New SMTP ICID %d interface Data 1 (10.0.0.1) address 192.0.2.7 reverse dns "
             "host %s verified %s" % (icid, host, verified)]
    if protocol:
        lines.append("Info: ICID %d TLS success protocol %s cipher TLS_AES_256_GCM_SHA384"
                     % (icid, protocol))
    lines += ["Info: Start MID %d ICID %d" % (icid + 1000, icid), "Info: ICID %d close" % icid]
    return lines


class Downgrade(DaemonTest):
    def send(self, d, port, lines, records):
        logger(port, lines, proto="tcp")
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) >= records,
                                   timeout=10), d.stderr())

    def test_plain_after_tls_and_back(self):
        # throttle 0s: restored as soon as TLS is back (else only once the throttle passed).
        port, mport = free_port(), free_port()
        d = self.start(posture_config(port, mport, "posture: { throttle: 0s }\n"))
        self.send(d, port, inbound(1, "TLSv1.3"), 1)
        self.assertEqual(read_records(d.path("d.jsonl")), [])
        self.send(d, port, inbound(2), 2)
        got = wait_until(lambda: read_records(d.path("d.jsonl")), timeout=10)
        self.assertEqual(len(got), 1, d.stderr())
        g = got[0]
        self.assertEqual((g["type"], g["kind"], g["peer"], g["direction"], g["icid"],
                          g["verdict"], g["last_tls_protocol"], g["peer_counts"]),
                         ("downgrade", "tls_lost", "mx.example.org", "inbound", 2, "no_tls",
                          "TLSv1.3", {"tls": 1, "tls_failed": 0, "no_tls": 1, "unknown": 0}))
        self.send(d, port, inbound(3, "TLSv1.3"), 3)
        got = wait_until(lambda: len(read_records(d.path("d.jsonl"))) == 2, timeout=10)
        self.assertEqual([r["kind"] for r in read_records(d.path("d.jsonl"))],
                         ["tls_lost", "restored"])
        # The default output kept to connections.
        self.assertEqual({r["type"] for r in read_records(d.path("v.jsonl"))}, {"connection"})
        self.assertEqual(d.count("esatlsd_downgrades_total", kind="tls_lost"), 1)
        self.assertEqual(d.count("esatlsd_downgrades_total", kind="restored"), 1)
        self.assertEqual(d.count("esatlsd_posture_peers"), 1)
        self.assertEqual(d.stop(), 0)

    def test_unverified_name_is_not_the_peer(self):
        # Anyone can claim a partner's name in reverse DNS: unverified, the peer is the IP.
        port, mport = free_port(), free_port()
        d = self.start(posture_config(port, mport))
        self.send(d, port, inbound(1, "TLSv1.2"), 1)
        self.send(d, port, inbound(2, verified="no", host="other.example"), 2)
        got = wait_until(lambda: read_records(d.path("d.jsonl")), timeout=10)
        # Same address 192.0.2.7, but the first connection's peer was its verified name.
        self.assertEqual(got, [])
        self.assertEqual(d.count("esatlsd_posture_peers"), 1)
        self.assertEqual(d.stop(), 0)

    def test_throttle_protocol_and_restart(self):
        port, mport = free_port(), free_port()
        text = posture_config(port, mport, 'tracking: { state_file: "@DIR@/state" }\n'
                                           'posture: { throttle: 1h }\n')
        d = self.start(text)
        self.send(d, port, inbound(1, "TLSv1.3"), 1)
        self.send(d, port, inbound(2) + inbound(3), 3)
        wait_until(lambda: d.count("esatlsd_downgrades_throttled_total") == 1, timeout=10)
        self.assertEqual(len(read_records(d.path("d.jsonl"))), 1)
        self.assertEqual(d.stop(), 0)

        d2 = self.spawn(text.replace("@DIR@", d.dir))
        self.assertTrue(d2.wait_stderr("1 peers' TLS posture restored"), d2.stderr())
        self.assertEqual(d2.count("esatlsd_posture_peers"), 1)
        # Still within the throttle after the restart; the held-back count carries on.
        logger(port, inbound(4), proto="tcp")
        self.assertTrue(wait_until(
            lambda: d2.count("esatlsd_downgrades_throttled_total") == 1, timeout=10))
        # An older protocol is its own kind: not held back by the tls_lost throttle.
        logger(port, inbound(5, "TLSv1.2"), proto="tcp")
        got = wait_until(lambda: len(read_records(d.path("d.jsonl"))) == 2, timeout=10)
        self.assertTrue(got, d2.stderr())
        g = read_records(d.path("d.jsonl"))[1]
        self.assertEqual((g["kind"], g["tls_protocol"], g["last_tls_protocol"], g["held_back"]),
                         ("protocol", "TLSv1.2", "TLSv1.3", 2))
        self.assertEqual(d2.stop(), 0)

    def test_hook_gets_the_downgrade(self):
        # A hook that asks for downgrade records (on.verdict's default [tls_failed] does not
        # hide the plain one) gets the record on stdin and the peer's posture in its
        # environment; on.kind leaves out restored.
        port, mport = free_port(), free_port()
        d = self.start(posture_config(port, mport,
                                      'posture: { throttle: 0s }\n'
                                      'hooks:\n  - { name: dg, exec: ["%s/record", "@DIR@/runs"], '
                                      'on: { type: [downgrade], kind: [tls_lost, protocol] } }\n'
                                      % HOOKS))
        os.makedirs(d.path("runs"), exist_ok=True)
        os.chmod(d.dir, 0o755)
        self.send(d, port, inbound(1, "TLSv1.3") + inbound(2) + inbound(3, "TLSv1.3"), 3)
        done = lambda: sorted(glob.glob(os.path.join(d.path("runs"), "run.*.done")))
        self.assertTrue(wait_until(lambda: len(done()) == 1, timeout=10), d.stderr())
        wait_until(lambda: d.count("esatlsd_downgrades_total", kind="restored") == 1)
        self.assertEqual(len(done()), 1)
        with open(done()[0]) as f:
            record = json.load(f)
        env = {}
        with open(done()[0][:-len(".done")] + ".env") as f:
            for entry in f.read().split("\n"):
                if "=" in entry:
                    k, v = entry.split("=", 1)
                    env[k] = v
        self.assertEqual((record["type"], record["kind"], record["icid"]),
                         ("downgrade", "tls_lost", 2))
        self.assertEqual((env["ESATLSD_TYPE"], env["ESATLSD_DOWNGRADE"], env["ESATLSD_PEER"],
                          env["ESATLSD_VERDICT"], env["ESATLSD_LAST_TLS_PROTOCOL"]),
                         ("downgrade", "tls_lost", "mx.example.org", "no_tls", "TLSv1.3"))
        self.assertEqual(d.stop(), 0)

    def test_off_by_default(self):
        port, mport = free_port(), free_port()
        d = self.start('listen:\n  - { proto: tcp, address: "127.0.0.1:%d" }\n'
                       'outputs:\n  - { file: "@DIR@/v.jsonl" }\n'
                       'metrics: { address: "127.0.0.1:%d" }\n' % (port, mport))
        self.send(d, port, inbound(1, "TLSv1.3") + inbound(2), 2)
        self.assertEqual(d.count("esatlsd_posture_peers"), 0)
        self.assertEqual(d.count("esatlsd_downgrades_total"), 0)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
