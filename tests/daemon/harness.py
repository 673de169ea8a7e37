"""Runs the real esatlsd on loopback for integration tests: a config with ports chosen at run
time, a NOTIFY_SOCKET of the test's own, real clients (util-linux logger, raw sockets), and
helpers to read what the daemon wrote."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = os.environ.get("ESATLSD", "")
DATA = os.environ.get("ESATLSD_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
SEED = os.path.join(DATA, "seed.log")


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port that nothing uses right now on host (for both UDP and TCP when possible)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_STREAM) as t, socket.socket(family, socket.SOCK_DGRAM) as u:
            try:
                t.bind((host, 0))
                port = t.getsockname()[1]
                u.bind((host, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Polls predicate until it is true; returns its last value. A file read while the daemon
    writes it may end inside a line: a predicate that fails to parse one (ValueError, which
    json's errors are) is not true yet, until the time is up."""
    end = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except ValueError:
            if time.monotonic() > end:
                raise
            value = False
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)


def read_records(path):
    """Every record of a JSON Lines file (each line must parse)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    records = []
    for raw in data.split(b"\n"):
        if raw:
            records.append(json.loads(raw.decode("utf-8", "strict")))
    return records


# Runs the daemon with JOURNAL_STREAM set to the device and inode of its own stderr, as
# systemd does for StandardError=journal (a Daemon's prefix).
JOURNAL_WRAPPER = ["/bin/sh", "-c",
                   'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) && export JOURNAL_STREAM '
                   '&& exec "$0" "$@"']


# A daemon built with -DESATLS_SANITIZE=ON reports memory errors, leaks and undefined behaviour on
# its standard error with one of these; any of them fails the test that ran it.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_report(text):
    """The first line of text that starts a sanitizer report, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKERS):
            return line
    return None


LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def unescape(text, quote):
    """A HELP text (quote False) or a label value (quote True) without its escapes."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1:i + 2]
            if nxt not in ("\\", "n") + (('"',) if quote else ()):
                raise ValueError("bad escape in %r" % text)
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        if quote and c == '"':
            raise ValueError("unescaped quote in %r" % text)
        out.append(c)
        i += 1
    return "".join(out)


def parse_labels(text, line):
    """'a="x",b="y"' (the text between the braces) as a dict."""
    labels, i = {}, 0
    while i < len(text):
        m = LABEL.match(text, i)
        if not m or text[m.end():m.end() + 2] != '="':
            raise ValueError("bad label in %r" % line)
        name, i = m.group(0), m.end() + 2
        start = i
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i >= len(text):
            raise ValueError("unterminated label value in %r" % line)
        if name in labels:
            raise ValueError("label %s twice in %r" % (name, line))
        labels[name] = unescape(text[start:i], True)
        i += 1
        if i < len(text):
            if text[i] != ",":
                raise ValueError("expected , in %r" % line)
            i += 1
    return labels


class Zeros(dict):
    """Counters as logged: a labelled family leaves its zero samples out, so a missing key is 0."""

    def __missing__(self, key):
        return 0


def split_samples(rest, line):
    """'{a="x"} 1, {b="y"} 2' (one USR1 line after its family name) as [(labels dict, value)]."""
    out, i = [], 0
    while i < len(rest):
        if rest[i] != "{":
            raise ValueError("expected { in %r" % line)
        j = i + 1
        while j < len(rest) and rest[j] != "}":
            if rest[j] == '"':
                j += 1
                while j < len(rest) and rest[j] != '"':
                    j += 2 if rest[j] == "\\" else 1
            j += 1
        labels = parse_labels(rest[i + 1:j], line)
        m = re.match(r"\} (\d+)(, |$)", rest[j:])
        if not m:
            raise ValueError("bad value in %r" % line)
        out.append((labels, int(m.group(1))))
        i = j + m.end()
    return out


def parse_counters(text):
    """USR1's "counters:" lines as {family: {frozenset(labels): value}} (Zeros at both levels).
    A line is "NAME VALUE" or "NAME{labels} VALUE, {labels} VALUE, ..."."""
    out = ZeroTable()
    for line in text.splitlines():
        _, sep, rest = line.partition("counters: ")
        if not sep or rest.startswith("summary "):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)( (\d+)$|\{)", rest)
        if not m:
            raise ValueError("bad counters line %r" % line)
        family = out.setdefault(m.group(1), Zeros())
        if m.group(3) is not None:
            family[frozenset()] = int(m.group(3))
            continue
        for labels, value in split_samples(rest[len(m.group(1)):], line):
            family[frozenset(labels.items())] = value
    return out


def counter_sum(counters, family, **labels):
    """The sum of family's samples that carry every label given."""
    want = set(labels.items())
    return sum(v for k, v in counters.get(family, {}).items() if want <= set(k))


LISTENER_KEYS = {"messages": "messages_total", "bytes": "bytes_total",
                 "truncated": "truncated_total", "oversized": "oversized_total",
                 "frames cut": "frames_cut_total", "cut bytes": "cut_bytes_total",
                 "rejected": "rejected_total", "accepted": "accepted_connections_total",
                 "refused": "refused_connections_total",
                 "evicted": "evicted_connections_total", "idle closed": "idle_closed_total",
                 "accept errors": "accept_errors_total", "read errors": "read_errors_total",
                 "kernel drops": "kernel_drops_total", "open": "open_connections",
                 "tls handshakes": "tls_handshakes_total",
                 "tls failures": "tls_handshake_failures_total",
                 "tls cert refused": "tls_cert_refused_total"}
OUTPUT_KEYS = ("records", "written", "write_errors", "retries", "dropped", "reopens")


class ZeroTable(dict):
    """Objects by name, each a Zeros: one never logged has only zero counters."""

    def __missing__(self, key):
        return Zeros()


def by_object(counters):
    """Listener and output counters as {"udp 127.0.0.1:PORT": {"messages": n, "open": n, ...},
    "output PATH": {"records": n, "write errors": n, "pending": n, ...}}."""
    out = ZeroTable()
    for family, samples in counters.items():
        for key, value in samples.items():
            labels = dict(key)
            if "listener" in labels:
                short = family[len("esatlsd_listener_"):]
                for name, suffix in LISTENER_KEYS.items():
                    if short == suffix:
                        out.setdefault(labels["listener"], Zeros())[name] = value
            elif "output" in labels:
                short = family[len("esatlsd_output_"):]
                if short.endswith("_total"):
                    short = short[:-len("_total")]
                out.setdefault("output " + labels["output"],
                               Zeros())[short.replace("_", " ")] = value
    return out


def read_complete_records(path):
    """The records of path's complete lines: for polling while the daemon may be in the middle of
    a write (a final line without its LF is left out; every complete line must parse)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    data = data[:data.rfind(b"\n") + 1]
    return [json.loads(raw.decode("utf-8", "strict")) for raw in data.split(b"\n") if raw]


class Daemon:
    """One esatlsd process with its own temp dir, config and notify socket."""

    def __init__(self, config, env=None, args=(), notify_abstract=False, prefix=()):
        """config None runs without -c (args=["--defaults"] for the built-in defaults; else
        the default file, which must exist). notify_abstract binds the
        notify socket in the abstract namespace and passes it as "@name". prefix goes before
        the binary on the command line (a wrapper that execs it keeps its pid)."""
        self.dir = tempfile.mkdtemp(prefix="esatlsd-test-")
        self.config_path = os.path.join(self.dir, "esatlsd.yaml") if config is not None else None
        if config is not None:
            self.write_config(config)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if notify_abstract:
            name = "esatlsd-test-%d-%s" % (os.getpid(), os.path.basename(self.dir))
            self.notify.bind("\0" + name)
            self.notify_path = "@" + name
        else:
            self.notify_path = os.path.join(self.dir, "notify")
            self.notify.bind(self.notify_path)
        self.notify.settimeout(0.1)
        self.notifications = []
        self.notify_times = []
        self.stderr_lines = []
        self._lock = threading.Lock()
        self._readers = []
        self.env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.env.update(env or {})
        self.args = list(args)
        self.prefix = list(prefix)
        self.proc = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_config(self, text):
        if self.config_path is None:
            self.config_path = os.path.join(self.dir, "esatlsd.yaml")
        with open(self.config_path, "w") as f:
            f.write(text.replace("@DIR@", self.dir if hasattr(self, "dir") else ""))

    def start(self, wait_ready=True):
        config_args = ["-c", self.config_path] if self.config_path is not None else []
        self.proc = subprocess.Popen(self.prefix + [BINARY] + config_args + self.args,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env)
        self.stdout_chunks = []
        for target in (self._read_stderr, self._read_notify, self._read_stdout):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._readers.append(t)
        if wait_ready:
            ok = wait_until(lambda: "READY=1" in self.notified() or self.proc.poll() is not None)
            if self.proc.poll() is not None or not ok:
                raise AssertionError("esatlsd did not become ready:\n" + self.stderr())
        return self

    def _read_stderr(self):
        for line in self.proc.stderr:
            with self._lock:
                self.stderr_lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def _read_stdout(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            with self._lock:
                self.stdout_chunks.append(chunk)

    def _read_notify(self):
        while True:
            try:
                msg = self.notify.recv(4096)
            except socket.timeout:
                if self.proc.poll() is not None:
                    return
                continue
            except OSError:
                return
            with self._lock:
                self.notifications.append(msg.decode())
                self.notify_times.append(time.monotonic())

    def notified(self):
        with self._lock:
            return list(self.notifications)

    def notified_at(self):
        """(message, time.monotonic() of its arrival) of every notification so far."""
        with self._lock:
            return list(zip(self.notifications, self.notify_times))

    def stderr(self):
        with self._lock:
            return "\n".join(self.stderr_lines)

    def stdout(self):
        with self._lock:
            return b"".join(self.stdout_chunks)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def counters(self):
        """Sends USR1 and returns the counter lines it logs (waits for the output lines, then
        for the burst to end)."""
        with self._lock:
            before = len(self.stderr_lines)
        self.send_signal(signal.SIGUSR1)
        wait_until(lambda: any("counters: summary" in l for l in self.stderr_lines[before:]),
                   timeout=5)
        seen = -1
        while seen != len(self.stderr_lines):
            seen = len(self.stderr_lines)
            time.sleep(0.05)
        with self._lock:
            return "\n".join(self.stderr_lines[before:])

    def counter_map(self):
        """counters() by listener and output: {"udp 127.0.0.1:PORT": {"messages": n, ...},
        "output PATH": {...}} (see by_object)."""
        return by_object(parse_counters(self.counters()))

    def count(self, family, **labels):
        """USR1's value of family (summed over the samples that carry the labels given)."""
        return counter_sum(parse_counters(self.counters()), family, **labels)

    def wait_stderr(self, text, timeout=10, start=0):
        """Waits until a stderr line from index start on contains text; returns it or None."""
        def find():
            with self._lock:
                lines = self.stderr_lines[start:]
            return next((l for l in lines if text in l), None)
        return wait_until(find, timeout=timeout)

    def stderr_count(self):
        with self._lock:
            return len(self.stderr_lines)

    def join_readers(self, timeout=5):
        """After the process ended: waits for the reader threads to drain its pipes."""
        for t in self._readers:
            t.join(timeout)

    def wait_exit(self, timeout=10):
        """Waits for the daemon to exit on its own; returns its exit status."""
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("esatlsd still runs after %ss:\n%s" % (timeout, self.stderr()))
        self.join_readers()
        return status

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the daemon; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("esatlsd did not stop within %ss:\n%s" % (timeout, self.stderr()))
        self.join_readers()
        return status

    def close(self):
        try:
            if self.proc is not None:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                self.join_readers()
                self.proc.stdout.close()
                self.proc.stderr.close()
        finally:
            self.notify.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def logger(port, lines, proto="udp", host="127.0.0.1", rfc="--rfc3164", tag="mail_logs",
           octet_count=False):
    """Sends each line as one message with util-linux logger."""
    args = ["logger", "-n", host, "-P", str(port), "-d" if proto == "udp" else "-T", rfc, "-t", tag]
    if octet_count:
        args.append("--octet-count")
    subprocess.run(args, input="\n".join(lines) + "\n", text=True, check=True, timeout=30)


def seed_texts():
    """The seed log's lines without their native timestamp: 'Info: ...'."""
    with open(SEED) as f:
        return [line.rstrip("\n").split(" ", 5)[5] for line in f if line.strip()]


def esa_connection(icid, verdict="tls", closed=True):
    """The ESA lines ("Info: ...") of one inbound SMTP connection whose record gets verdict:
    tls, tls_failed, no_tls (needs closed), or unknown (no open line, so nobody can say)."""
    lines = []
    if verdict != "unknown":
        lines.append("New SMTP ICID %d interface Management (10.0.0.1) address 192.0.2.%d "
                     "reverse dns host unknown verified no" % (icid, icid % 250 + 1))
        lines.append("ICID %d ACCEPT SG None match SBRS None" % icid)
    if verdict == "tls":
        lines.append("ICID %d TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES256-GCM-SHA384"
                     % icid)
    elif verdict == "tls_failed":
        lines.append("ICID %d TLS failed: [Errno 54] Connection reset by peer" % icid)
    if closed:
        lines.append("ICID %d close" % icid)
    return ["Info: " + line for line in lines]


def syslog_line(text, host="esa1", tag="mail_logs", pri=22, stamp="Nov 28 12:00:00"):
    """An RFC 3164 message: "<pri>STAMP HOST TAG: text"; host None leaves the HOSTNAME out."""
    return "<%d>%s %s%s: %s" % (pri, stamp, host + " " if host else "", tag, text)


def records_by_icid(records):
    """{icid: [records]} of the inbound records."""
    out = {}
    for r in records:
        if "icid" in r:
            out.setdefault(r["icid"], []).append(r)
    return out


def send_udp(port, messages, host="127.0.0.1", source=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        if source:
            s.bind((source, 0))
        for m in messages:
            s.sendto(m if isinstance(m, bytes) else m.encode(), (host, port))


def send_tcp(port, data, host="127.0.0.1", source=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        s.sendall(data if isinstance(data, bytes) else data.encode())


def config(port, output, extra="", listen=None):
    """A config on 127.0.0.1:port (UDP and TCP) writing every verdict to output."""
    if listen is None:
        listen = ('  - { proto: udp, address: "127.0.0.1:%d" }\n'
                  '  - { proto: tcp, address: "127.0.0.1:%d" }\n' % (port, port))
    return "listen:\n%soutputs:\n  - { file: \"%s\" }\n%s" % (listen, output, extra)


class DaemonTest(unittest.TestCase):
    """Base class: self.d and every daemon made by spawn() are stopped and removed after each
    test, and a test fails when one of them reported a sanitizer error on its standard error."""

    def setUp(self):
        if not BINARY:
            self.skipTest("ESATLSD not set")
        self.d = None
        self.daemons = []

    def tearDown(self):
        daemons = list(getattr(self, "daemons", []))
        if self.d is not None and all(self.d is not x for x in daemons):
            daemons.append(self.d)
        reports = []
        for d in daemons:
            try:
                if self._outcome_failed():
                    sys.stderr.write("--- esatlsd stderr ---\n%s\n" % d.stderr())
            finally:
                d.close()
            report = sanitizer_report(d.stderr())
            if report is not None:
                reports.append(d.stderr())
        if reports:
            raise AssertionError("sanitizer report on esatlsd's stderr:\n" + "\n".join(reports))

    def _outcome_failed(self):
        result = getattr(self._outcome, "result", None)
        errors = getattr(result, "errors", []) + getattr(result, "failures", [])
        return any(test is self for test, _ in errors)

    def spawn(self, config_text, start=True, **kw):
        """A daemon cleaned up with the test (started unless start is False)."""
        d = Daemon(config_text, **kw)
        self.daemons.append(d)
        return d.start() if start else d

    def start(self, config_text, **kw):
        self.d = self.spawn(config_text, start=False, **kw)
        return self.d.start()

    def run_binary(self, args, timeout=30, **kw):
        """Runs esatlsd to completion (e.g. -t); fails on a sanitizer report."""
        proc = subprocess.run([BINARY] + list(args), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, **kw)
        self.assertIsNone(sanitizer_report(proc.stderr), proc.stderr)
        return proc


class FilesTest(DaemonTest):
    """A DaemonTest with a temporary directory, self.tmp, for the files it writes."""

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="esatlsd-files-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, text):
        """Writes text (str or bytes) to name in self.tmp; returns its path."""
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
        return path


def main():
    unittest.main(verbosity=2)
