"""Started as root with `user:` set, the daemon binds first, then runs as that user with its
group and no supplementary groups, and still receives and writes verdicts."""

import os
import pwd
import unittest

from harness import DaemonTest, config, free_port, logger, main, read_records, seed_texts


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
        d.start()
        pid = d.proc.pid
        self.assertEqual(status_field(pid, "Uid"), [str(nobody.pw_uid)] * 4)
        self.assertEqual(status_field(pid, "Gid"), [str(nobody.pw_gid)] * 4)
        self.assertEqual(status_field(pid, "Groups"), [str(nobody.pw_gid)])
        self.assertIn("running as user nobody", d.stderr())
        logger(port, seed_texts(), proto="tcp")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(len(read_records(d.path("v.jsonl"))), 4)

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
