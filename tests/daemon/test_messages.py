"""Message records against the running daemon with util-linux logger: a message that came in
over TLS and went out in the clear gets one record (no_tls end to end) in the output that asks
for messages, none in the default one; a finished message waits for its inbound connection to
close; a delivery attempt whose required TLS failed (a delay, no Delivery start) is
tls_failed at once and carries no MID; an unfinished one is written at the message time-out; a stop writes what is left, or
with a state file keeps it for the next start, which finishes it; the counters say so."""

from harness import DaemonTest, free_port, logger, main, read_records, wait_until


def msg_config(port, mport, extra=""):
    return ('listen:\n  - { proto: tcp, address: "127.0.0.1:%d" }\n'
            'outputs:\n  - { file: "@DIR@/v.jsonl" }\n'
            '  - { file: "@DIR@/m.jsonl", types: [message] }\n'
            'metrics: { address: "127.0.0.1:%d" }\n%s' % (port, mport, extra))


INBOUND = [
    "Info: New SMTP ICID 14 interface Data 1 (10.0.0.1) address 192.0.2.7 reverse dns host "
    "a.example verified yes",
    "Info: ICID 14 TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES256-GCM-SHA384",
    "Info: Start MID 4 ICID 14",
    "Info: MID 4 ICID 14 RID 0 To: <b@example.com>",
]
OUTBOUND = [
    "Info: New SMTP DCID 30 interface 10.0.0.1 address 198.51.100.9 port 25",
    "Info: Delivery start DCID 30 MID 4 to RID [0]",
    "Info: Message done DCID 30 MID 4 to RID [0]",
    "Info: DCID 30 close",
    "Info: Message finished MID 4 done",
]


class Messages(DaemonTest):
    def test_message_waits_for_its_inbound_connection(self):
        port, mport = free_port(), free_port()
        d = self.start(msg_config(port, mport))
        logger(port, INBOUND + OUTBOUND, proto="tcp")
        # The DCID record is out, the message waits for ICID 14.
        wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1, timeout=10)
        self.assertEqual(read_records(d.path("m.jsonl")), [])
        logger(port, ["Info: ICID 14 close"], proto="tcp")
        msgs = wait_until(lambda: read_records(d.path("m.jsonl")), timeout=10)
        self.assertEqual(len(msgs), 1, d.stderr())
        m = msgs[0]
        self.assertEqual((m["type"], m["mid"], m["icid"], m["in_verdict"], m["end_to_end"],
                          m["end"]), ("message", 4, 14, "tls", "no_tls", "done"))
        self.assertEqual(m["deliveries"], [{"dcid": 30, "rids": [0], "verdict": "no_tls",
                                            "peer_domain": "example.com",
                                            "outcome": "delivered"}])
        # The default output kept to connections.
        self.assertTrue(all(r["type"] == "connection" for r in read_records(d.path("v.jsonl"))))
        self.assertEqual(d.count("esatlsd_messages_records_total", end_to_end="no_tls"), 1)
        self.assertEqual(d.count("esatlsd_messages_tracked_total"), 1)
        self.assertEqual(d.stop(), 0)

    def test_required_tls_failure_then_retry(self):
        # Required TLS fails on DCID 31, which logs a delay (RID after the addresses) and no
        # Delivery start; the retry on DCID 32 succeeds. The record comes at DCID 32's close,
        # not at the message time-out, with the failed attempt as tls_failed and nothing sent.
        port, mport = free_port(), free_port()
        d = self.start(msg_config(port, mport))
        logger(port, INBOUND + ["Info: ICID 14 close",
            "Info: New SMTP DCID 31 interface 10.0.0.1 address 198.51.100.9 port 25",
            "Info: DCID 31 TLS failed: STARTTLS unexpected response",
            "Info: DCID 31 IP 198.51.100.9 TLS was required but could not be successfully "
            "negotiated",
            "Info: Delayed: DCID 31 MID 4 From: <a@example.org> To: <b@example.com> RID 0 - "
            "4.1.0 - TLS required",
            "Info: DCID 31 close",
            "Info: New SMTP DCID 32 interface 10.0.0.1 address 198.51.100.9 port 25",
            "Info: DCID 32 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384",
            "Info: Delivery start DCID 32 MID 4 to RID [0]",
            "Info: Message done DCID 32 MID 4 to RID [0]",
            "Info: Message finished MID 4 done",
            "Info: DCID 32 close"], proto="tcp")
        msgs = wait_until(lambda: read_records(d.path("m.jsonl")), timeout=10)
        self.assertEqual(len(msgs), 1, d.stderr())
        self.assertEqual((msgs[0]["end_to_end"], msgs[0]["end"]), ("tls_failed", "done"))
        self.assertEqual(msgs[0]["deliveries"][0], {"dcid": 31, "rids": [0],
                                                    "verdict": "tls_failed",
                                                    "outcome": "delayed"})
        self.assertEqual(msgs[0]["deliveries"][1]["verdict"], "tls")
        dcid31 = [r for r in read_records(d.path("v.jsonl")) if r.get("dcid") == 31]
        self.assertEqual(len(dcid31), 1)
        self.assertEqual(dcid31[0].get("mids", []), [])
        self.assertEqual(d.stop(), 0)

    def test_timeout_and_stop(self):
        # message_timeout 2s: a message with no news is written as idle; one still followed at
        # the stop is written as shutdown.
        port, mport = free_port(), free_port()
        d = self.start(msg_config(port, mport, "tracking: { message_timeout: 2s }\n"))
        logger(port, ["Info: Start MID 7 ICID 15"], proto="tcp")
        msgs = wait_until(lambda: read_records(d.path("m.jsonl")), timeout=10)
        self.assertEqual([(m["mid"], m["end"], m["in_verdict"]) for m in msgs],
                         [(7, "idle", "unknown")], d.stderr())
        logger(port, ["Info: Start MID 8 ICID 16"], proto="tcp")
        wait_until(lambda: d.count("esatlsd_messages_open") == 1, timeout=10)
        self.assertEqual(d.stop(), 0)
        msgs = read_records(d.path("m.jsonl"))
        self.assertEqual([(m["mid"], m["end"]) for m in msgs], [(7, "idle"), (8, "shutdown")])

    def test_restart_keeps_messages_in_the_state_file(self):
        # The message and its DCID are saved at the stop; the next start resumes both, and the
        # lines after the restart finish the message: one record, its inbound verdict kept.
        port, mport = free_port(), free_port()
        text = msg_config(port, mport, 'tracking: { state_file: "@DIR@/state" }\n')
        d = self.start(text)
        logger(port, INBOUND + ["Info: ICID 14 close"] + OUTBOUND[:2], proto="tcp")
        wait_until(lambda: d.count("esatlsd_messages_open") == 1, timeout=10)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(read_records(d.path("m.jsonl")), [])
        d2 = self.spawn(text.replace("@DIR@", d.dir))
        self.assertTrue(d2.wait_stderr("1 messages restored"), d2.stderr())
        logger(port, OUTBOUND[2:], proto="tcp")
        msgs = wait_until(lambda: read_records(d.path("m.jsonl")), timeout=10)
        self.assertEqual([(m["mid"], m["in_verdict"], m["end_to_end"], m["end"]) for m in msgs],
                         [(4, "tls", "no_tls", "recipients")], d2.stderr())
        self.assertEqual(d2.stop(), 0)
        self.assertEqual(len(read_records(d.path("m.jsonl"))), 1)

    def test_off_by_default(self):
        # No output or hook asks for messages: none are followed.
        port, mport = free_port(), free_port()
        d = self.start('listen:\n  - { proto: tcp, address: "127.0.0.1:%d" }\n'
                       'outputs:\n  - { file: "@DIR@/v.jsonl" }\n'
                       'metrics: { address: "127.0.0.1:%d" }\n' % (port, mport))
        logger(port, INBOUND + ["Info: ICID 14 close"] + OUTBOUND, proto="tcp")
        wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 2, timeout=10)
        self.assertEqual(d.count("esatlsd_messages_tracked_total"), 0)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
