"""Runs the real esatlsd on loopback for integration tests: a config with ports chosen at run
time, a NOTIFY_SOCKET of the test's own, real clients (util-linux logger, raw sockets), and
helpers to read what the daemon wrote."""

import json
import os
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
    """Polls predicate until it is true; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
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


class Daemon:
    """One esatlsd process with its own temp dir, config and notify socket."""

    def __init__(self, config, env=None, args=()):
        self.dir = tempfile.mkdtemp(prefix="esatlsd-test-")
        self.config_path = os.path.join(self.dir, "esatlsd.yaml")
        self.write_config(config)
        self.notify_path = os.path.join(self.dir, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.1)
        self.notifications = []
        self.stderr_lines = []
        self._lock = threading.Lock()
        self.env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.env.update(env or {})
        self.args = list(args)
        self.proc = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text.replace("@DIR@", self.dir if hasattr(self, "dir") else ""))

    def start(self, wait_ready=True):
        self.proc = subprocess.Popen([BINARY, "-c", self.config_path] + self.args,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env)
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._read_notify, daemon=True).start()
        self.stdout_chunks = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
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

    def notified(self):
        with self._lock:
            return list(self.notifications)

    def stderr(self):
        with self._lock:
            return "\n".join(self.stderr_lines)

    def stdout(self):
        with self._lock:
            return b"".join(self.stdout_chunks)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def counters(self):
        """Sends USR1 and returns the counter lines it logs (waits for the output lines)."""
        before = len(self.stderr_lines)
        self.send_signal(signal.SIGUSR1)
        wait_until(lambda: any("output " in l for l in self.stderr_lines[before:]), timeout=5)
        time.sleep(0.05)
        with self._lock:
            return "\n".join(self.stderr_lines[before:])

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
        time.sleep(0.05)  # let the reader threads drain the pipes
        return status

    def close(self):
        try:
            if self.proc is not None:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                time.sleep(0.02)
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
    """Base class: self.d is stopped and removed after each test."""

    def setUp(self):
        if not BINARY:
            self.skipTest("ESATLSD not set")
        self.d = None

    def tearDown(self):
        if self.d is not None:
            if self._outcome_failed():
                sys.stderr.write("--- esatlsd stderr ---\n%s\n" % self.d.stderr())
            self.d.close()

    def _outcome_failed(self):
        result = getattr(self._outcome, "result", None)
        errors = getattr(result, "errors", []) + getattr(result, "failures", [])
        return any(test is self for test, _ in errors)

    def start(self, config_text, **kw):
        self.d = Daemon(config_text, **kw)
        self.d.write_config(config_text)
        return self.d.start()


def main():
    unittest.main(verbosity=2)
