"""The feed's health told to the operator, against the running daemon with util-linux logger:
a host sending lines that are not ESA mail_logs is warned about by name; an appliance that goes
quiet gives a "silent" feed record and then "resumed"; an expected appliance never seen is
"missing"; connection-only outputs (the default) get none of them."""

import os
import socket
import time

from harness import DaemonTest, config, free_port, logger, main, read_records, wait_until


def feed_config(port, output, feed_output, appliances):
    extra = ('  - { file: "%s", types: [feed] }\n' % feed_output +
             "appliances: %s\n" % appliances)
    return config(port, output, extra=extra)


def logger_host():
    # logger writes the short host name in an RFC 3164 header.
    return socket.gethostname().split(".")[0]


class Feed(DaemonTest):
    def test_garbage_feed_is_named_in_a_warning(self):
        # 1000 lines of another program's log from this host: one warning names the host, the
        # shape and cause, and shows an example; a feed record says "unrecognised".
        port = free_port()
        d = self.start(feed_config(port, "@DIR@/v.jsonl", "@DIR@/feed.jsonl", "{}"))
        logger(port, ["Accepted password for user%d from 192.0.2.1" % i for i in range(1000)],
               proto="tcp", tag="sshd")
        host = logger_host()
        line = d.wait_stderr("lines not recognised as ESA mail_logs", timeout=10)
        self.assertTrue(line, d.stderr())
        text = d.stderr()
        self.assertIn("warning: appliance %s: 1000 of 1000 lines not recognised as ESA "
                      "mail_logs; header shape rfc3164; likely cause: no ESA level marker" % host,
                      text)
        self.assertIn('example: "<13>', text)
        feed = wait_until(lambda: read_records(d.path("feed.jsonl")))
        self.assertEqual([(r["type"], r["state"], r["host"], r["cause"]) for r in feed],
                         [("feed", "unrecognised", host, "no_level")])
        self.assertEqual(read_records(d.path("v.jsonl")), [])
        self.assertEqual(d.stop(), 0)

    def test_silent_then_resumed(self):
        # silent_after 2s: one line, quiet, then "silent"; the next line gives "resumed" with
        # how long it was quiet.
        port = free_port()
        d = self.start(feed_config(port, "@DIR@/v.jsonl", "@DIR@/feed.jsonl",
                                   "{ silent_after: 2s }"))
        logger(port, ["Info: ICID 5 close"], proto="tcp")
        feed = wait_until(lambda: read_records(d.path("feed.jsonl")), timeout=10)
        self.assertEqual([r["state"] for r in feed], ["silent"], d.stderr())
        self.assertEqual(feed[0]["host"], logger_host())
        self.assertGreaterEqual(feed[0]["silent_for"], 2)
        self.assertIn("last_seen", feed[0])
        self.assertIn("appliance %s: silent: no line for" % logger_host(), d.stderr())
        time.sleep(1)
        logger(port, ["Info: ICID 6 close"], proto="tcp")
        feed = wait_until(lambda: len(read_records(d.path("feed.jsonl"))) >= 2 and
                          read_records(d.path("feed.jsonl")), timeout=10)
        self.assertEqual([r["state"] for r in feed], ["silent", "resumed"])
        self.assertGreaterEqual(feed[1]["silent_for"], 3)
        self.assertEqual(feed[1]["last_seen"], feed[0]["last_seen"])
        # The default output took the connection records and no feed record.
        self.assertTrue(all(r["type"] == "connection" for r in read_records(d.path("v.jsonl"))))
        self.assertEqual(d.stop(), 0)

    def test_expected_appliance_never_seen_is_missing(self):
        port = free_port()
        d = self.start(feed_config(port, "@DIR@/v.jsonl", "@DIR@/feed.jsonl",
                                   "{ silent_after: 1s, expected: [esa-never.example.com] }"))
        feed = wait_until(lambda: read_records(d.path("feed.jsonl")), timeout=10)
        self.assertEqual([(r["state"], r["host"]) for r in feed],
                         [("missing", "esa-never.example.com")], d.stderr())
        self.assertIn("appliance esa-never.example.com: missing", d.stderr())
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
