"""Bounds on input against the running daemon: the sender allowlist, the TCP connection limit,
oversized and lying octet-counted frames, over-long lines, random bytes, and the TCP idle
timeout. Each bound is counted (USR1) and never costs the daemon its other senders."""

import os
import random
import socket
import time

from harness import (DaemonTest, config, esa_connection, free_port, logger, main,
                     read_complete_records, read_records, records_by_icid, seed_texts, send_udp,
                     syslog_line, wait_until)


def lf(lines):
    return ("\n".join(lines) + "\n").encode()


def octet(message):
    data = message.encode() if isinstance(message, str) else message
    return b"%d " % len(data) + data


def messages(icid, verdict="tls", host="esa1"):
    return [syslog_line(t, host=host) for t in esa_connection(icid, verdict)]


def closed_by_peer(sock, timeout=3.0):
    """True when the other end closed sock (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Limits(DaemonTest):
    def records(self, name="v.jsonl"):
        return read_records(self.d.path(name))

    def wait_icids(self, icids, timeout=10):
        ok = wait_until(lambda: set(icids) <= set(records_by_icid(
            read_complete_records(self.d.path("v.jsonl")))), timeout)
        self.assertTrue(ok, "records for %s did not arrive:\n%s" % (sorted(icids), self.d.stderr()))

    def test_allow_from_rejects_and_counts(self):
        # allow_from [127.0.0.1/32]: the datagrams of one SMTP connection and a TCP connection
        # from 127.0.0.2 are dropped and each counted as rejected (the TCP one closed at once);
        # the same from 127.0.0.1 is delivered.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="allow_from: [127.0.0.1/32]\n"))
        send_udp(port, messages(10), source="127.0.0.2")
        with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0)) as s:
            try:
                s.sendall(lf(messages(11)))
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.assertTrue(closed_by_peer(s))
        send_udp(port, messages(20), source="127.0.0.1")
        with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.1", 0)) as s:
            s.sendall(lf(messages(21)))
        self.wait_icids({20, 21})
        c = d.counter_map()
        self.assertEqual(c["udp 127.0.0.1:%d" % port]["rejected"], 4, c)  # one per datagram
        self.assertEqual(c["tcp 127.0.0.1:%d" % port]["rejected"], 1, c)
        self.assertEqual(c["tcp 127.0.0.1:%d" % port]["accepted"], 1, c)
        self.assertEqual(c["udp 127.0.0.1:%d" % port]["messages"], 4, c)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(sorted(records_by_icid(self.records())), [20, 21])

    def test_max_connections_refuses_third(self):
        # max_connections 2: a third concurrent connection is closed at once and counted as
        # refused; the first two still deliver, and once one has gone a new one is served.
        port = free_port()
        listen = '  - { proto: tcp, address: "127.0.0.1:%d", max_connections: 2 }\n' % port
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        name = "tcp 127.0.0.1:%d" % port
        first = socket.create_connection(("127.0.0.1", port))
        second = socket.create_connection(("127.0.0.1", port))
        try:
            first.sendall(lf(messages(30)[:2]))
            self.assertTrue(wait_until(lambda: d.counter_map()[name]["open"] == 2, timeout=5))
            # both busy just now: neither is quiet enough to make room (see the next test)
            first.sendall(lf([syslog_line("Info: a line of no connection")]))
            second.sendall(lf([syslog_line("Info: a line of no connection")]))
            time.sleep(0.1)
            third = socket.create_connection(("127.0.0.1", port))
            with third:
                self.assertTrue(closed_by_peer(third), "the third connection stayed open")
            c = d.counter_map()[name]
            self.assertEqual((c["refused"], c["accepted"], c["open"]), (1, 2, 2), c)
            first.sendall(lf(messages(30)[2:]))
            second.sendall(lf(messages(31)))
        finally:
            first.close()
            second.close()
        self.wait_icids({30, 31})
        self.assertTrue(wait_until(lambda: d.counter_map()[name]["open"] == 0, timeout=5))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(lf(messages(32)))
        self.wait_icids({32})
        c = d.counter_map()[name]
        self.assertEqual((c["refused"], c["accepted"]), (1, 3), c)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(len(self.records()), 3)

    def test_quiet_connections_make_room(self):
        # One sender may hold max_connections_per_source connections: past it, its own quietest
        # one is closed for the new one. When the listener is full, the quietest of all makes
        # room for a new sender. Both are counted as evicted, and lines keep arriving.
        port = free_port()
        listen = ('  - { proto: tcp, address: "127.0.0.1:%d", max_connections: 3, '
                  'max_connections_per_source: 2 }\n' % port)
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        name = "tcp 127.0.0.1:%d" % port

        def connect(source):
            s = socket.socket()
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            self.addCleanup(s.close)
            return s

        a1, a2 = connect("127.0.0.1"), connect("127.0.0.1")
        self.assertTrue(wait_until(lambda: d.counter_map()[name]["open"] == 2, timeout=5))
        time.sleep(1.2)  # both quiet now
        a2.sendall(lf(messages(40)[:1]))  # a2 is busy again: a1 is the quietest
        a3 = connect("127.0.0.1")
        self.assertTrue(closed_by_peer(a1), "the sender's quietest connection stayed open")
        a3.sendall(lf(messages(41)))
        self.wait_icids({41})
        self.assertEqual(d.counter_map()[name]["evicted"], 1)

        b1 = connect("127.0.0.2")
        self.assertTrue(wait_until(lambda: d.counter_map()[name]["open"] == 3, timeout=5))
        time.sleep(1.2)
        a3.sendall(lf([syslog_line("Info: still here")]))
        b1.sendall(lf([syslog_line("Info: still here")]))
        c1 = connect("127.0.0.3")  # the listener is full: a2, quiet longest, makes room
        self.assertTrue(closed_by_peer(a2), "the quietest connection stayed open")
        c1.sendall(lf(messages(42)))
        self.wait_icids({42})
        c = d.counter_map()[name]
        self.assertEqual((c["evicted"], c["refused"]), (2, 0), c)
        self.assertIn("closed the quietest connection from 127.0.0.1 to take another of the "
                      "same sender", d.stderr())
        self.assertIn("closed the quietest connection from 127.0.0.1 to take one from another "
                      "sender", d.stderr())
        self.assertEqual(d.stop(), 0)

    def test_connection_inside_a_message_is_not_evicted(self):
        # A sender that paused inside a line keeps its connection: cutting it would deliver
        # half a line. The newcomer is refused instead, and the line completes later.
        port = free_port()
        listen = ('  - { proto: tcp, address: "127.0.0.1:%d", max_connections: 1 }\n' % port)
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        name = "tcp 127.0.0.1:%d" % port
        first = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(first.close)
        data = lf(messages(45))
        first.sendall(data[:-10])  # stops inside the last line
        self.assertTrue(wait_until(lambda: d.counter_map()[name]["open"] == 1, timeout=5))
        time.sleep(1.2)
        with socket.create_connection(("127.0.0.1", port)) as second:
            self.assertTrue(closed_by_peer(second), "the newcomer was not refused")
        first.sendall(data[-10:])
        self.wait_icids({45})
        c = d.counter_map()[name]
        self.assertEqual((c["evicted"], c["refused"]), (0, 1), c)
        self.assertEqual(d.stop(), 0)

    def test_closed_connections_release_descriptors(self):
        # 200 TCP connections, 20 at a time, each sending one SMTP connection and closing (some
        # refused by max_connections: 8): afterwards the daemon holds exactly the descriptors
        # it held before, and every accepted connection's record is there.
        port = free_port()
        listen = '  - { proto: tcp, address: "127.0.0.1:%d", max_connections: 8 }\n' % port
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        fd_dir = "/proc/%d/fd" % d.proc.pid
        baseline = len(os.listdir(fd_dir))
        for batch in range(10):
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
            for i, s in enumerate(socks):
                try:
                    s.sendall(lf(messages(1000 + batch * 20 + i)))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                s.close()
        name = "tcp 127.0.0.1:%d" % port
        c = wait_until(lambda: (lambda c: c if c["open"] == 0 and
                                c["accepted"] + c["refused"] == 200 else None)(
            d.counter_map()[name]), timeout=10)
        self.assertTrue(c, d.counters())
        self.assertEqual(len(os.listdir(fd_dir)), baseline)
        self.assertTrue(wait_until(lambda: len(read_complete_records(d.path("v.jsonl")))
                                   >= c["accepted"]))
        self.assertEqual(d.stop(), 0)
        self.assertGreater(c["refused"], 0, c)
        self.assertEqual(len(self.records()), c["accepted"])

    def test_oversized_octet_frame_skipped_exactly(self):
        # max_message_size 1KiB. On one connection: a frame of exactly 1024 bytes (read), one
        # of 1025 and one of 5000 (skipped; their bodies hold whole syslog lines that must not
        # be read), then a normal frame: it is read, so the skips ended exactly at their counts.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        hidden = lf(messages(41) + messages(42))
        at_limit = syslog_line("Info: ICID 40 close", host="esa1")
        at_limit += " " * (1024 - len(at_limit))
        over = lf(messages(43))
        over += b"x" * (1025 - len(over))
        big = hidden + b"y" * (5000 - len(hidden))
        stream = b"".join(octet(m) for m in messages(40)[:-1]) + octet(at_limit)
        stream += octet(over) + octet(big)
        stream += b"".join(octet(m) for m in messages(44))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(stream)
        self.wait_icids({40, 44})
        c = d.counter_map()["tcp 127.0.0.1:%d" % port]
        self.assertEqual(c["oversized"], 2, c)
        self.assertEqual(c["truncated"], 0, c)
        self.assertEqual(c["messages"], 8, c)
        self.assertEqual(d.stop(), 0)
        conns = records_by_icid(self.records())
        self.assertEqual(sorted(conns), [40, 44])
        self.assertEqual(conns[40][0]["end"], "close")
        self.assertEqual(conns[44][0]["verdict"], "tls")

    def test_frames_split_at_every_byte(self):
        # Octet-counted and LF frames sent one byte per write (the count header, its space and
        # the line ends all arrive split), and a 300 kB oversized frame sent in 7 kB pieces:
        # every message is read whole, the big frame is skipped and counted once.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            stream = b"".join(octet(m) for m in messages(45)) + lf(messages(46))
            for i in range(len(stream)):
                s.sendall(stream[i:i + 1])
                if i % 64 == 0:
                    time.sleep(0.001)
            big = octet(b"q" * 300000)
            for i in range(0, len(big), 7000):
                s.sendall(big[i:i + 7000])
                time.sleep(0.001)
            s.sendall(octet(messages(47)[0]) + lf(messages(47)[1:]))
        self.wait_icids({45, 46, 47})
        c = d.counter_map()["tcp 127.0.0.1:%d" % port]
        self.assertEqual((c["messages"], c["oversized"], c["truncated"]), (12, 1, 0), c)
        self.assertEqual(d.stop(), 0)
        for r in self.records():
            self.assertEqual((r["verdict"], r["end"], r["lines"]), ("tls", "close", 4), r)

    def test_lying_octet_count_then_close(self):
        # "500 " followed by 60 bytes, then the sender goes away: the partial frame is dropped
        # (no record for the ICID it names), the daemon survives, and other connections,
        # including one open while the liar waited, keep working.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl"))
        other = socket.create_connection(("127.0.0.1", port))
        with other:
            with socket.create_connection(("127.0.0.1", port)) as liar:
                liar.sendall(b"500 " + messages(50)[0].encode()[:60])
                other.sendall(lf(messages(51)[:2]))
                time.sleep(0.1)
            other.sendall(lf(messages(51)[2:]))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"700 " + b"z" * 100)
            s.shutdown(socket.SHUT_WR)
            self.assertTrue(closed_by_peer(s))
        send_udp(port, messages(52))
        self.wait_icids({51, 52})
        self.assertIsNone(d.proc.poll())
        # both cut frames are counted, with the bytes they had: "500 " + 60, "700 " + 100
        c = d.counter_map()["tcp 127.0.0.1:%d" % port]
        self.assertEqual((c["frames cut"], c["cut bytes"]), (2, 64 + 104), c)
        self.assertIn("ended inside an octet-counted frame: 104 bytes discarded", d.stderr())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(sorted(records_by_icid(self.records())), [51, 52])

    def test_long_lf_line_truncated_next_line_read(self):
        # max_message_size 1KiB: a 3000-byte LF line is cut to its first 1024 bytes and counted;
        # its remaining bytes (which hold a syslog line of their own) are dropped up to its LF,
        # and the next line on the connection is read whole.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        long_line = (syslog_line("Info: ICID 60 close", host="esa1") + " ").encode()
        long_line += b"a" * (1500 - len(long_line)) + messages(61)[0].encode()
        long_line += b"b" * (3000 - len(long_line))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(lf(messages(60)[:-1]))
            s.sendall(long_line + b"\n")
            s.sendall(lf(messages(62)))
        self.wait_icids({60, 62})
        c = d.counter_map()["tcp 127.0.0.1:%d" % port]
        self.assertEqual(c["truncated"], 1, c)
        self.assertEqual(c["messages"], 3 + 1 + 4, c)
        self.assertEqual(d.stop(), 0)
        conns = records_by_icid(self.records())
        self.assertEqual(sorted(conns), [60, 62])
        self.assertEqual((conns[60][0]["verdict"], conns[60][0]["end"]), ("tls", "close"))

    def test_long_udp_datagram_truncated(self):
        # A 3000-byte datagram with a 1KiB limit is counted as truncated and its first part is
        # still read (here: a close line padded with spaces).
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        send_udp(port, messages(65)[:-1])
        closing = syslog_line("Info: ICID 65 close", host="esa1")
        send_udp(port, [closing + " " * (3000 - len(closing))])
        self.wait_icids({65})
        c = d.counter_map()["udp 127.0.0.1:%d" % port]
        self.assertEqual((c["truncated"], c["messages"]), (1, 4), c)
        self.assertEqual(d.stop(), 0)

    def test_random_bytes_do_not_crash(self):
        # About 4 MB from a fixed-seed generator (random bytes, NULs, LFs, huge digit runs,
        # plausible octet counts, "<pri>" starts) over UDP and TCP. The daemon survives, still
        # turns the seed log into its verdicts afterwards and exits 0 on TERM.
        port = free_port()
        d = self.start(config(port, "@DIR@/v.jsonl", extra="max_message_size: 1KiB\n"))
        rng = random.Random(20261128)

        def chunk():
            kind = rng.randrange(7)
            if kind == 0:
                return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            if kind == 1:
                return b"\0" * rng.randrange(1, 50)
            if kind == 2:
                return b"9" * rng.randrange(1, 3000) + b" "
            if kind == 3:
                return b"%d " % rng.choice([0, 1, 23, 1023, 1024, 1025, 65536, 2 ** 31, 2 ** 64])
            if kind == 4:
                return b"\n" * rng.randrange(1, 4) + b"\r\n"
            if kind == 5:
                return b"<%d>" % rng.randrange(-5, 300) + b"Nov 28 12:00:00 h t: Info: ICID "
            return rng.randbytes(rng.randrange(1, 4096))

        def blob(size):
            parts, n = [], 0
            while n < size:
                parts.append(chunk())
                n += len(parts[-1])
            return b"".join(parts)

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            for _ in range(1500):
                u.sendto(blob(rng.randrange(1, 1400))[:65000], ("127.0.0.1", port))
        for _ in range(4):
            with socket.create_connection(("127.0.0.1", port)) as s:
                try:
                    s.sendall(blob(700 * 1024))
                except (BrokenPipeError, ConnectionResetError):
                    pass
        self.assertIsNone(d.proc.poll(), d.stderr())
        logger(port, seed_texts(), proto="tcp")
        host = socket.gethostname()
        self.assertTrue(wait_until(lambda: any(r.get("host") == host and r.get("icid") == 282204971
                                               for r in read_complete_records(d.path("v.jsonl"))),
                                   timeout=20),
                        d.stderr())
        self.assertEqual(d.stop(), 0)
        mine = [r for r in self.records() if r.get("host") == host]
        self.assertEqual(len(mine), 4, mine)

    def test_idle_timeout_closes_silent_connection(self):
        # idle_timeout 1s: a silent connection is closed by the daemon and counted as idle
        # closed, while one that sends a line every 0.3 s stays open past it.
        port = free_port()
        listen = '  - { proto: tcp, address: "127.0.0.1:%d", idle_timeout: 1s }\n' % port
        d = self.start(config(port, "@DIR@/v.jsonl", listen=listen))
        silent = socket.create_connection(("127.0.0.1", port))
        chatty = socket.create_connection(("127.0.0.1", port))
        with silent, chatty:
            start = time.monotonic()
            lines = messages(70)
            for line in lines[:-1]:
                chatty.sendall(lf([line]))
                time.sleep(0.3)
            for _ in range(3):
                chatty.sendall(b"<22>Nov 28 12:00:00 esa1 mail_logs: Info: keepalive\n")
                time.sleep(0.3)
            self.assertTrue(closed_by_peer(silent, timeout=3))
            closed_after = time.monotonic() - start
            self.assertGreater(closed_after, 0.9)
            chatty.sendall(lf(lines[-1:]))
            self.wait_icids({70})
        c = d.counter_map()["tcp 127.0.0.1:%d" % port]
        self.assertEqual((c["idle closed"], c["accepted"]), (1, 2), c)
        self.assertEqual(d.stop(), 0)

    def test_unterminated_last_line_delivered_on_close(self):
        # The peer closes right after a last line without LF: the line is still delivered, so
        # the connection's close line ends its record while the daemon runs.
        port = free_port()
        self.start(config(port, "@DIR@/v.jsonl"))
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(lf(messages(80))[:-1])
        self.wait_icids({80})
        r = records_by_icid(self.records())[80][0]
        self.assertEqual((r["verdict"], r["end"], r["lines"]), ("tls", "close", 4))
        self.assertEqual(self.d.stop(), 0)


if __name__ == "__main__":
    main()
