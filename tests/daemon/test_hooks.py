"""Alert hooks against the running daemon: exec hooks get the record on stdin and ESATLSD_*
variables, only for the verdicts they ask for, with no shell anywhere; a hook that hangs is
killed at its timeout while verdicts keep flowing; queue and throttle limits are counted; a
failure still open alerts within alert_delay; webhooks are posted and retried."""

import glob
import http.server
import json
import os
import signal
import threading
import time

from harness import DaemonTest, config, free_port, main, read_records, send_udp, wait_until

HOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooks")


def line(icid_text, host="esa1"):
    return "<22>Nov 28 12:00:00 %s mail_logs: Info: %s" % (host, icid_text)


def conn(icid, tls, peer="192.0.2.1", rdns="mx.example.org", close=True):
    lines = [line("New SMTP ICID %d interface Data 1 (10.0.0.1) address %s reverse dns host %s "
                  "verified yes" % (icid, peer, rdns))]
    if tls == "ok":
        lines.append(line("ICID %d TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384" % icid))
    elif tls == "fail":
        lines.append(line("ICID %d TLS failed: [Errno 54] Connection reset by peer" % icid))
    if close:
        lines.append(line("ICID %d close" % icid))
    return lines


def runs(directory):
    """Finished runs of the record hook: (json, env dict, args) each."""
    out = []
    for done in sorted(glob.glob(os.path.join(directory, "run.*.done"))):
        base = done[:-len(".done")]
        with open(done) as f:
            record = json.loads(f.read())
        env = {}
        with open(base + ".env") as f:
            for entry in f.read().split("\n"):
                if "=" in entry:
                    k, v = entry.split("=", 1)
                    env[k] = v
        with open(base + ".args") as f:
            args = f.read().split("\n")[:-1]
        out.append((record, env, args))
    return out


def hook_config(port, out, hooks, extra=""):
    return config(port, out, extra="hooks:\n" + hooks + extra)


class ExecHooks(DaemonTest):
    def setUp(self):
        super().setUp()
        self.port = free_port()

    def start_with(self, hooks, extra=""):
        d = self.start(hook_config(self.port, "@DIR@/v.jsonl", hooks, extra))
        os.makedirs(d.path("runs"), exist_ok=True)
        os.chmod(d.dir, 0o755)
        return d

    def test_records_tls_failed_only_with_env(self):
        # Three connections (tls, tls_failed, no_tls): the default filter alerts on the failure
        # only; stdin is the record as the file has it; the environment carries its fields and
        # nothing of the daemon's own environment.
        d = self.start_with('  - { name: rec, exec: ["%s/record", "@DIR@/runs"] }\n' % HOOKS)
        send_udp(self.port, conn(1, "ok") + conn(2, "fail") + conn(3, None))
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) >= 1), d.stderr())
        time.sleep(0.5)
        got = runs(d.path("runs"))
        self.assertEqual(len(got), 1)
        record, env, args = got[0]
        self.assertEqual((record["icid"], record["verdict"]), (2, "tls_failed"))
        self.assertEqual(env["ESATLSD_VERDICT"], "tls_failed")
        self.assertEqual(env["ESATLSD_DIRECTION"], "inbound")
        self.assertEqual(env["ESATLSD_HOST"], "esa1")
        self.assertEqual(env["ESATLSD_CONN_ID"], "2")
        self.assertEqual(env["ESATLSD_PEER_IP"], "192.0.2.1")
        self.assertEqual(env["ESATLSD_TLS_ERROR"], "[Errno 54] Connection reset by peer")
        self.assertEqual(env["ESATLSD_HOOK"], "rec")
        self.assertEqual(env["ESATLSD_SUPPRESSED"], "0")
        self.assertNotIn("NOTIFY_SOCKET", env)
        self.assertEqual(args, [])
        self.assertEqual(d.stop(), 0)
        file_records = read_records(d.path("v.jsonl"))
        self.assertEqual(len(file_records), 3)
        self.assertIn(record, file_records)

    def test_hostile_rdns_reaches_no_shell(self):
        # The remote host chooses its reverse DNS name: it arrives escaped in JSON and as plain
        # data in the environment, and nothing runs it.
        marker = "/tmp/esatlsd-hook-marker-%d" % os.getpid()
        if os.path.exists(marker):
            os.unlink(marker)
        rdns = "$(touch %s)`touch %s`;id;\"'\\" % (marker, marker)
        d = self.start_with('  - { name: rec, exec: ["%s/record", "@DIR@/runs", "--static"] }\n'
                            % HOOKS)
        send_udp(self.port, conn(9, "fail", rdns=rdns))
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 1), d.stderr())
        record, env, args = runs(d.path("runs"))[0]
        self.assertEqual(record["peer_rdns"], rdns)
        self.assertEqual(env["ESATLSD_PEER_RDNS"], rdns)
        self.assertEqual(args, ["--static"])
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(d.stop(), 0)

    def test_hanging_hook_killed_at_timeout_while_verdicts_flow(self):
        # A hook that never ends is killed (with its process group) at its 1 s timeout and
        # counted; meanwhile the daemon keeps writing records.
        d = self.start_with('  - { name: hang, exec: ["%s/sleep", "@DIR@/runs"], timeout: 1s }\n'
                            % HOOKS)
        send_udp(self.port, conn(1, "fail"))
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("runs/started"))), d.stderr())
        send_udp(self.port, conn(2, "ok"))
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 2, timeout=0.8),
                        "records stalled behind a running hook")
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_timeouts_total") == 1, timeout=6), d.stderr())
        with open(d.path("runs/started")) as f:
            pid = int(f.read().split()[0])
        self.assertTrue(wait_until(lambda: not os.path.exists("/proc/%d" % pid)))
        self.assertEqual(d.stop(), 0)

    def test_queue_overflow_counted(self):
        # max_concurrent 1, queue 2: of 6 failures at once, 1 runs, 2 wait, 3 are dropped.
        d = self.start_with('  - { name: hang, exec: ["%s/sleep", "@DIR@/runs"], timeout: 2s, '
                            'max_concurrent: 1, queue: 2 }\n' % HOOKS)
        lines = []
        for i in range(1, 7):
            lines += conn(i, "fail")
        send_udp(self.port, lines)
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_queue_drops_total") == 3, timeout=5), d.stderr())
        self.assertEqual((d.count("esatlsd_hook_running"), d.count("esatlsd_hook_queued")),
                         (1, 2))
        d.stop()

    def test_throttle_by_peer_ip(self):
        # throttle peer_ip 1h: 4 failures from one peer and 1 from another give 2 alerts and 3
        # suppressed; the next alert from the first peer, after the interval, would say 3.
        d = self.start_with('  - { name: rec, exec: ["%s/record", "@DIR@/runs"], '
                            'throttle: { key: peer_ip, interval: 1h } }\n' % HOOKS)
        lines = []
        for i in range(1, 5):
            lines += conn(i, "fail", peer="192.0.2.7")
        lines += conn(5, "fail", peer="192.0.2.8")
        send_udp(self.port, lines)
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 2), d.stderr())
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_throttled_total") == 3), d.stderr())
        peers = sorted(r["peer_ip"] for r, _, _ in runs(d.path("runs")))
        self.assertEqual(peers, ["192.0.2.7", "192.0.2.8"])
        d.stop()

    def test_throttled_count_reported_by_next_alert(self):
        # A 1 s throttle on the whole hook: the alert after the interval carries "suppressed".
        d = self.start_with('  - { name: rec, exec: ["%s/record", "@DIR@/runs"], '
                            'throttle: { key: none, interval: 1s } }\n' % HOOKS)
        send_udp(self.port, conn(1, "fail") + conn(2, "fail") + conn(3, "fail"))
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 1), d.stderr())
        time.sleep(1.2)
        send_udp(self.port, conn(4, "fail"))
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 2), d.stderr())
        last = [r for r in runs(d.path("runs")) if r[0]["icid"] == 4][0]
        self.assertEqual(last[0]["suppressed"], 2)
        self.assertEqual(last[1]["ESATLSD_SUPPRESSED"], "2")
        d.stop()

    def test_open_failure_alerts_within_alert_delay(self):
        # A failure on a connection that stays open reaches the hook within alert_delay (2 s,
        # plus one daemon tick), with end "open"; the file still gets one final record.
        d = self.start_with('  - { name: rec, exec: ["%s/record", "@DIR@/runs"] }\n' % HOOKS)
        sent = time.monotonic()
        send_udp(self.port, conn(11, "fail", close=False))
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 1, timeout=5), d.stderr())
        elapsed = time.monotonic() - sent
        self.assertLess(elapsed, 2.5)
        record = runs(d.path("runs"))[0][0]
        self.assertEqual((record["icid"], record["end"], record["verdict"]), (11, "open", "tls_failed"))
        send_udp(self.port, [line("ICID 11 close")])
        self.assertEqual(d.stop(), 0)
        self.assertEqual([(r["icid"], r["end"]) for r in read_records(d.path("v.jsonl"))],
                         [(11, "close")])
        self.assertEqual(len(runs(d.path("runs"))), 1)  # alerted once

    def test_direction_and_host_filters(self):
        # on: {direction: [outbound], host: [esa2]}: of failures inbound and outbound on esa1
        # and esa2, only esa2's outbound one alerts.
        d = self.start_with('  - { name: rec, exec: ["%s/record", "@DIR@/runs"], '
                            'on: { direction: [outbound], host: [ESA2] } }\n' % HOOKS)
        lines = conn(1, "fail", close=True)
        lines += [line("ICID 2 TLS failed", host="esa2"), line("ICID 2 close", host="esa2")]
        for host in ("esa1", "esa2"):
            lines += [line("New SMTP DCID 7 interface 10.0.0.1 address 192.0.2.9 port 25", host=host),
                      line("DCID 7 TLS failed: STARTTLS unexpected response", host=host),
                      line("DCID 7 close", host=host)]
        send_udp(self.port, lines)
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 4), d.stderr())
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 1), d.stderr())
        time.sleep(0.5)
        got = runs(d.path("runs"))
        self.assertEqual([(r["host"], r["direction"], r["dcid"]) for r, _, _ in got],
                         [("esa2", "outbound", 7)])
        d.stop()

    def test_reload_adds_and_retires_hooks_without_losing_alerts(self):
        # A slow hook with one run going and two queued is removed by a reload: it finishes all
        # three (nothing queued is lost); the hook added by the same reload gets later alerts.
        d = self.start_with('  - { name: old, exec: ["%s/slow", "@DIR@/runs"], max_concurrent: 1 }\n'
                            % HOOKS)
        send_udp(self.port, conn(1, "fail") + conn(2, "fail") + conn(3, "fail"))
        self.assertTrue(wait_until(lambda: (d.count("esatlsd_hook_running"),
                                                   d.count("esatlsd_hook_queued")) == (1, 2), timeout=3),
                        d.stderr())
        os.makedirs(d.path("new"), exist_ok=True)
        d.write_config(hook_config(self.port, "@DIR@/v.jsonl",
                                   '  - { name: new, exec: ["%s/record", "@DIR@/new"] }\n' % HOOKS))
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "reloaded" in d.stderr()), d.stderr())
        send_udp(self.port, conn(4, "fail"))
        self.assertTrue(wait_until(lambda: len(runs(d.path("new"))) == 1), d.stderr())
        self.assertEqual(runs(d.path("new"))[0][0]["icid"], 4)
        self.assertTrue(wait_until(lambda: len(runs(d.path("runs"))) == 3, timeout=8), d.stderr())
        self.assertEqual(sorted(r["icid"] for r, _, _ in runs(d.path("runs"))), [1, 2, 3])
        self.assertTrue(wait_until(lambda: "hook old: removed" in d.stderr()), d.stderr())
        self.assertEqual(d.stop(), 0)

    def test_term_waits_for_running_hook(self):
        # TERM while a hook runs: the daemon keeps its loop going until the run ends, so the
        # alert of the last failure is not lost, then exits 0.
        d = self.start_with('  - { name: slow, exec: ["%s/slow", "@DIR@/runs"], timeout: 5s }\n'
                            % HOOKS)
        send_udp(self.port, conn(1, "fail"))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_running") == 1, timeout=3), d.stderr())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(len(runs(d.path("runs"))), 1)


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers with the next code of server.codes (200 when empty) and records each POST."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((dict(self.headers), body))
        code = self.server.codes.pop(0) if self.server.codes else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Webhooks(DaemonTest):
    def setUp(self):
        super().setUp()
        self.http = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        self.http.posts = []
        self.http.codes = []
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.port = free_port()

    def tearDown(self):
        self.http.shutdown()
        self.http.server_close()
        super().tearDown()

    def start_hook(self, extra=""):
        url = "http://127.0.0.1:%d/alert" % self.http.server_address[1]
        return self.start(hook_config(self.port, "@DIR@/v.jsonl",
                                      '  - { name: chat, webhook: "%s"%s }\n' % (url, extra)))

    def test_post_arrives(self):
        # The failure's record is POSTed as JSON with the hook's name in a header.
        d = self.start_hook()
        send_udp(self.port, conn(1, "ok") + conn(2, "fail"))
        self.assertTrue(wait_until(lambda: len(self.http.posts) == 1), d.stderr())
        headers, body = self.http.posts[0]
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["X-Esatlsd-Hook"], "chat")
        record = json.loads(body)
        self.assertEqual((record["icid"], record["verdict"]), (2, "tls_failed"))
        self.assertEqual(d.stop(), 0)

    def test_500_then_200_is_retried(self):
        # The receiver fails once: the alert is posted again after the back-off and succeeds.
        self.http.codes = [500]
        d = self.start_hook(", retries: 2")
        send_udp(self.port, conn(3, "fail"))
        self.assertTrue(wait_until(lambda: len(self.http.posts) == 2, timeout=6), d.stderr())
        self.assertEqual(self.http.posts[0][1], self.http.posts[1][1])
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_retries_total") == 1 and
                                   d.count("esatlsd_hook_ok_total") == 1),
                        d.stderr())
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
