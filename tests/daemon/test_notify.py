"""The systemd notification protocol against the running daemon, on a NOTIFY_SOCKET of the
test's own: READY=1 once listening, RELOADING=1 with MONOTONIC_USEC then READY=1 around a
reload, STOPPING=1, STATUS=, the watchdog (only for its own pid), and abstract sockets."""

import os
import signal
import socket
import time

from harness import (DaemonTest, config, esa_connection, free_port, main, read_complete_records,
                     send_udp, syslog_line, wait_until)


def lf(lines):
    return ("\n".join(lines) + "\n").encode()


def messages(icid, verdict="tls"):
    return [syslog_line(t) for t in esa_connection(icid, verdict)]


def lifecycle(notes):
    """The notifications without the periodic ones (STATUS=, WATCHDOG=1)."""
    return [n for n in notes if not n.startswith(("STATUS=", "WATCHDOG="))]


class Notify(DaemonTest):
    def test_ready_reload_stopping_in_order(self):
        # READY=1 comes once the listeners are bound: a TCP connection and a datagram sent the
        # moment it arrives are served. HUP sends RELOADING=1 with the current CLOCK_MONOTONIC
        # then READY=1; TERM sends STOPPING=1. STATUS= lines carry the counters.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(lf(messages(1)))
        send_udp(port, messages(2))
        self.assertTrue(wait_until(lambda: len(read_complete_records(d.path("v.jsonl"))) == 2))
        self.assertEqual(lifecycle(d.notified()), ["READY=1"])
        before = time.monotonic()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: len(lifecycle(d.notified())) == 3), d.notified())
        after = time.monotonic()
        reloading = lifecycle(d.notified())[1]
        head, usec = reloading.split("\nMONOTONIC_USEC=")
        self.assertEqual(head, "RELOADING=1")
        self.assertRegex(usec, r"^\d+$")
        self.assertTrue(before - 0.01 <= int(usec) / 1e6 <= after + 0.01,
                        (before, int(usec) / 1e6, after))
        self.assertEqual(lifecycle(d.notified())[2], "READY=1")
        self.assertEqual(d.stop(), 0)
        notes = d.notified()
        self.assertEqual(lifecycle(notes),
                         ["READY=1", reloading, "READY=1", "STOPPING=1"])
        status = [n for n in notes if n.startswith("STATUS=")]
        self.assertTrue(status, notes)
        self.assertRegex(status[0], r"^STATUS=\d+ messages, \d+ open, \d+ tls, \d+ tls_failed, "
                                    r"\d+ no_tls, \d+ unknown, \d+ lost or refused$")
        # The first STATUS= follows the first READY=1 at start-up.
        self.assertLess(notes.index("READY=1"), notes.index(status[0]))

    def test_status_follows_the_counters(self):
        # STATUS= every 5 s: the first, at start, says 0 messages; a later one counts the
        # two connections sent (5 lines each: 10 messages), their verdicts and 1 still open.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        send_udp(port, messages(1, "tls") + messages(2, "tls_failed") +
                 [syslog_line(t) for t in esa_connection(3, "tls", closed=False)])
        sent = len(messages(1, "tls")) + len(messages(2, "tls_failed")) + \
            len(esa_connection(3, "tls", closed=False))
        want = ("STATUS=%d messages, 1 open, 1 tls, 1 tls_failed, 0 no_tls, 0 unknown, "
                "0 lost or refused" % sent)
        self.assertTrue(wait_until(lambda: want in d.notified(), timeout=12), d.notified())
        status = [n for n in d.notified() if n.startswith("STATUS=")]
        self.assertTrue(status[0].startswith("STATUS=0 messages, 0 open"), status)
        self.assertEqual(d.stop(), 0)

    def test_watchdog_pets_repeatedly(self):
        # WATCHDOG_USEC=200000 (and no WATCHDOG_PID): WATCHDOG=1 at least 3 times within 1 s.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"), env={"WATCHDOG_USEC": "200000"})
        ready_at = next(t for n, t in d.notified_at() if n == "READY=1")
        time.sleep(1.05)
        times = [t for n, t in d.notified_at() if n == "WATCHDOG=1"]
        self.assertGreaterEqual(len([t for t in times if t <= ready_at + 1.0]), 3, times)
        self.assertEqual(d.stop(), 0)

    def test_watchdog_pid_names_this_process(self):
        # WATCHDOG_PID set to the daemon's own pid (a shell that execs it keeps its pid): pets.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"), env={"WATCHDOG_USEC": "200000"},
                       prefix=["sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$0" "$@"'])
        self.assertTrue(wait_until(lambda: d.notified().count("WATCHDOG=1") >= 3, timeout=2))
        self.assertEqual(d.stop(), 0)

    def test_watchdog_pid_of_another_process(self):
        # WATCHDOG_PID names another process (this test): the daemon must not pet for it.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"),
                       env={"WATCHDOG_USEC": "200000", "WATCHDOG_PID": str(os.getpid())})
        time.sleep(1.0)
        self.assertNotIn("WATCHDOG=1", d.notified())
        self.assertEqual(d.stop(), 0)
        self.assertNotIn("WATCHDOG=1", d.notified())

    def test_abstract_namespace_socket(self):
        # NOTIFY_SOCKET="@name" is the abstract socket "\0name": READY=1, the reload pair and
        # STOPPING=1 all arrive on it.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"), notify_abstract=True)
        self.assertTrue(d.env["NOTIFY_SOCKET"].startswith("@"))
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: len(lifecycle(d.notified())) == 3), d.notified())
        self.assertEqual(d.stop(), 0)
        notes = lifecycle(d.notified())
        self.assertEqual([n.split("\n")[0] for n in notes],
                         ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"])
        self.assertNotIn("notify", d.stderr())


if __name__ == "__main__":
    main()
