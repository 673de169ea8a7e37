"""The state file against the running daemon: TERM saves open connections instead of ending
them as "shutdown", the next start resumes them so that a connection spanning the restart yields
exactly one record with the right verdict, end, times and MIDs; corrupt, truncated, foreign and
empty files are set aside and the daemon starts empty; after kill -9 the last checkpoint is what
survives, as the README says."""

import glob
import json
import os
import signal
import struct
import time

from harness import (DaemonTest, config, esa_connection, free_port, main, read_records,
                     send_udp, syslog_line, wait_until)

BEFORE, AFTER = "Nov 28 12:00:00", "Nov 28 12:05:00"


def inbound(icid, stamp, lines):
    return [syslog_line("Info: " + l % {"id": icid}, stamp=stamp) for l in lines]


def outbound_open(dcid, stamp):
    return [syslog_line(t % {"id": dcid}, stamp=stamp) for t in (
        "Info: New SMTP DCID %(id)d interface 10.0.0.1 address 192.0.2.25 port 25",
        "Info: Delivery start DCID %(id)d MID 500 to RID [0]",
        "Info: DCID %(id)d TLS failed: STARTTLS unexpected response",
        "Info: Delivery start DCID %(id)d MID 501 to RID [0]")]


def state_config(port, state, extra=""):
    return config(port, "@DIR@/v.jsonl",
                  extra="tracking: { state_file: \"%s\"%s }\n" % (state, extra))


class State(DaemonTest):
    def restart(self, first, text):
        """A second daemon on the same files as first (stopped already)."""
        return self.spawn(text.replace("@DIR@", first.dir))

    def test_restart_mid_connection_gives_one_record(self):
        port = free_port()
        text = state_config(port, "@DIR@/state")
        d = self.start(text)
        self.assertIn("none yet", d.wait_stderr("state file"))
        send_udp(port, inbound(41, BEFORE, [
            "New SMTP ICID %(id)d interface Data 1 (10.0.0.1) address 192.0.2.41 "
            "reverse dns host mx.example.net verified yes",
            "ICID %(id)d TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384",
            "Start MID 900 ICID %(id)d"]) + outbound_open(77, BEFORE))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 2))
        self.assertEqual(d.stop(), 0)
        # Nothing ended: no "shutdown" records; the two connections are in the file.
        self.assertEqual(read_records(d.path("v.jsonl")), [])
        self.assertTrue(os.path.getsize(d.path("state")) > 0)
        self.assertIn("2 open connections saved", d.stderr())

        d2 = self.restart(d, text)
        self.assertTrue(d2.wait_stderr("2 open connections restored"), d2.stderr())
        self.assertEqual(d2.count("esatlsd_connections_restored_total"), 2)
        send_udp(port, inbound(41, AFTER, ["Start MID 901 ICID %(id)d", "ICID %(id)d close"]) +
                 [syslog_line("Info: DCID 77 close", stamp=AFTER)])
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 2),
                        d2.stderr())
        self.assertEqual(d2.stop(), 0)
        records = read_records(d.path("v.jsonl"))
        self.assertEqual(len(records), 2, records)
        inb = next(r for r in records if r.get("icid") == 41)
        self.assertEqual((inb["verdict"], inb["end"], inb["mids"], inb["lines"]),
                         ("tls", "close", [900, 901], 5))
        self.assertEqual((inb["tls_protocol"], inb["peer_rdns"], inb["peer_rdns_verified"]),
                         ("TLSv1.3", "mx.example.net", True))
        self.assertTrue(inb["first_seen"].endswith("11-28T12:00:00"), inb)
        self.assertTrue(inb["last_seen"].endswith("11-28T12:05:00"), inb)
        out = next(r for r in records if r.get("dcid") == 77)
        self.assertEqual((out["verdict"], out["end"], out["mids"]),
                         ("tls_failed", "close", [500, 501]), out)
        self.assertEqual(out["tls_error"], "STARTTLS unexpected response")
        # The file written at the second stop holds no connection.
        self.assertIn("0 open connections saved", d2.stderr())

    def test_unreadable_state_files_are_set_aside(self):
        # A good file to damage: one connection saved at a stop.
        port = free_port()
        text = state_config(port, "@DIR@/state")
        d = self.start(text)
        send_udp(port, inbound(5, BEFORE, ["New SMTP ICID %(id)d interface Data 1 (10.0.0.1) "
                                           "address 192.0.2.5 reverse dns host a.example "
                                           "verified no"]))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 1))
        self.assertEqual(d.stop(), 0)
        with open(d.path("state"), "rb") as f:
            good = f.read()
        flipped = bytearray(good)
        flipped[40] ^= 0x01
        foreign = bytearray(good)
        foreign[14:18] = struct.pack("<I", 4)
        cases = [("truncated", good[:-9], "truncated"),
                 ("corrupt", bytes(flipped), "checksum"),
                 ("foreign", bytes(foreign), "version"),
                 ("garbage", b"\x00\xffnot a state file at all\n" * 10, "not a state file"),
                 ("empty", b"", "empty")]
        for name, data, why in cases:
            with self.subTest(name):
                for old in glob.glob(d.path("state*")):
                    os.unlink(old)
                with open(d.path("state"), "wb") as f:
                    f.write(data)
                d2 = self.restart(d, text)
                line = d2.wait_stderr("set aside as")
                self.assertTrue(line, d2.stderr())
                self.assertIn(why, line.lower())
                self.assertFalse(os.path.exists(d.path("state")))
                aside = glob.glob(d.path("state.bad-*"))
                self.assertEqual(len(aside), 1, aside)
                with open(aside[0], "rb") as f:
                    self.assertEqual(f.read(), data)  # kept as it was, for a look
                self.assertEqual(d2.count("esatlsd_state_set_aside_total"), 1)
                self.assertEqual(d2.count("esatlsd_connections_open"), 0)
                # The daemon works as usual, and its stop writes a fresh file.
                send_udp(port, [syslog_line(t) for t in esa_connection(6, "tls")])
                self.assertTrue(wait_until(lambda: any(
                    r.get("icid") == 6 for r in read_records(d.path("v.jsonl")))))
                self.assertEqual(d2.stop(), 0)
                self.assertTrue(os.path.exists(d.path("state")))

    def test_second_set_aside_keeps_the_first(self):
        port = free_port()
        d = self.spawn(state_config(port, "@DIR@/state"), start=False)
        for attempt in (1, 2):
            with open(d.path("state"), "wb") as f:
                f.write(b"bad %d" % attempt)
            d2 = self.restart(d, state_config(port, "@DIR@/state"))
            self.assertTrue(d2.wait_stderr("set aside as"), d2.stderr())
            self.assertEqual(d2.stop(signal.SIGKILL), -signal.SIGKILL)
        kept = sorted(glob.glob(d.path("state.bad-*")))
        self.assertEqual(len(kept), 2, kept)
        contents = set()
        for path in kept:
            with open(path, "rb") as f:
                contents.add(f.read())
        self.assertEqual(contents, {b"bad 1", b"bad 2"})

    def test_kill_after_checkpoint_loses_at_most_the_last_interval(self):
        # Checkpoints every 3 s. Connections 1 and 2 are open at a checkpoint; then, before
        # the next, 2 closes (its record is out) and 3 opens; kill -9. The restart resumes 1
        # with its history; 3's early lines are lost (its close alone makes an "unknown"
        # record); 2 comes back open from the checkpoint, so it would be reported a second
        # time when it ends (idle, or at a stop without a state file). That is the bound the
        # README documents: what happened in the last interval.
        port = free_port()
        text = state_config(port, "@DIR@/state", ", checkpoint_interval: 3s")
        d = self.start(text)
        send_udp(port, inbound(1, BEFORE, [
            "New SMTP ICID %(id)d interface Data 1 (10.0.0.1) address 192.0.2.1 "
            "reverse dns host one.example verified yes",
            "ICID %(id)d TLS success protocol TLSv1.2 cipher AES128-SHA"]) +
            inbound(2, BEFORE, ["New SMTP ICID %(id)d interface Data 1 (10.0.0.1) address "
                                "192.0.2.2 reverse dns host two.example verified yes"]))
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("state")), timeout=8),
                        d.stderr())
        # Right after the checkpoint.
        send_udp(port, inbound(2, BEFORE, ["ICID %(id)d close"]) +
                 inbound(3, BEFORE, ["New SMTP ICID %(id)d interface Data 1 (10.0.0.1) "
                                     "address 192.0.2.3 reverse dns host three.example "
                                     "verified yes",
                                     "ICID %(id)d TLS success protocol TLSv1.2 cipher X"]))
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1))
        d.send_signal(signal.SIGKILL)
        d.wait_exit()
        self.assertEqual(read_records(d.path("v.jsonl"))[0]["icid"], 2)

        d2 = self.restart(d, text)
        self.assertTrue(d2.wait_stderr("2 open connections restored"), d2.stderr())
        send_udp(port, inbound(1, AFTER, ["ICID %(id)d close"]) +
                 inbound(3, AFTER, ["ICID %(id)d close"]))
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 3))
        self.assertEqual(d2.stop(), 0)
        records = read_records(d.path("v.jsonl"))
        by_id = {}
        for r in records:
            by_id.setdefault(r["icid"], []).append(r)
        one = by_id[1]
        self.assertEqual(len(one), 1)
        self.assertEqual((one[0]["verdict"], one[0]["end"], one[0]["lines"]), ("tls", "close", 3))
        self.assertEqual(one[0]["peer_rdns"], "one.example")
        three = by_id[3]
        self.assertEqual([(r["verdict"], r["end"], r["lines"]) for r in three],
                         [("unknown", "close", 1)])
        # Connection 2, resumed from the checkpoint, is still open: saved again at the stop.
        self.assertEqual(len(by_id[2]), 1)
        self.assertIn("2 open connections restored", d2.stderr())
        self.assertIn("1 open connections saved", d2.stderr())

    def test_unwritable_state_file_falls_back_to_shutdown_records(self):
        # The state file cannot be written (its directory does not exist): nothing is lost,
        # the open connection ends as "shutdown" as it would without a state file.
        port = free_port()
        d = self.start(state_config(port, "@DIR@/missing/state"))
        send_udp(port, [syslog_line(t) for t in esa_connection(8, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 1))
        self.assertEqual(d.stop(), 0)
        self.assertIn("missing/state.tmp: cannot create", d.stderr())
        self.assertEqual(d.stderr_lines[-1], "esatlsd: counters: summary 3 messages, 0 open, "
                         "1 tls, 0 tls_failed, 0 no_tls, 0 unknown, 0 lost or refused")
        records = read_records(d.path("v.jsonl"))
        self.assertEqual([(r["icid"], r["verdict"], r["end"]) for r in records],
                         [(8, "tls", "shutdown")])

    def test_fifo_at_the_temporary_file_does_not_hang_the_stop(self):
        # A FIFO where the temporary file goes used to block open(2) for ever: the stop hung.
        # It is refused at once, counted, and the open connection ends as "shutdown".
        port = free_port()
        d = self.start(state_config(port, "@DIR@/state"))
        os.mkfifo(d.path("state.tmp"))
        send_udp(port, [syslog_line(t) for t in esa_connection(9, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 1))
        started = time.monotonic()
        self.assertEqual(d.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIn("state.tmp: cannot create: No such device or address", d.stderr())
        records = read_records(d.path("v.jsonl"))
        self.assertEqual([(r["icid"], r["end"]) for r in records], [(9, "shutdown")])

    def test_file_size_limit_fails_the_write_not_the_daemon(self):
        # Under a 1000-byte file size limit the state file of 20 connections cannot be
        # written: the write fails (EFBIG, no SIGXFSZ death) and the connections end as
        # "shutdown" on standard output, a pipe the limit does not apply to.
        port = free_port()
        text = ('listen:\n  - { proto: udp, address: "127.0.0.1:%d" }\noutputs:\n'
                '  - { file: "-" }\ntracking: { state_file: "@DIR@/state" }\n' % port)
        d = self.spawn(text, start=False, prefix=["prlimit", "--fsize=1000", "--"]).start()
        lines = []
        for icid in range(300, 320):
            lines += [syslog_line(t) for t in esa_connection(icid, "tls", closed=False)]
        send_udp(port, lines)
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 20))
        self.assertEqual(d.stop(), 0)
        self.assertIn("File too large", d.stderr())
        records = [json.loads(l) for l in d.stdout().splitlines() if l.strip()]
        self.assertEqual(sorted(r["icid"] for r in records), list(range(300, 320)))
        self.assertEqual({r["end"] for r in records}, {"shutdown"})
        self.assertFalse(os.path.exists(d.path("state")))

    def test_failed_save_at_stop_removes_the_stale_checkpoint(self):
        # A checkpoint holds connection 8; the save at stop fails (its temporary file is a
        # directory), so 8 ends as "shutdown" and the checkpoint, which still has it open, is
        # removed: the next start must not report 8 again.
        port = free_port()
        text = state_config(port, "@DIR@/state", ", checkpoint_interval: 1s")
        d = self.start(text)
        send_udp(port, [syslog_line(t) for t in esa_connection(8, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("state")), timeout=8))
        os.mkdir(d.path("state.tmp"))
        self.assertEqual(d.stop(), 0)
        self.assertEqual([(r["icid"], r["end"]) for r in read_records(d.path("v.jsonl"))],
                         [(8, "shutdown")])
        self.assertIn("removed, its connections ended as shutdown", d.stderr())
        self.assertFalse(os.path.exists(d.path("state")))
        os.rmdir(d.path("state.tmp"))
        d2 = self.restart(d, text)
        self.assertTrue(d2.wait_stderr("none yet"), d2.stderr())
        self.assertEqual(d2.count("esatlsd_connections_open"), 0)
        self.assertEqual(d2.stop(), 0)
        self.assertEqual(len(read_records(d.path("v.jsonl"))), 1)

    def test_stop_waiting_for_hooks_leaves_saved_connections_alone(self):
        # TERM saves three open connections while a slow hook still runs for 1's alert; while
        # the stop waits for it, nothing may end them (idle_timeout 2s) or alert for them (3's
        # alert falls due then): all of that belongs to the next start, which does it once.
        port = free_port()
        hooks = ('hooks:\n  - { name: slow, exec: ["/bin/sh", "-c", '
                 '"cat >/dev/null; echo run >>@DIR@/runs; sleep 3"], timeout: 10s }\n')
        text = state_config(port, "@DIR@/state", ", idle_timeout: 2s, alert_delay: 1s") + hooks
        d = self.start(text)
        opened = "Info: New SMTP ICID %d interface Data 1 (10.0.0.1) address 192.0.2.%d"
        send_udp(port, [syslog_line(opened % (1, 1)), syslog_line("Info: ICID 1 TLS failed: a")])
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("runs")), timeout=5))
        send_udp(port, [syslog_line(opened % (2, 2)), syslog_line(opened % (3, 3)),
                        syslog_line("Info: ICID 3 TLS failed: b")])
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 3))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(timeout=20), 0)
        self.assertIn("3 open connections saved", d.stderr())
        self.assertEqual(read_records(d.path("v.jsonl")), [])
        with open(d.path("runs")) as f:
            self.assertEqual(len(f.read().split()), 1)

        d2 = self.restart(d, text)
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 3,
                                   timeout=10), d2.stderr())
        self.assertEqual(d2.stop(), 0)
        records = read_records(d.path("v.jsonl"))
        self.assertEqual(sorted((r["icid"], r["end"]) for r in records),
                         [(1, "idle"), (2, "idle"), (3, "idle")])
        with open(d.path("runs")) as f:
            self.assertEqual(len(f.read().split()), 2)  # 1's alert before, 3's after

    def test_hostile_saved_time_is_only_shown(self):
        # A well-formed empty file whose saved time is the most negative number: loaded (no
        # arithmetic on it: the sanitizers would report any overflow), shown as unknown.
        port = free_port()
        d = self.spawn(state_config(port, "@DIR@/state"), start=False)
        body = b"esatlsd state\n" + struct.pack("<Iq", 1, -2**63) + b"END\n" + \
            struct.pack("<Q", 0)
        h = 0xcbf29ce484222325
        for c in body:
            h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
        with open(d.path("state"), "wb") as f:
            f.write(body + struct.pack("<Q", h))
        d.start()
        self.assertTrue(d.wait_stderr("0 open connections restored (saved at an unknown time)"),
                        d.stderr())
        self.assertEqual(d.stop(), 0)

    def test_failed_checkpoint_removes_the_older_file(self):
        # A checkpoint that cannot be written removes the one before it (a crash would resume
        # connections that ended since); the next one that can be written brings it back.
        port = free_port()
        d = self.start(state_config(port, "@DIR@/state", ", checkpoint_interval: 500ms"))
        send_udp(port, [syslog_line(t) for t in esa_connection(14, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("state")), timeout=5))
        os.mkdir(d.path("state.tmp"))
        send_udp(port, [syslog_line(t) for t in esa_connection(15, "tls", closed=False)])
        self.assertTrue(d.wait_stderr("removed, a checkpoint could not replace it"), d.stderr())
        self.assertFalse(os.path.exists(d.path("state")))
        os.rmdir(d.path("state.tmp"))
        send_udp(port, [syslog_line(t) for t in esa_connection(16, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("state")), timeout=5))
        self.assertGreaterEqual(d.count("esatlsd_state_save_failures_total"), 1)
        self.assertEqual(d.stop(), 0)
        self.assertIn("3 open connections saved", d.stderr())

    def test_a_fifo_is_set_aside_not_waited_on(self):
        port = free_port()
        d = self.spawn(state_config(port, "@DIR@/state"), start=False)
        os.mkfifo(d.path("state"))
        d.start()
        self.assertIn("not a regular file", d.wait_stderr("set aside as") or "", d.stderr())
        self.assertEqual(d.stop(), 0)

    def test_without_checkpoints_the_loaded_file_is_removed(self):
        # checkpoint_interval 0: the file is the last stop's only. Once loaded it goes, so a
        # crash later cannot resume connections that ended since; the next stop writes it.
        port = free_port()
        text = state_config(port, "@DIR@/state", ", checkpoint_interval: 0")
        d = self.start(text)
        send_udp(port, [syslog_line(t) for t in esa_connection(17, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: d.count("esatlsd_connections_open") == 1))
        self.assertEqual(d.stop(), 0)
        self.assertTrue(os.path.exists(d.path("state")))
        d2 = self.restart(d, text)
        self.assertTrue(d2.wait_stderr("1 open connections restored"), d2.stderr())
        self.assertTrue(d2.wait_stderr("removed, loaded; with checkpoint_interval 0"),
                        d2.stderr())
        self.assertFalse(os.path.exists(d.path("state")))
        send_udp(port, inbound(17, AFTER, ["ICID %(id)d close"]))
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1))
        d2.send_signal(signal.SIGKILL)
        d2.wait_exit()
        d3 = self.restart(d, text)
        self.assertTrue(d3.wait_stderr("none yet"), d3.stderr())
        self.assertEqual(d3.stop(), 0)
        self.assertEqual(len(read_records(d.path("v.jsonl"))), 1)

    def test_new_state_file_that_cannot_be_written_is_tried_once(self):
        # A reload to a state_file in a missing directory: one try at once, then the
        # (hour-long) interval, not a try on every tick.
        port = free_port()
        d = self.start(state_config(port, "@DIR@/state", ", checkpoint_interval: 1h"))
        d.write_config(state_config(port, "@DIR@/nodir/state", ", checkpoint_interval: 1h"))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reloaded", start=start), d.stderr())
        self.assertTrue(d.wait_stderr("nodir/state.tmp: cannot create", start=start),
                        d.stderr())
        time.sleep(2)
        self.assertEqual(d.count("esatlsd_state_save_failures_total"), 1)
        self.assertEqual(d.stop(), 0)

    def test_reload_moving_the_state_file(self):
        # HUP with another state_file: the old file goes (it would resume stale connections
        # if configured again) and the new one is written at once.
        port = free_port()
        d = self.start(state_config(port, "@DIR@/a", ", checkpoint_interval: 500ms"))
        send_udp(port, [syslog_line(t) for t in esa_connection(12, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("a")), timeout=5))
        d.write_config(state_config(port, "@DIR@/b", ", checkpoint_interval: 1h"))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reloaded", start=start), d.stderr())
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("b")), timeout=5), d.stderr())
        self.assertFalse(os.path.exists(d.path("a")))
        self.assertIn("no longer the configured state_file", d.stderr())
        self.assertEqual(d.stop(), 0)
        self.assertIn("b: 1 open connections saved", d.stderr())

    def test_checkpoints_only_when_something_changed(self):
        port = free_port()
        d = self.start(state_config(port, "@DIR@/state", ", checkpoint_interval: 500ms"))
        time.sleep(1.5)
        self.assertFalse(os.path.exists(d.path("state")))  # nothing to save yet
        send_udp(port, [syslog_line(t) for t in esa_connection(9, "tls", closed=False)])
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("state")), timeout=5))
        saves = d.count("esatlsd_state_saves_total")
        self.assertGreaterEqual(saves, 1)
        time.sleep(1.5)
        self.assertEqual(d.count("esatlsd_state_saves_total"), saves)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
