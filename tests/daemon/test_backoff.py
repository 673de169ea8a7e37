"""Resource limits at the socket layer against the running daemon: running out of file
descriptors pauses accepting instead of spinning and recovers; a UDP datagram over
max_message_size is cut, counted, and its first part still read."""

import signal
import socket
import time

from harness import (Daemon, DaemonTest, by_object, config, free_port, logger, main,
                     parse_counters, read_records, seed_texts, send_udp, wait_until)


def counter(text, listener, name):
    return by_object(parse_counters(text))[listener][name]


class Backoff(DaemonTest):
    def test_emfile_pauses_accept_and_recovers(self):
        # With 24 descriptors, 40 waiting connections exhaust them: accept fails (EMFILE),
        # is counted, accepting pauses, and once the clients go away a new sender is served.
        port = free_port()
        # prlimit (util-linux) execs the daemon with the lower limit, so the pid is the daemon's.
        self.d = Daemon(config(port, "@DIR@/v.jsonl"), prefix=["prlimit", "--nofile=24:24", "--"])
        self.d.start()
        clients = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", port))
            clients.append(s)
        errors = wait_until(lambda: (counter(self.d.counters(), "tcp 127.0.0.1:%d" % port,
                                             "accept errors") or 0) > 0, timeout=10)
        self.assertTrue(errors, self.d.stderr())
        for s in clients:
            s.close()
        time.sleep(1.5)  # the accept pause is 1 s
        logger(port, seed_texts(), proto="tcp")
        self.assertTrue(wait_until(lambda: len(read_records(self.d.path("v.jsonl"))) >= 1),
                        self.d.stderr())
        self.assertEqual(self.d.stop(), 0)
        self.assertEqual(len(read_records(self.d.path("v.jsonl"))), 4)

    def test_udp_datagram_over_max_message_size(self):
        # max_message_size 1KiB: a 3000-byte datagram is cut (counted as truncated) and its
        # first KiB, a whole TLS line padded with spaces, still counts.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        line = "<22>Nov 28 12:00:00 esa1 mail_logs: Info: ICID 77 TLS success protocol TLSv1.3"
        send_udp(port, [line + " " * 1000 + "x" * 2000])
        text = wait_until(lambda: (counter(d.counters(), "udp 127.0.0.1:%d" % port,
                                           "truncated") or 0) == 1 and d.counters())
        self.assertTrue(text, d.stderr())
        self.assertEqual(d.stop(), 0)
        records = read_records(d.path("v.jsonl"))
        self.assertEqual([(r["icid"], r["verdict"], r["tls_protocol"]) for r in records],
                         [(77, "tls", "TLSv1.3")])


    def test_udp_kernel_drops_counted(self):
        # A stopped daemon with a tiny receive buffer: the kernel drops most of a burst, and the
        # count it reports (SO_RXQ_OVFL) is what the listener's counter says, so that received
        # plus dropped adds up to what was sent.
        port = free_port()
        listen = '  - { proto: udp, address: "127.0.0.1:%d", rcvbuf: 4KiB }\n' % port
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        name = "udp 127.0.0.1:%d" % port
        d.send_signal(signal.SIGSTOP)
        try:
            send_udp(port, ["<22>Nov 28 12:00:00 esa1 mail_logs: Info: MID %d queued" % i
                            for i in range(300)])
        finally:
            d.send_signal(signal.SIGCONT)
        time.sleep(0.3)
        send_udp(port, ["<22>Nov 28 12:00:00 esa1 mail_logs: Info: MID 300 queued"])
        text = wait_until(lambda: (counter(d.counters(), name, "messages") or 0) > 0 and
                          (counter(d.counters(), name, "kernel drops") or 0) > 0 and d.counters())
        self.assertTrue(text, d.stderr())
        received = counter(text, name, "messages")
        dropped = counter(text, name, "kernel drops")
        self.assertEqual(received + dropped, 301, text)
        self.assertEqual(d.stop(), 0)

if __name__ == "__main__":
    main()
