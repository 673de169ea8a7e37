"""HTTPS webhooks against the running daemon, all on loopback: the receiver's certificate is
checked against ca_file and its name (a wrong CA or a wrong name is a counted failure, logged
with the reason), SNI carries the host name, headers and tokens arrive and never show in the
log or in -t output, each body format reaches its receiver as the JSON it expects, names that
do not resolve and 429 answers are counted and retried."""

import json
import os
import shutil
import tempfile
import unittest

from harness import DaemonTest, config, free_port, main, send_udp, wait_until
from tlsreceiver import HttpsReceiver, NxDomain, Pki

SECRET = "tok-9f8e7d6c5b4a"
ROUTING = "R0UT1NG-" + "k3y" * 4


def line(text, host="esa1"):
    return "<22>Nov 28 12:00:00 %s mail_logs: Info: %s" % (host, text)


def failure(icid, rdns="mx.example.org"):
    return [line("New SMTP ICID %d interface Data 1 (10.0.0.1) address 192.0.2.1 reverse dns "
                 "host %s verified yes" % (icid, rdns)),
            line("ICID %d TLS failed: [Errno 54] Connection reset by peer" % icid),
            line("ICID %d close" % icid)]


SENTENCE = ("TLS failed inbound from mx.example.org [192.0.2.1] on esa1: [Errno 54] Connection "
            "reset by peer")


@unittest.skipUnless(shutil.which("openssl"), "the openssl CLI is needed (Debian: openssl)")
class HttpsWebhooks(DaemonTest):
    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()
        cls.cert, cls.key = cls.pki.server("localhost")
        cls.wrong_name = cls.pki.server("wrong", names=("wrong.example",), ips=())
        cls.other = Pki("another CA")

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()
        cls.other.close()

    def setUp(self):
        super().setUp()
        self.rcv = HttpsReceiver(self.cert, self.key)
        self.nx = NxDomain()
        self.port = free_port()

    def tearDown(self):
        self.rcv.close()
        self.nx.close()
        super().tearDown()

    def hook(self, name, extra="", url=None, path="/alert"):
        if url is None:
            url = "https://localhost:%d%s" % (self.rcv.port, path)
        return ('  - name: %s\n    webhook: "%s"\n    nameservers: ["%s"]\n%s'
                % (name, url, self.nx.address, extra))

    def start_hooks(self, *hooks):
        return self.start(config(self.port, "@DIR@/v.jsonl", extra="hooks:\n" + "".join(hooks)))

    def test_verified_with_ca_file_sni_and_headers(self):
        # The private CA is trusted through ca_file; the name "localhost" is found in /etc/hosts
        # (the name server is never asked), sent as SNI and checked against the certificate;
        # token_file and headers arrive; the body is the record.
        token = os.path.join(self.tmp(), "token")
        with open(token, "w") as f:
            f.write(SECRET + "\n")
        d = self.start_hooks(self.hook("chat", '    ca_file: "%s"\n    token_file: "%s"\n'
                                               '    headers: { X-Team: mail }\n'
                                       % (self.pki.ca, token)))
        send_udp(self.port, failure(1))
        self.assertTrue(wait_until(lambda: len(self.rcv.posts) == 1), d.stderr())
        path, headers, body = self.rcv.posts[0]
        self.assertEqual(path, "/alert")
        self.assertEqual(self.rcv.sni, ["localhost"])
        self.assertEqual(headers["Authorization"], "Bearer " + SECRET)
        self.assertEqual(headers["X-Team"], "mail")
        self.assertEqual(headers["Host"], "localhost:%d" % self.rcv.port)
        self.assertEqual(json.loads(body)["icid"], 1)
        self.assertEqual(self.nx.queries, 0)
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_ok_total") == 1), d.stderr())
        self.assertEqual(d.count("esatlsd_hook_tls_errors_total"), 0)
        self.assertEqual(d.stop(), 0)
        self.assertNotIn(SECRET, d.stderr())

    def tmp(self):
        """A directory for secret files, removed after the test."""
        if not hasattr(self, "_tmp"):
            self._tmp = tempfile.mkdtemp(prefix="esatlsd-secrets-")
            self.addCleanup(shutil.rmtree, self._tmp, True)
        return self._tmp

    def test_wrong_ca_is_a_counted_failure(self):
        # Trusting another CA: the handshake fails, nothing is posted, the failure is counted
        # as a TLS error and logged with OpenSSL's reason.
        d = self.start_hooks(self.hook("chat", '    ca_file: "%s"\n    retries: 0\n'
                                       % self.other.ca))
        send_udp(self.port, failure(2))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_failed_total") == 1), d.stderr())
        self.assertEqual(d.count("esatlsd_hook_tls_errors_total"), 1)
        self.assertEqual(self.rcv.posts, [])
        self.assertIsNotNone(d.wait_stderr(
            "hook chat: gave up on an alert after 1 attempt: certificate verify failed: "
            "unable to get local issuer certificate"), d.stderr())
        self.assertEqual(d.stop(), 0)

    def test_system_store_does_not_trust_a_private_ca(self):
        # Without ca_file the system's store is used: the test CA is not in it.
        d = self.start_hooks(self.hook("chat", "    retries: 0\n"))
        send_udp(self.port, failure(3))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_tls_errors_total") == 1),
                        d.stderr())
        self.assertEqual(self.rcv.posts, [])
        d.stop()

    def test_wrong_name_is_a_counted_failure(self):
        # A certificate of the right CA for another name: refused ("hostname mismatch").
        wrong = HttpsReceiver(*self.wrong_name)
        self.addCleanup(wrong.close)
        d = self.start_hooks(self.hook("chat", '    ca_file: "%s"\n    retries: 0\n'
                                       % self.pki.ca,
                                       url="https://localhost:%d/x" % wrong.port))
        send_udp(self.port, failure(4))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_tls_errors_total") == 1),
                        d.stderr())
        self.assertIsNotNone(d.wait_stderr("certificate verify failed: hostname mismatch"),
                             d.stderr())
        self.assertEqual(wrong.posts, [])
        d.stop()

    def test_tls_verify_false_is_warned_and_posts(self):
        # tls_verify: false is an explicit choice, warned about once at start.
        d = self.start_hooks(self.hook("chat", "    tls_verify: false\n"))
        self.assertIsNotNone(d.wait_stderr("hook chat: tls_verify is false"), d.stderr())
        send_udp(self.port, failure(5))
        self.assertTrue(wait_until(lambda: len(self.rcv.posts) == 1), d.stderr())
        d.stop()

    def test_every_format(self):
        # One hook per format, each to its own path: each receiver gets its own JSON.
        hooks = [self.hook(f, '    format: %s\n    ca_file: "%s"\n%s'
                           % (f, self.pki.ca,
                              "    routing_key: %s\n" % ROUTING if f == "pagerduty" else ""),
                           path="/" + f)
                 for f in ("record", "slack", "teams", "alertmanager", "pagerduty")]
        d = self.start_hooks(*hooks)
        send_udp(self.port, failure(6))
        self.assertTrue(wait_until(lambda: len(self.rcv.posts) == 5), d.stderr())
        got = {p: json.loads(b) for p, _, b in self.rcv.posts}
        self.assertEqual(got["/record"]["icid"], 6)
        self.assertEqual(got["/slack"], {"text": SENTENCE})
        card = got["/teams"]["attachments"][0]
        self.assertEqual(card["contentType"], "application/vnd.microsoft.card.adaptive")
        self.assertEqual(card["content"]["type"], "AdaptiveCard")
        self.assertEqual(card["content"]["body"][0]["text"], SENTENCE)
        alerts = got["/alertmanager"]
        self.assertEqual(alerts[0]["labels"], {"alertname": "EsaTlsFailed", "appliance": "esa1",
                                               "direction": "inbound", "peer_ip": "192.0.2.1",
                                               "verdict": "tls_failed"})
        self.assertEqual(alerts[0]["annotations"]["summary"], SENTENCE)
        self.assertRegex(alerts[0]["startsAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        pd = got["/pagerduty"]
        self.assertEqual((pd["routing_key"], pd["event_action"]), (ROUTING, "trigger"))
        self.assertRegex(pd["dedup_key"], r"^esatlsd/esa1/icid/6/\d{4}-11-28T12:00:00$")
        self.assertEqual(pd["payload"]["summary"], SENTENCE)
        self.assertEqual((pd["payload"]["source"], pd["payload"]["severity"]), ("esa1", "error"))
        self.assertEqual(pd["payload"]["custom_details"]["icid"], 6)
        self.assertEqual(d.stop(), 0)
        self.assertNotIn(ROUTING, d.stderr())

    def test_hostile_reverse_dns_stays_data(self):
        # A peer chooses its reverse DNS name: quotes, markup and control bytes arrive escaped
        # in valid JSON, and Slack's markup is neutralised.
        rdns = '"><!channel>\\\x01 & <http://evil|x>'
        d = self.start_hooks(self.hook("chat", '    format: slack\n    ca_file: "%s"\n'
                                       % self.pki.ca))
        send_udp(self.port, failure(7, rdns=rdns))
        self.assertTrue(wait_until(lambda: len(self.rcv.posts) == 1), d.stderr())
        text = json.loads(self.rcv.posts[0][2])["text"]
        self.assertNotIn("<!channel>", text)
        self.assertIn("&lt;!channel&gt;", text)
        self.assertIn("&amp; &lt;http://evil|x&gt;", text)
        d.stop()

    def test_secrets_never_printed(self):
        # esatlsd -t of a valid and of an invalid file, and the log of failed deliveries (401
        # answers, a failed handshake): no header value, token or routing key appears.
        token = os.path.join(self.tmp(), "token")
        with open(token, "w") as f:
            f.write(SECRET)
        self.rcv.answer((401, {}), (401, {}))
        hooks = (self.hook("chat", '    ca_file: "%s"\n    token_file: "%s"\n    retries: 0\n'
                                   '    headers: { X-Api-Key: "%s-hdr" }\n'
                           % (self.pki.ca, token, SECRET)) +
                 self.hook("pd", '    format: pagerduty\n    routing_key: "%s"\n'
                                 '    ca_file: "%s"\n    retries: 0\n' % (ROUTING, self.pki.ca)) +
                 self.hook("bad", '    ca_file: "%s"\n    headers: { X-K: "%s-2" }\n'
                                  '    retries: 0\n' % (self.other.ca, SECRET)))
        text = config(self.port, "@DIR@/v.jsonl", extra="hooks:\n" + hooks)
        d = self.start(text)
        for args in (["-t", "-c", d.config_path], ["-v", "-t", "-c", d.config_path]):
            out = self.run_binary(args)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertNotIn(SECRET, out.stdout + out.stderr)
            self.assertNotIn(ROUTING, out.stdout + out.stderr)
        invalid = os.path.join(self.tmp(), "invalid.yaml")
        with open(invalid, "w") as f:
            f.write(text.replace("X-Api-Key", "X Api Key").replace("@DIR@", d.dir)
                    .replace("routing_key: \"%s\"" % ROUTING, "routing_key: \"%s x\"" % ROUTING))
        out = self.run_binary(["-t", "-c", invalid])
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("a header name is", out.stderr)
        self.assertIn("'routing_key' must be", out.stderr)
        self.assertNotIn(SECRET, out.stdout + out.stderr)
        self.assertNotIn(ROUTING, out.stdout + out.stderr)
        send_udp(self.port, failure(8))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_failed_total") == 3), d.stderr())
        self.assertEqual(d.count("esatlsd_hook_client_errors_total"), 2)
        d.counters()
        self.assertEqual(d.stop(), 0)
        self.assertIn("gave up on an alert after 1 attempt: HTTP 401", d.stderr())
        self.assertNotIn(SECRET, d.stderr())
        self.assertNotIn(ROUTING, d.stderr())

    def test_unresolvable_name_counted_and_retried(self):
        # The only name server says the name does not exist: each attempt is a counted DNS
        # failure, retried, then given up with the reason.
        d = self.start_hooks(self.hook("chat", "    retries: 1\n",
                                       url="https://receiver.invalid:%d/x" % self.rcv.port))
        send_udp(self.port, failure(9))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_failed_total") == 1, timeout=8),
                        d.stderr())
        self.assertEqual(d.count("esatlsd_hook_dns_errors_total"), 2)
        self.assertEqual(d.count("esatlsd_hook_retries_total"), 1)
        self.assertGreaterEqual(self.nx.queries, 2)
        self.assertIsNotNone(d.wait_stderr("gave up on an alert after 2 attempts: cannot resolve "
                                           "receiver.invalid"), d.stderr())
        d.stop()

    def test_429_retried_after_retry_after(self):
        # 429 with Retry-After: 1: the alert is posted again and delivered; counted.
        self.rcv.answer((429, {"Retry-After": "1"}))
        d = self.start_hooks(self.hook("chat", '    ca_file: "%s"\n    retries: 2\n'
                                       % self.pki.ca))
        send_udp(self.port, failure(10))
        self.assertTrue(wait_until(lambda: len(self.rcv.posts) == 2, timeout=6), d.stderr())
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_ok_total") == 1), d.stderr())
        self.assertEqual(d.count("esatlsd_hook_rate_limited_total"), 1)
        self.assertEqual(d.count("esatlsd_hook_retries_total"), 1)
        d.stop()


CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf", "webhooks")


@unittest.skipUnless(shutil.which("openssl"), "the openssl CLI is needed (Debian: openssl)")
class ShippedExamples(DaemonTest):
    def test_each_preset_example_is_valid(self):
        # conf/webhooks/*.yaml pass esatlsd -t once the secret files they name exist (here in
        # a temp dir instead of /etc/esatlsd), and -t prints none of those secrets.
        pki = Pki()
        self.addCleanup(pki.close)
        etc = tempfile.mkdtemp(prefix="esatlsd-etc-")
        self.addCleanup(shutil.rmtree, etc, True)
        shutil.copy(pki.ca, os.path.join(etc, "internal-ca.pem"))
        with open(os.path.join(etc, "pagerduty.key"), "w") as f:
            f.write(ROUTING + "\n")
        with open(os.path.join(etc, "alertmanager.headers"), "w") as f:
            f.write("# the proxy's credentials\nAuthorization: Basic %s\n" % SECRET)
        names = sorted(n for n in os.listdir(CONF) if n.endswith(".yaml"))
        self.assertEqual(names, ["alertmanager.yaml", "pagerduty.yaml", "slack.yaml",
                                 "teams.yaml"])
        for name in names:
            with open(os.path.join(CONF, name)) as f:
                text = f.read().replace("/etc/esatlsd/", etc + "/")
            path = os.path.join(etc, name)
            with open(path, "w") as f:
                f.write(text)
            out = self.run_binary(["-t", "-c", path])
            self.assertEqual(out.returncode, 0, name + ": " + out.stderr)
            self.assertNotIn(SECRET, out.stdout + out.stderr)
            self.assertNotIn(ROUTING, out.stdout + out.stderr)


if __name__ == "__main__":
    main()
