"""The metrics endpoint against the running daemon: /metrics parses as Prometheus text (a strict
parser below) and its counters equal what the test sent, by listener and by verdict and
direction; /healthz; 404 and 405; HUP keeps it serving, moves it, or keeps the old one when the
new address cannot be bound; a bad address is a config error, one in use stops the start."""

import http.client
import re
import signal
import resource
import socket

from harness import (DaemonTest, config, esa_connection, free_port, logger, main, parse_counters,
                     parse_labels, read_records, seed_texts, send_udp, syslog_line, unescape,
                     wait_until)

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
VALUE = re.compile(r"[0-9]+")


def parse_exposition(body):
    """Strict Prometheus text format (0.0.4) as we emit it: {name: {"type", "help", "samples":
    {frozenset(labels): value}}}. Every family has # HELP then # TYPE before its samples, a
    sample belongs to the family just declared, counters end in _total, values are integers,
    no sample twice."""
    text = body.decode("utf-8", "strict")
    if not text.endswith("\n"):
        raise ValueError("body does not end in a line feed")
    families, current = {}, None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name, sep, help_text = line[7:].partition(" ")
            if not NAME.fullmatch(name) or not sep or name in families:
                raise ValueError("bad or repeated HELP: %r" % line)
            families[name] = {"help": unescape(help_text, False), "type": None, "samples": {}}
            current = name
        elif line.startswith("# TYPE "):
            parts = line[7:].split(" ")
            if len(parts) != 2 or parts[0] != current or families[current]["type"] is not None:
                raise ValueError("TYPE without its HELP: %r" % line)
            if parts[1] not in ("counter", "gauge"):
                raise ValueError("unknown type: %r" % line)
            if (parts[1] == "counter") != parts[0].endswith("_total"):
                raise ValueError("counters, and only counters, end in _total: %r" % line)
            families[current]["type"] = parts[1]
        elif line.startswith("#") or not line:
            raise ValueError("unexpected line %r" % line)
        else:
            m = NAME.match(line)
            if not m or m.group(0) != current or families[current]["type"] is None:
                raise ValueError("sample outside its family: %r" % line)
            rest = line[m.end():]
            labels = {}
            if rest.startswith("{"):
                close = rest.rfind("}")
                if close < 0:
                    raise ValueError("unterminated labels: %r" % line)
                labels = parse_labels(rest[1:close], line)
                rest = rest[close + 1:]
            if not rest.startswith(" ") or not VALUE.fullmatch(rest[1:]):
                raise ValueError("bad value: %r" % line)
            key = frozenset(labels.items())
            samples = families[current]["samples"]
            if key in samples:
                raise ValueError("sample twice: %r" % line)
            samples[key] = int(rest[1:])
    for name, fam in families.items():
        if fam["type"] is None:
            raise ValueError("family %s has no TYPE" % name)
    return families


def http_request(port, path, method="GET", host="127.0.0.1"):
    """(status, headers dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def scrape(port):
    status, headers, body = http_request(port, "/metrics")
    if status != 200:
        raise AssertionError("GET /metrics: %d" % status)
    if not headers.get("content-type", "").startswith("text/plain; version=0.0.4"):
        raise AssertionError("content type %r" % headers.get("content-type"))
    return parse_exposition(body)


def value(families, name, **labels):
    return families[name]["samples"][frozenset(labels.items())]


def metrics_config(port, mport, extra=""):
    return config(port, "@DIR@/v.jsonl", 'metrics: { address: "127.0.0.1:%d" }\n%s' % (mport, extra))


def refuses(port):
    """True when nothing accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Metrics(DaemonTest):
    def test_counters_equal_what_was_sent(self):
        port, mport = free_port(), free_port()
        d = self.start(metrics_config(port, mport))
        fams = scrape(mport)
        self.assertEqual(value(fams, "esatlsd_up"), 1)
        self.assertGreater(value(fams, "esatlsd_start_time_seconds"), 1600000000)
        self.assertEqual(value(fams, "esatlsd_messages_total"), 0)
        udp, tcp = "udp 127.0.0.1:%d" % port, "tcp 127.0.0.1:%d" % port

        # The seed over UDP from logger: one datagram per line.
        seed = seed_texts()
        logger(port, seed, proto="udp")
        # Four connections of another appliance over one TCP stream, each closed: they end
        # now, not at the stop.
        lines = []
        for icid, verdict in ((1001, "tls"), (1002, "tls_failed"), (1003, "no_tls"),
                              (1004, "tls_failed")):
            lines += [syslog_line(t, host="esa2") for t in esa_connection(icid, verdict)]
        data = "".join(l + "\n" for l in lines)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(data.encode())
        total = len(seed) + len(lines)
        self.assertTrue(wait_until(
            lambda: value(scrape(mport), "esatlsd_messages_total") == total), d.stderr())
        # The five records ended so far are in the output file (the seed's lost ICID and the
        # four TCP ones); the seed's three others are still open.
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 5))
        fams = scrape(mport)
        self.assertEqual(value(fams, "esatlsd_listener_messages_total", listener=udp), len(seed))
        self.assertEqual(value(fams, "esatlsd_listener_messages_total", listener=tcp), len(lines))
        self.assertEqual(value(fams, "esatlsd_listener_bytes_total", listener=tcp), len(data))
        self.assertEqual(value(fams, "esatlsd_listener_accepted_connections_total", listener=tcp), 1)
        self.assertEqual(value(fams, "esatlsd_listener_accepted_connections_total", listener=udp), 0)
        for name in ("truncated", "oversized", "rejected", "refused_connections"):
            for l in (udp, tcp):
                self.assertEqual(value(fams, "esatlsd_listener_%s_total" % name, listener=l), 0)
        self.assertEqual(value(fams, "esatlsd_messages_by_format_total", format="rfc3164"), total)
        self.assertEqual(value(fams, "esatlsd_lines_total", kind="conn_open"), 3 + 4)
        self.assertEqual(sum(fams["esatlsd_lines_total"]["samples"].values()), total)
        expected = {("tls", "inbound"): 1, ("tls_failed", "inbound"): 3,
                    ("no_tls", "inbound"): 1}
        for verdict in ("tls", "tls_failed", "no_tls", "unknown"):
            for direction in ("inbound", "outbound"):
                self.assertEqual(value(fams, "esatlsd_verdicts_total", verdict=verdict,
                                       direction=direction),
                                 expected.get((verdict, direction), 0), (verdict, direction))
        self.assertEqual(value(fams, "esatlsd_connections_open"), 3)
        self.assertEqual(value(fams, "esatlsd_connections_total"), 8)
        self.assertEqual(value(fams, "esatlsd_connection_ends_total", end="close"), 4)
        self.assertEqual(value(fams, "esatlsd_connection_ends_total", end="lost"), 1)
        self.assertEqual(value(fams, "esatlsd_connection_ends_total", end="evicted"), 0)
        out = d.path("v.jsonl")
        self.assertEqual(value(fams, "esatlsd_output_records_total", output=out), 5)
        self.assertEqual(value(fams, "esatlsd_output_written_total", output=out), 5)
        self.assertEqual(value(fams, "esatlsd_output_pending", output=out), 0)
        self.assertEqual(value(fams, "esatlsd_output_dropped_total", output=out), 0)
        self.assertEqual(fams["esatlsd_verdicts_total"]["type"], "counter")
        self.assertEqual(fams["esatlsd_connections_open"]["type"], "gauge")
        # No hook configured: the hook families are there, empty.
        self.assertEqual(fams["esatlsd_hook_runs_total"]["samples"], {})
        self.assertEqual(d.stop(), 0)

    def test_usr1_logs_the_same_counters(self):
        # USR1 writes the families of /metrics to the log, one line per family: every sample
        # of /metrics is there with its value, except a labelled family's zeros. An appliance
        # name chosen by the sender (quotes, a backslash, a newline escape) stays one escaped
        # label. The summary line closes the dump with the STATUS= figures.
        port, mport = free_port(), free_port()
        d = self.start(metrics_config(port, mport))
        hostile = 'esa"9\\x'
        lines = [syslog_line(t, host="esa2") for t in esa_connection(2001, "tls_failed")]
        lines += [syslog_line(t, host=hostile) for t in esa_connection(2002, "tls")]
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall("".join(l + "\n" for l in lines).encode())
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 2))
        fams = scrape(mport)
        logged = parse_counters(d.counters())
        for name, fam in fams.items():
            for labels, v in fam["samples"].items():
                # the scrape itself moves the endpoint's own figures
                if name == "esatlsd_appliance_last_seen_seconds" or \
                        name.startswith("esatlsd_metrics_"):
                    continue
                if labels and v == 0:
                    self.assertNotIn(labels, logged[name], name)
                else:
                    self.assertEqual(logged[name][labels], v, (name, labels))
        for name, samples in logged.items():
            self.assertIn(name, fams)
            for labels in samples:
                self.assertIn(labels, fams[name]["samples"], (name, labels))
        self.assertEqual(logged["esatlsd_appliance_messages_total"][
            frozenset({("host", hostile)})], len(esa_connection(2002, "tls")))
        self.assertEqual(logged["esatlsd_verdicts_total"][
            frozenset({("verdict", "tls_failed"), ("direction", "inbound")})], 1)
        summary = [l for l in d.stderr_lines if "counters: summary" in l]
        self.assertRegex(summary[-1], r"counters: summary %d messages, 0 open, 1 tls, "
                                      r"1 tls_failed, 0 no_tls, 0 unknown, 0 lost or refused$"
                         % len(lines))
        self.assertEqual(d.stop(), 0)

    def test_healthz_and_other_paths(self):
        port, mport = free_port(), free_port()
        self.start(metrics_config(port, mport))
        status, _, body = http_request(mport, "/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(http_request(mport, "/nope")[0], 404)
        self.assertEqual(http_request(mport, "/")[0], 404)
        self.assertEqual(http_request(mport, "/metrics/x")[0], 404)
        status, headers, _ = http_request(mport, "/metrics", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "GET, HEAD")
        self.assertEqual(http_request(mport, "/healthz", method="DELETE")[0], 405)
        status, headers, body = http_request(mport, "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        status, _, body = http_request(mport, "/metrics?name[]=esatlsd_up")
        self.assertEqual(status, 200)
        self.assertIn("esatlsd_up", parse_exposition(body))
        # Several requests on one kept-alive connection.
        conn = http.client.HTTPConnection("127.0.0.1", mport, timeout=10)
        try:
            for path in ("/healthz", "/metrics", "/healthz"):
                conn.request("GET", path)
                resp = conn.getresponse()
                self.assertEqual(resp.status, 200)
                resp.read()
        finally:
            conn.close()
        # A garbage request line is refused without harming the endpoint.
        with socket.create_connection(("127.0.0.1", mport)) as s:
            s.sendall(b"\x00\xff garbage\r\n\r\n")
            s.settimeout(10)
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 400"))
        self.assertEqual(http_request(mport, "/healthz")[0], 200)

    def slow_clients(self, mport, n):
        """n connections to the endpoint, each having sent half a request line."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n + 256:
            if hard != resource.RLIM_INFINITY and hard < n + 256:
                self.skipTest("needs %d descriptors, the hard limit is %d" % (n + 256, hard))
            resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, hard))
        clients = []
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", mport))
            clients.append(s)
            self.addCleanup(s.close)
        for s in clients:
            try:
                s.send(b"GET /met")
            except OSError:
                pass  # refused already
        return clients

    def test_slow_scrapers_cannot_starve_the_appliance(self):
        # 2,000 scrapers that never finish their request: past max_connections they are
        # answered 503 and closed, the rest are closed at their absolute deadline, and an
        # appliance's lines over TCP and UDP arrive all the while.
        port, mport = free_port(), free_port()
        d = self.start(metrics_config(port, mport, "").replace(
            '"127.0.0.1:%d" }' % mport, '"127.0.0.1:%d", max_connections: 16, timeout: 1s }'
            % mport))
        clients = self.slow_clients(mport, 2000)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall("".join(syslog_line(t) + "\n" for t in esa_connection(3001)).encode())
        send_udp(port, [syslog_line(t) for t in esa_connection(3002, "tls_failed")])
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 2), d.stderr())
        # (the kernel's accept queue holds 64: the rest come in as their SYNs are retried)
        self.assertTrue(wait_until(lambda: d.count("esatlsd_metrics_refused_total") >= 1000,
                                   timeout=30), d.counters())
        self.assertLessEqual(d.count("esatlsd_metrics_connections"), 16)
        self.assertTrue(wait_until(lambda: d.count("esatlsd_metrics_timeouts_total") >= 16,
                                   timeout=10), d.counters())
        for s in clients:  # the flood ends: the endpoint serves again
            s.close()
        self.assertTrue(wait_until(lambda: http_request(mport, "/healthz")[0] == 200, timeout=10))
        self.assertEqual(d.stop(), 0)

    def test_out_of_descriptors_pauses_accepting(self):
        # With room for few descriptors and a cap above it, accept fails with EMFILE: the
        # waiting connection is refused with the reserve descriptor, accepting pauses (counted,
        # no busy loop), and once the deadlines free descriptors an appliance gets through.
        port, mport = free_port(), free_port()
        text = metrics_config(port, mport).replace(
            '"127.0.0.1:%d" }' % mport, '"127.0.0.1:%d", max_connections: 1000, timeout: 1s }'
            % mport)
        d = self.spawn(text, start=False, prefix=["prlimit", "--nofile=64", "--"]).start()
        self.slow_clients(mport, 300)
        self.assertTrue(wait_until(lambda: "accept paused" in d.stderr(), timeout=10), d.stderr())
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall("".join(syslog_line(t) + "\n" for t in esa_connection(3003)).encode())
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1, timeout=20),
                        d.stderr())
        self.assertGreater(d.count("esatlsd_metrics_accept_paused_total"), 0)
        self.assertEqual(d.stop(), 0)

    def test_label_values_escaped(self):
        # An output path with a double quote and a backslash comes back intact from the labels.
        port, mport = free_port(), free_port()
        text = ('listen:\n  - { proto: udp, address: "127.0.0.1:%d" }\n'
                'outputs:\n  - { file: "@DIR@/we\\"ird\\\\name.jsonl" }\n'
                'metrics: { address: "127.0.0.1:%d" }\n' % (port, mport))
        d = self.start(text)
        fams = scrape(mport)
        self.assertEqual(value(fams, "esatlsd_output_records_total",
                               output=d.path('we"ird\\name.jsonl')), 0)
        _, _, body = http_request(mport, "/metrics")
        self.assertIn(b'output="%s/we\\"ird\\\\name.jsonl"' % d.dir.encode(), body)

    def test_hooks_labelled(self):
        port, mport = free_port(), free_port()
        extra = ('hooks:\n  - { name: "pager", exec: ["/bin/true"] }\n'
                 '  - { name: "chat", webhook: "http://127.0.0.1:9/x" }\n')
        d = self.start(metrics_config(port, mport, extra))
        send = [syslog_line(t, host="esa2") for t in esa_connection(7, "tls_failed")]
        logger_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with logger_udp:
            for m in send:
                logger_udp.sendto(m.encode(), ("127.0.0.1", port))
        self.assertTrue(wait_until(lambda: value(scrape(mport), "esatlsd_hook_ok_total",
                                                 hook="pager", kind="exec") == 1), d.stderr())
        fams = scrape(mport)
        self.assertEqual(value(fams, "esatlsd_hook_offered_total", hook="pager", kind="exec"), 1)
        self.assertEqual(value(fams, "esatlsd_hook_runs_total", hook="pager", kind="exec"), 1)
        self.assertEqual(value(fams, "esatlsd_hook_offered_total", hook="chat", kind="webhook"), 1)
        self.assertEqual(fams["esatlsd_hook_running"]["type"], "gauge")

    def test_port_zero_logged(self):
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", 'metrics: { address: "127.0.0.1:0" }\n'))
        line = d.wait_stderr("metrics on http://127.0.0.1:")
        m = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", line or "")
        self.assertIsNotNone(m, d.stderr())
        self.assertEqual(value(scrape(int(m.group(1))), "esatlsd_up"), 1)

    def test_ipv6_endpoint(self):
        try:
            mport = free_port(host="::1")
        except OSError:
            self.skipTest("no IPv6 loopback")
        port = free_port()
        self.start(config(port, "@DIR@/v.jsonl", 'metrics: { address: "[::1]:%d" }\n' % mport))
        self.assertEqual(http_request(mport, "/healthz", host="::1")[0], 200)

    def test_reload_keeps_moves_and_refuses(self):
        port, mport, mport2 = free_port(), free_port(), free_port()
        d = self.start(metrics_config(port, mport))
        conn = http.client.HTTPConnection("127.0.0.1", mport, timeout=10)

        # Same address: the socket stays; a kept-alive connection keeps working.
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reloaded", start=start), d.stderr())
        self.assertEqual(value(scrape(mport), "esatlsd_reloads_total"), 1)
        conn.request("GET", "/healthz")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()

        # A new address: the new one serves, the old one is closed.
        d.write_config(metrics_config(port, mport2))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reloaded", start=start), d.stderr())
        self.assertEqual(value(scrape(mport2), "esatlsd_reloads_total"), 2)
        self.assertTrue(refuses(mport))

        # An address in use: the reload fails, the running endpoint stays.
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            d.write_config(metrics_config(port, busy.getsockname()[1]))
            start = d.stderr_count()
            d.send_signal(signal.SIGHUP)
            self.assertTrue(d.wait_stderr("reload failed", start=start), d.stderr())
            self.assertIn("bind: Address already in use", d.stderr())
            fams = scrape(mport2)
            self.assertEqual(value(fams, "esatlsd_reloads_total"), 2)
            self.assertEqual(value(fams, "esatlsd_reload_failures_total"), 1)

        # A bad address is a config error: the reload fails, the endpoint stays.
        d.write_config(config(port, "@DIR@/v.jsonl", 'metrics: { address: "localhost:1" }\n'))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reload failed", start=start), d.stderr())
        self.assertIn("expected a numeric IP:PORT or [IPv6]:PORT for 'address' in 'metrics'",
                      d.stderr())
        self.assertEqual(value(scrape(mport2), "esatlsd_reload_failures_total"), 2)

        # No metrics key: the endpoint closes; the daemon keeps running.
        d.write_config(config(port, "@DIR@/v.jsonl"))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reloaded", start=start), d.stderr())
        self.assertTrue(refuses(mport2))
        self.assertIsNone(d.proc.poll())
        self.assertEqual(d.stop(), 0)

    def test_closed_at_stop(self):
        port, mport = free_port(), free_port()
        d = self.start(metrics_config(port, mport))
        self.assertEqual(http_request(mport, "/healthz")[0], 200)
        self.assertEqual(d.stop(), 0)
        self.assertTrue(refuses(mport))

    def test_bad_address_is_a_config_error(self):
        path = self.spawn(None, start=False).path("bad.yaml")
        with open(path, "w") as f:
            f.write('metrics:\n  address: "127.0.0.1"\n')
        proc = self.run_binary(["-t", "-c", path])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("%s:2:12: expected a numeric IP:PORT or [IPv6]:PORT for 'address' in "
                      "'metrics', got \"127.0.0.1\"" % path, proc.stderr)
        with open(path, "w") as f:
            f.write('metrics: { listen: "127.0.0.1:1" }\n')
        proc = self.run_binary(["-t", "-c", path])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("%s:1:10: missing 'address' in 'metrics'" % path, proc.stderr)
        self.assertIn("%s:1:12: unknown key 'listen' in 'metrics'" % path, proc.stderr)

    def test_address_in_use_stops_the_start(self):
        port = free_port()
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            mport = busy.getsockname()[1]
            d = self.spawn(metrics_config(port, mport), start=False)
            d.start(wait_ready=False)
            self.assertEqual(d.wait_exit(), 1)
        self.assertIn("metrics 127.0.0.1:%d: bind: Address already in use" % mport, d.stderr())
        self.assertNotIn("READY=1", d.notified())


if __name__ == "__main__":
    main()
