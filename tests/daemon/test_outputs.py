"""Verdict files against the running daemon: per-output verdict filters, and a full disk (a
64 KiB tmpfs) that holds records back in the bounded queue, counts what it costs, and loses no
queued record once space returns."""

import errno
import json
import os
import signal
import socket
import subprocess
import tempfile

from harness import (DaemonTest, config, esa_connection, free_port, main, read_complete_records,
                     read_records, records_by_icid, send_udp, syslog_line, wait_until)


def lf(lines):
    return ("\n".join(lines) + "\n").encode()


def messages(icid, verdict="tls"):
    return [syslog_line(t) for t in esa_connection(icid, verdict)]


class Outputs(DaemonTest):
    def test_verdict_filters(self):
        # Three outputs: everything, only tls_failed, and no_tls plus unknown. One connection of
        # each verdict goes to "all" and to exactly the filtered files that name its verdict,
        # byte for byte the same line.
        port = free_port()
        extra = ('  - { file: "@DIR@/failed.jsonl", verdicts: [tls_failed] }\n'
                 '  - { file: "@DIR@/other.jsonl", verdicts: [no_tls, unknown] }\n')
        text = config(port, "@DIR@/all.jsonl").replace("outputs:\n", "outputs:\n" + extra)
        d = self.start(text)
        verdicts = {200: "tls", 201: "tls_failed", 202: "no_tls", 203: "unknown", 204: "tls_failed"}
        for icid, verdict in verdicts.items():
            send_udp(port, messages(icid, verdict))
        self.assertTrue(wait_until(lambda: len(read_complete_records(d.path("all.jsonl"))) == 5),
                        d.stderr())
        self.assertEqual(d.stop(), 0)
        got = {icid: r[0]["verdict"] for icid, r in
               records_by_icid(read_records(d.path("all.jsonl"))).items()}
        self.assertEqual(got, verdicts)
        with open(d.path("all.jsonl"), "rb") as f:
            all_lines = {l for l in f.read().splitlines()}
        for name, wanted in (("failed.jsonl", {"tls_failed"}),
                             ("other.jsonl", {"no_tls", "unknown"})):
            with open(d.path(name), "rb") as f:
                lines = f.read().splitlines()
            self.assertTrue(set(lines) <= all_lines, name)
            self.assertEqual(sorted(r["icid"] for r in read_records(d.path(name))),
                             sorted(i for i, v in verdicts.items() if v in wanted), name)

    def test_removed_output_directory_is_made_again(self):
        # rm -rf of the output directory: the daemon finds the open file gone within a second,
        # makes the directory and the file again, and the next records land there.
        port = free_port()
        d = self.spawn(config(port, "@DIR@/out/v.jsonl"), start=False)
        os.mkdir(d.path("out"))
        d.start()
        send_udp(port, messages(300))
        self.assertTrue(wait_until(lambda: len(read_complete_records(d.path("out/v.jsonl"))) == 1))
        os.unlink(d.path("out/v.jsonl"))
        os.rmdir(d.path("out"))
        self.assertTrue(wait_until(lambda: os.path.exists(d.path("out/v.jsonl")), timeout=5),
                        d.stderr())
        send_udp(port, messages(301))
        self.assertTrue(wait_until(lambda: len(read_complete_records(d.path("out/v.jsonl"))) == 1))
        self.assertEqual([r["icid"] for r in read_records(d.path("out/v.jsonl"))], [301])
        self.assertIn("v.jsonl was removed; writing to a new one", d.stderr())
        self.assertEqual(d.count("esatlsd_output_unlinked_total"), 0)
        self.assertEqual(d.stop(), 0)

    def test_symlinked_output_refused_as_root(self):
        # Root without `user:` does not follow a symlink at the output path: the start fails
        # with one clear line and the link's target is untouched.
        if os.geteuid() != 0:
            self.skipTest("the rule applies to root")
        port = free_port()
        d = self.spawn(config(port, "@DIR@/v.jsonl"), start=False)
        target = d.path("target")
        with open(target, "w") as f:
            f.write("keep\n")
        os.symlink(target, d.path("v.jsonl"))
        d.start(wait_ready=False)
        self.assertNotEqual(d.wait_exit(), 0)
        self.assertIn("v.jsonl is a symbolic link: running as root, esatlsd does not follow it",
                      d.stderr())
        with open(target) as f:
            self.assertEqual(f.read(), "keep\n")

    def mount_small_tmpfs(self):
        mnt = tempfile.mkdtemp(prefix="esatlsd-full-")
        self.addCleanup(os.rmdir, mnt)
        try:
            proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs",
                                   mnt], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.skipTest("cannot mount a tmpfs: %s" % e)
        if proc.returncode != 0:
            self.skipTest("cannot mount a tmpfs: %s" % proc.stderr.strip())
        # Cleanups run after tearDown has stopped the daemon, so nothing holds the mount.
        self.addCleanup(subprocess.run, ["umount", "-l", mnt], timeout=10)
        return mnt

    @staticmethod
    def fill(path):
        """Writes path until the file system has no byte left."""
        with open(path, "wb", buffering=0) as f:
            for size in (65536, 4096, 512, 64, 8, 1):
                while True:
                    try:
                        f.write(b"\0" * size)
                    except OSError as e:
                        if e.errno != errno.ENOSPC:
                            raise
                        break

    def test_full_disk_queues_then_recovers(self):
        # A verdict file on a 64 KiB tmpfs filled up: the daemon keeps running and counts
        # write errors, queued (pending) and dropped records (queue: 50). Once the filler is
        # gone the queued records are written whole, in order: the file is then the reference
        # file's records minus the dropped newest ones, and every line parses.
        mnt = self.mount_small_tmpfs()
        full = os.path.join(mnt, "v.jsonl")
        port = free_port()
        extra = '  - { file: "%s", queue: 50 }\n' % full
        text = config(port, "@DIR@/ref.jsonl").replace("outputs:\n", "outputs:\n" + extra)
        d = self.start(text)
        ref = d.path("ref.jsonl")
        with socket.create_connection(("127.0.0.1", port)) as s:
            for icid in range(300, 310):
                s.sendall(lf(messages(icid)))
        self.assertTrue(wait_until(lambda: len(read_complete_records(full)) == 10), d.stderr())
        self.fill(os.path.join(mnt, "filler"))
        with socket.create_connection(("127.0.0.1", port)) as s:
            for icid in range(310, 410):
                s.sendall(lf(messages(icid, "tls_failed" if icid % 3 == 0 else "tls")))
        self.assertTrue(wait_until(lambda: len(read_complete_records(ref)) == 110), d.stderr())
        name = "output " + full

        def stuck():
            c = d.counter_map()[name]
            return c if c["records"] == 110 and c["write errors"] > 0 else None

        c = wait_until(stuck, timeout=5)
        self.assertTrue(c, d.counters())
        self.assertIsNone(d.proc.poll())
        self.assertGreater(c["dropped"], 0, c)
        self.assertGreater(c["pending"], 0, c)
        self.assertLessEqual(c["pending"], 50, c)
        self.assertEqual(c["written"] + c["pending"] + c["dropped"], 110, c)
        self.assertIn("No space left on device", d.stderr())
        os.unlink(os.path.join(mnt, "filler"))
        expect = 110 - c["dropped"]
        self.assertTrue(wait_until(lambda: len(read_complete_records(full)) == expect, timeout=5),
                        d.counters())
        after = d.counter_map()[name]
        self.assertEqual((after["pending"], after["dropped"], after["written"]),
                         (0, c["dropped"], expect), after)
        self.assertEqual(d.stop(), 0)
        got = [r["icid"] for r in read_records(full)]  # strict: every line must parse
        want = [r["icid"] for r in read_records(ref)]
        self.assertEqual(got, want[:expect])
        with open(full, "rb") as f:
            self.assertTrue(f.read().endswith(b"\n"))


    def test_rotation_while_disk_full(self):
        # The verdict file fills the tmpfs (its last record maybe torn by a short write), is
        # renamed, and HUP reopens it while records are queued. Once space returns, the new
        # file gets the queue, every line whole; the renamed one may end in a fragment but its
        # complete lines and the new file together hold each record at most once, in order,
        # and only the dropped ones are missing.
        mnt = self.mount_small_tmpfs()
        full, rotated = os.path.join(mnt, "v.jsonl"), os.path.join(mnt, "v.jsonl.1")
        port = free_port()
        extra = '  - { file: "%s", queue: 50 }\n' % full
        text = config(port, "@DIR@/ref.jsonl").replace("outputs:\n", "outputs:\n" + extra)
        d = self.start(text)
        # A few records first: the file's page is then partly used, and once the filler takes
        # the rest, a write of several records is cut short where the page ends.
        send_udp(port, messages(500))
        self.assertTrue(wait_until(lambda: len(read_complete_records(full)) == 1), d.stderr())
        self.fill(os.path.join(mnt, "filler"))
        with socket.create_connection(("127.0.0.1", port)) as s:
            for icid in range(501, 600):
                s.sendall(lf(messages(icid)))
        ref = d.path("ref.jsonl")
        self.assertTrue(wait_until(lambda: len(read_complete_records(ref)) == 100), d.stderr())
        name = "output " + full
        c = wait_until(lambda: (lambda c: c if c["records"] == 100 else None)(
            d.counter_map()[name]), timeout=5)
        self.assertTrue(c and c["pending"] > 0 and c["dropped"] > 0, c)
        os.rename(full, rotated)
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_stderr("reloaded", start=start), d.stderr())
        os.unlink(os.path.join(mnt, "filler"))
        self.assertTrue(wait_until(lambda: d.counter_map()[name]["pending"] == 0, timeout=5),
                        d.counters())
        after = d.counter_map()[name]
        self.assertEqual(after["written"] + after["dropped"], 100, after)
        self.assertEqual(d.stop(), 0)
        with open(rotated, "rb") as f:
            old = f.read()
        old_icids = [json.loads(l)["icid"] for l in old[:old.rfind(b"\n") + 1].splitlines()]
        new_icids = [r["icid"] for r in read_records(full)]  # strict: every line whole
        self.assertTrue(new_icids, "the queue did not reach the new file")
        want = [r["icid"] for r in read_records(ref)]
        self.assertEqual(old_icids + new_icids, want[:len(old_icids) + len(new_icids)])
        self.assertEqual(len(old_icids) + len(new_icids), after["written"])


if __name__ == "__main__":
    main()
