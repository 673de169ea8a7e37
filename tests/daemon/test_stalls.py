"""What must not stall or reopen the daemon: a reader of standard output that stops reading,
and a SIGHUP that arrives while it is stopping."""

import os
import signal

from harness import (Daemon, DaemonTest, free_port, main, read_records, send_tcp, send_udp,
                     wait_until)
from test_hooks import HOOKS, conn, hook_config


class Stalls(DaemonTest):
    def test_stdout_reader_that_never_reads(self):
        # Records go to "-" (a FIFO nobody reads) and to a file: once the pipe is full the
        # standard output queues and drops, while the file still gets every record and the
        # daemon still answers signals.
        port = free_port()
        d = Daemon("")
        fifo = d.path("stdout.fifo")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # held open, never read
        try:
            d.write_config('listen:\n  - { proto: tcp, address: "127.0.0.1:%d" }\n'
                           'outputs:\n  - { file: "-", queue: 100 }\n'
                           '  - { file: "%s" }\n' % (port, d.path("v.jsonl")))
            d.prefix = ["sh", "-c", 'exec "$@" >"$0"', fifo]
            self.d = d
            d.start()
            lines = []
            for i in range(1, 1001):
                lines += conn(i, "ok")
            send_tcp(port, "\n".join(lines) + "\n")  # TCP: no datagram lost under load
            self.assertTrue(wait_until(lambda: len(read_records(d.path("v.jsonl"))) == 1000,
                                       timeout=10), d.stderr())
            c = d.counter_map()["output -"]
            self.assertEqual(c["records"], 1000, c)
            self.assertGreater(c["dropped"], 0, c)
            self.assertEqual(d.stop(), 0)
        finally:
            os.close(reader)

    def test_hup_while_stopping_is_ignored(self):
        # TERM with a hook still running keeps the loop going; a HUP then must not reopen the
        # listeners (the open connections were already written as "shutdown").
        port = free_port()
        d = self.start(hook_config(port, "@DIR@/v.jsonl",
                                   '  - { name: slow, exec: ["%s/slow", "@DIR@/runs"], '
                                   'timeout: 5s }\n' % HOOKS))
        os.makedirs(d.path("runs"), exist_ok=True)
        send_udp(port, conn(1, "fail"))
        self.assertTrue(wait_until(lambda: d.count("esatlsd_hook_running") == 1, timeout=3), d.stderr())
        d.send_signal(signal.SIGTERM)
        self.assertTrue(wait_until(lambda: "stopping" in d.stderr()), d.stderr())
        d.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: "reload ignored" in d.stderr()), d.stderr())
        self.assertEqual(d.stop(), 0)
        self.assertNotIn("reloaded", d.stderr())
        self.assertEqual(d.notified().count("READY=1"), 1)


if __name__ == "__main__":
    main()
