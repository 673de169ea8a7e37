"""Started as root with `user:` set, the daemon binds first, then runs as that user with its
group and no supplementary groups, and still receives and writes verdicts."""

import os
import pwd
import signal
import unittest

from harness import (DaemonTest, config, free_port, logger, main, read_records, seed_texts,
                     wait_until)


def status_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1:]
    return None


class Privileges(DaemonTest):
    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_drops_to_user_after_binding(self):
        # The output file and sockets are opened as root, then every id becomes nobody's.
        nobody = pwd.getpwnam("nobody")
        port = free_port()
        from harness import Daemon
        d = self.d = Daemon(config(port, "@DIR@/v.jsonl", extra="user: nobody\n"))
        os.chown(d.dir, nobody.pw_uid, nobody.pw_gid)  # where its output lives
        d.start()
        pid = d.proc.pid
        self.assertEqual(status_field(pid, "Uid"), [str(nobody.pw_uid)] * 4)
        self.assertEqual(status_field(pid, "Gid"), [str(nobody.pw_gid)] * 4)
        self.assertEqual(status_field(pid, "Groups"), [str(nobody.pw_gid)])
        self.assertIn("running as user nobody", d.stderr())
        self.assertEqual(os.stat(d.path("v.jsonl")).st_uid, nobody.pw_uid)
        # Log rotation after the drop: the file is reopened as nobody, records go on.
        logger(port, seed_texts()[:10], proto="tcp")
        self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1), d.stderr())
        os.rename(d.path("v.jsonl"), d.path("v.jsonl.1"))
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "reloaded" in d.stderr()), d.stderr())
        self.assertNotIn("cannot reopen", d.stderr())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(len(read_records(d.path("v.jsonl.1"))), 1)
        self.assertEqual(len(read_records(d.path("v.jsonl"))), 1)  # ICID 282204970 at shutdown
        self.assertEqual(os.stat(d.path("v.jsonl")).st_uid, nobody.pw_uid)

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_unknown_user_fails_to_start(self):
        # A user that does not exist: exit 1 with a clear message, no half-privileged daemon.
        port = free_port()
        from harness import Daemon
        self.d = Daemon(config(port, "@DIR@/v.jsonl", extra="user: no-such-user-esatlsd\n"))
        self.d.start(wait_ready=False)
        self.assertEqual(self.d.proc.wait(timeout=10), 1)
        self.assertIn("no-such-user-esatlsd: no such user", self.d.stderr())
        self.assertNotIn("READY=1", self.d.notified())


if __name__ == "__main__":
    main()
