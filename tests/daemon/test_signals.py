"""Signals against the running daemon: HUP reloads (a broken file, or one without a listen key,
changes nothing, a changed one rebinds only what changed, verdict files are reopened for
rotation, tracked connections carry over), TERM and INT end open connections as "shutdown",
log one summary line and exit 0."""

import os
import signal
import socket
import threading
import time

from harness import (DaemonTest, config, esa_connection, free_port, main,
                     read_complete_records, read_records, records_by_icid, send_udp, syslog_line,
                     wait_until)


def lf(lines):
    return ("\n".join(lines) + "\n").encode()


def messages(icid, verdict="tls", closed=True):
    return [syslog_line(t) for t in esa_connection(icid, verdict, closed)]


def socket_inode(proto, port):
    """The inode of the socket bound to 127.0.0.1:port (a TCP one listening), from /proc/net:
    the same inode before and after a reload means the socket was kept, not rebound."""
    want = "0100007F:%04X" % port
    with open("/proc/net/" + proto) as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want and (proto == "udp" or fields[3] == "0A"):
                return int(fields[9])
    return None


def listen_entries(*entries):
    return "".join('  - { proto: %s, address: "127.0.0.1:%d" }\n' % e for e in entries)


class Signals(DaemonTest):
    def records(self, name="v.jsonl"):
        return read_records(self.d.path(name))

    def wait_icids(self, icids, name="v.jsonl", timeout=10):
        ok = wait_until(lambda: set(icids) <= set(records_by_icid(
            read_complete_records(self.d.path(name)))), timeout)
        self.assertTrue(ok, "records for %s did not arrive:\n%s" % (sorted(icids), self.d.stderr()))

    def hup(self, expect="reloaded"):
        """Sends HUP and waits for its outcome line ("reloaded" or "reload failed")."""
        start = self.d.stderr_count()
        self.d.send_signal(signal.SIGHUP)
        line = self.d.wait_stderr(expect, start=start)
        self.assertIsNotNone(line, "no '%s' after HUP:\n%s" % (expect, self.d.stderr()))
        return line

    def test_hup_broken_config_keeps_serving(self):
        # The file becomes invalid YAML plus a bad value; HUP logs where and that the reload
        # failed, and the listeners of the running configuration still deliver.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        d.write_config("listen:\n  - { proto: udp, address: \"127.0.0.1:%d\" }\n"
                       "max_message_size: 3\n" % port)
        start = d.stderr_count()
        self.hup("reload failed")
        log = "\n".join(d.stderr_lines[start:])
        self.assertIn("%s:3:19: 'max_message_size' must be between" % d.config_path, log)
        d.write_config("listen: [\n")
        start = d.stderr_count()
        self.hup("reload failed")
        self.assertIn("%s:2:1:" % d.config_path, "\n".join(d.stderr_lines[start:]))
        send_udp(port, messages(100))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(lf(messages(101)))
        self.wait_icids({100, 101})
        self.assertEqual((d.count("esatlsd_reloads_total"), d.count("esatlsd_reload_failures_total")),
                         (0, 2))
        self.assertEqual(d.stop(), 0)
        # systemd hears of each attempt, and that the daemon is ready again after it.
        notes = [n.split("\n")[0] for n in d.notified() if not n.startswith("STATUS=")]
        self.assertEqual(notes, ["READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1",
                                 "STOPPING=1"])

    def test_hup_file_without_listen_is_refused(self):
        # An emptied file, and one cut short before its listen list, would parse as "the
        # built-in listeners": HUP refuses both with an error-level line saying why, the
        # listeners and metrics endpoint stay, and the outputs are still reopened (a rotation's
        # HUP loses nothing). A file with an explicit listen list reloads.
        port, mport, other = free_port(), free_port(), free_port()
        metrics = 'metrics: { address: "127.0.0.1:%d" }\n' % mport
        d = self.start(config(port, "@DIR@/v.jsonl", extra=metrics))
        for text in ("", 'outputs:\n  - { file: "@DIR@/v.jsonl" }\n'):
            d.write_config(text)
            start = d.stderr_count()
            self.hup("reload failed")
            log = d.stderr_lines[start:]
            self.assertIn("esatlsd: error: %s: reload refused: no 'listen' key (an empty or "
                          "cut-short file?); a file that wants the built-in listeners names them"
                          % d.config_path, log)
            self.assertIn("esatlsd: error: reload failed; the running configuration stays in "
                          "force", log)
        send_udp(port, messages(170))
        self.wait_icids({170})
        os.rename(d.path("v.jsonl"), d.path("v.jsonl.1"))
        self.hup("reload failed")
        send_udp(port, messages(171))
        self.wait_icids({171})
        self.assertEqual([r["icid"] for r in read_records(d.path("v.jsonl.1"))], [170])
        with socket.create_connection(("127.0.0.1", mport)) as m:
            m.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            self.assertIn(b"200", m.recv(100))
        d.write_config(config(other, "@DIR@/v.jsonl"))
        self.hup("reloaded")
        send_udp(other, messages(172))
        self.wait_icids({172})
        self.assertEqual((d.count("esatlsd_reloads_total"), d.count("esatlsd_reload_failures_total")),
                         (1, 3))
        self.assertEqual(d.stop(), 0)

    def test_hup_unbindable_listener_keeps_running_config(self):
        # A valid file whose new TCP address is taken by another socket: the reload fails as a
        # whole (the UDP listener it had already opened is closed again, no new output file
        # appears) and the running listeners and output go on.
        a, c, busy_port = free_port(), free_port(), free_port()
        d = self.start(config(a, "@DIR@/v.jsonl"))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", busy_port))
            busy.listen(1)
            new = listen_entries(("tcp", a), ("udp", c), ("tcp", busy_port))
            d.write_config(config(a, "@DIR@/v2.jsonl", listen=new))
            start = d.stderr_count()
            self.hup("reload failed")
            self.assertIn("tcp 127.0.0.1:%d: bind: Address already in use" % busy_port,
                          "\n".join(d.stderr_lines[start:]))
        send_udp(a, messages(160))
        with socket.create_connection(("127.0.0.1", a)) as s:
            s.sendall(lf(messages(161)))
        self.wait_icids({160, 161})
        self.assertIsNone(socket_inode("udp", c))
        self.assertFalse(os.path.exists(d.path("v2.jsonl")))
        self.assertEqual(d.stop(), 0)

    def test_hup_rebinds_only_changed_listeners(self):
        # Before: tcp A, udp A, tcp B, udp B. After: tcp A, udp A (kept), tcp C, udp C (new).
        # A TCP connection to the kept listener stays open across the reload and keeps
        # delivering; C starts; B stops (TCP connect refused, UDP answered by port unreachable).
        a, b, c = free_port(), free_port(), free_port()
        before = listen_entries(("tcp", a), ("udp", a), ("tcp", b), ("udp", b))
        after = listen_entries(("tcp", a), ("udp", a), ("tcp", c), ("udp", c))
        d = self.start(config(a, "@DIR@/v.jsonl", listen=before))
        inodes = {proto: socket_inode(proto, a) for proto in ("tcp", "udp")}
        self.assertNotIn(None, inodes.values())
        kept = socket.create_connection(("127.0.0.1", a))
        with kept:
            kept.sendall(lf(messages(110)[:2]))
            with socket.create_connection(("127.0.0.1", b)) as s:
                s.sendall(lf(messages(111)))
            self.wait_icids({111})
            d.write_config(config(a, "@DIR@/v.jsonl", listen=after))
            start = d.stderr_count()
            self.hup()
            log = "\n".join(d.stderr_lines[start:])
            for proto, port in (("tcp", a), ("udp", a), ("tcp", c), ("udp", c)):
                self.assertIn("listening on %s 127.0.0.1:%d" % (proto, port), log)
            self.assertNotIn("127.0.0.1:%d" % b, log)
            self.assertEqual({proto: socket_inode(proto, a) for proto in ("tcp", "udp")}, inodes)
            kept.sendall(lf(messages(110)[2:]))
            self.wait_icids({110})
        send_udp(a, messages(112))
        send_udp(c, messages(113))
        with socket.create_connection(("127.0.0.1", c)) as s:
            s.sendall(lf(messages(114)))
        self.wait_icids({112, 113, 114})
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", b), timeout=2).close()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.connect(("127.0.0.1", b))
            u.settimeout(2)
            u.send(lf(messages(115)[:1]))
            with self.assertRaises(ConnectionRefusedError):
                u.recv(10)
        r110 = records_by_icid(self.records())[110]
        self.assertEqual(len(r110), 1)
        self.assertEqual((r110[0]["verdict"], r110[0]["lines"]), ("tls", 4))
        self.assertEqual(d.stop(), 0)
        self.assertEqual(sorted(records_by_icid(self.records())), [110, 111, 112, 113, 114])

    def test_hup_rebinds_listener_with_changed_rcvbuf(self):
        # A UDP listener whose rcvbuf changes is a changed listener: it is bound anew on the
        # same port (a new socket) and delivers; the TCP listener on that port stays as it is.
        port = free_port()
        before = listen_entries(("udp", port), ("tcp", port))
        after = ('  - { proto: udp, address: "127.0.0.1:%d", rcvbuf: 1MiB }\n' % port +
                 listen_entries(("tcp", port)))
        d = self.start(config(port, "@DIR@/v.jsonl", listen=before))
        udp, tcp = socket_inode("udp", port), socket_inode("tcp", port)
        d.write_config(config(port, "@DIR@/v.jsonl", listen=after))
        self.hup()
        self.assertNotIn(socket_inode("udp", port), (None, udp))
        self.assertEqual(socket_inode("tcp", port), tcp)
        send_udp(port, messages(150))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(lf(messages(151)))
        self.wait_icids({150, 151})
        self.assertEqual(d.stop(), 0)

    def test_hup_applies_allow_from_to_kept_listeners(self):
        # allow_from changes on HUP while the listeners stay: 127.0.0.2 is served before, then
        # rejected (datagrams and connections) after the reload narrows the list to 127.0.0.1.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        send_udp(port, messages(140), source="127.0.0.2")
        self.wait_icids({140})
        d.write_config(config(port, "@DIR@/v.jsonl", extra="allow_from: [127.0.0.1/32]\n"))
        self.hup()
        send_udp(port, messages(141), source="127.0.0.2")
        with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0)) as s:
            try:
                s.sendall(lf(messages(142)))
            except (BrokenPipeError, ConnectionResetError):
                pass
        send_udp(port, messages(143), source="127.0.0.1")
        self.wait_icids({143})
        c = d.counter_map()
        self.assertEqual(c["udp 127.0.0.1:%d" % port]["rejected"], 4, c)
        self.assertEqual(c["tcp 127.0.0.1:%d" % port]["rejected"], 1, c)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(sorted(records_by_icid(self.records())), [140, 143])

    def test_hup_reopens_rotated_file(self):
        # While a sender streams connections over TCP, verdicts.jsonl is renamed to
        # verdicts.jsonl.1 and HUP sent: later records go to a new verdicts.jsonl, earlier ones
        # stay in .1; together they hold every connection exactly once, every line whole.
        port = free_port()
        d = self.start(config(port, "@DIR@/verdicts.jsonl"))
        live, rotated = d.path("verdicts.jsonl"), d.path("verdicts.jsonl.1")
        stop = threading.Event()
        sent = []

        def sender():
            with socket.create_connection(("127.0.0.1", port)) as s:
                icid = 1000
                while not stop.is_set() and icid < 100000:
                    s.sendall(lf(messages(icid)))
                    sent.append(icid)
                    icid += 1
                    if icid % 10 == 0:
                        stop.wait(0.002)

        t = threading.Thread(target=sender)
        t.start()
        try:
            self.assertTrue(wait_until(lambda: len(read_complete_records(live)) >= 100), d.stderr())
            os.rename(live, rotated)
            self.hup()
            # The sender is still going: records keep coming, now into the new file.
            self.assertTrue(wait_until(lambda: len(read_complete_records(live)) >= 100), d.stderr())
        finally:
            stop.set()
            t.join(30)
        self.assertTrue(wait_until(lambda: len(read_complete_records(live)) +
                                   len(read_complete_records(rotated)) >= len(sent)), d.stderr())
        self.assertEqual(d.stop(), 0)
        old, new = read_records(rotated), read_records(live)
        self.assertGreaterEqual(len(old), 100)
        self.assertGreaterEqual(len(new), 100)
        icids = [r["icid"] for r in old + new]
        self.assertEqual(icids, sent)
        self.assertLess(max(r["icid"] for r in old), min(r["icid"] for r in new))
        for path in (live, rotated):
            with open(path, "rb") as f:
                self.assertTrue(f.read().endswith(b"}\n"), path)

    def check_stop(self, sig):
        # An SMTP connection still open (its last line, the TLS success, unterminated on a TCP
        # connection that is still open) and one from UDP are written as end "shutdown" on sig;
        # the daemon exits 0.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        send_udp(port, messages(120, "tls_failed", closed=False))
        s = socket.create_connection(("127.0.0.1", port))
        with s:
            s.sendall(lf(messages(121, "tls", closed=False))[:-1])
            self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 2, timeout=5))
            self.assertEqual(self.records(), [])
            self.assertEqual(d.stop(sig), 0)
        conns = records_by_icid(self.records())
        self.assertEqual(sorted(conns), [120, 121])
        self.assertEqual((conns[120][0]["verdict"], conns[120][0]["end"]),
                         ("tls_failed", "shutdown"))
        self.assertEqual((conns[121][0]["verdict"], conns[121][0]["end"]), ("tls", "shutdown"))
        self.assertEqual(conns[121][0]["lines"], 3)
        # The stop logs one counters line, the summary, last; the full dump is USR1's.
        after = d.stderr_lines[d.stderr_lines.index("esatlsd: stopping"):]
        self.assertEqual([l for l in after if "counters:" in l], after[-1:])
        self.assertEqual(after[-1], "esatlsd: counters: summary 6 messages, 0 open, 1 tls, "
                         "1 tls_failed, 0 no_tls, 0 unknown, 0 lost or refused")

    def test_term_flushes_open_connections(self):
        # TERM: see check_stop.
        self.check_stop(signal.SIGTERM)

    def test_int_flushes_open_connections(self):
        # INT (Ctrl-C in a terminal) behaves as TERM.
        self.check_stop(signal.SIGINT)

    def test_stop_bounded_by_stop_timeout(self):
        # A hook that ignores SIGTERM and sleeps used to hold a stop for 25 s. The stop now
        # waits stop_timeout (here 2 s) at most, with the event loop running: the hook is then
        # killed, what it had is logged as lost, and the daemon exits 0.
        port = free_port()
        hook = ('hooks:\n  - name: stubborn\n    exec: ["/bin/sh", "-c", '
                '"trap \'\' TERM; sleep 30"]\n    timeout: 1h\nstop_timeout: 2s\n')
        d = self.start(config(port, "@DIR@/v.jsonl", hook))
        send_udp(port, messages(130, "tls_failed"))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_running") == 1, timeout=10),
                        d.stderr())
        started = time.monotonic()
        self.assertEqual(d.stop(timeout=15), 0)
        took = time.monotonic() - started
        self.assertGreaterEqual(took, 1.5)
        self.assertLess(took, 6)
        self.assertIn("hook stubborn: 1 runs still going at close were killed", d.stderr())
        self.assertIn("counters: summary", d.stderr())
        self.assertEqual([r["icid"] for r in self.records()], [130])

    def test_tracked_connections_survive_reload(self):
        # An SMTP connection opened (with a TLS failure) before a HUP that changes the tracking
        # settings and closed after it makes exactly one record, with the failure in it.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        lines = messages(130, "tls_failed")
        send_udp(port, lines[:3])
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 1, timeout=5))
        d.write_config(config(port, "@DIR@/v.jsonl",
                              extra="tracking: { idle_timeout: 20m, linger: 30s }\n"))
        self.hup()
        send_udp(port, lines[3:])
        self.wait_icids({130})
        self.assertEqual(d.stop(), 0)
        records = self.records()
        self.assertEqual(len(records), 1, records)
        r = records[0]
        self.assertEqual((r["icid"], r["verdict"], r["end"], r["lines"]),
                         (130, "tls_failed", "close", 4))
        self.assertEqual(r["tls_error"], "[Errno 54] Connection reset by peer")


if __name__ == "__main__":
    main()
