"""The state file against the running daemon: TERM saves open connections instead of ending
them as "shutdown", the next start resumes them so that a connection spanning the restart yields
exactly one record with the right verdict, end, times and MIDs; corrupt, truncated, foreign and
empty files are set aside and the daemon starts empty; after kill -9 the last checkpoint is what
survives, as the README says."""

import glob
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
        foreign[14:18] = struct.pack("<I", 2)
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
