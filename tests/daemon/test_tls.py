"""TLS syslog (RFC 5425) against the running daemon: a real rsyslog relay forwarding over TLS with
a client certificate gives the seed verdicts; a relay whose certificate has no allowed name is
refused and counted; Python ssl clients for the rest (no certificate, garbage, plain syslog, a
stalled handshake); -t on bad TLS files; certificates read again on SIGHUP, and a reload with an
unreadable certificate kept off. Certificates are made at run time by tests/tls_certs.sh."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from harness import (DaemonTest, free_port, main, read_records, seed_texts, send_udp,
                     syslog_line, wait_until)

CERTS_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tls_certs.sh")
RSYSLOGD = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd"
                                        if os.path.exists("/usr/sbin/rsyslogd") else None)

EXPECTED = {
    ("inbound", 282204970): ("tls", "shutdown"),
    ("inbound", 282204971): ("tls_failed", "lost"),
    ("outbound", 2386069): ("tls", "shutdown"),
    ("outbound", 2386070): ("tls_failed", "shutdown"),
}


def tls_listen(port, certs, verify="required", names=("relay1.example.org",), server="server",
               idle="10m"):
    entry = ('  - { proto: tls, address: "127.0.0.1:%d", cert_file: "%s/%s.pem", '
             'key_file: "%s/%s.key", idle_timeout: %s' % (port, certs, server, certs, server, idle))
    if verify != "none":
        entry += ', ca_file: "%s/ca.pem", verify_client: %s' % (certs, verify)
    if names:
        entry += ", allowed_names: [%s]" % ", ".join(names)
    return entry + " }\n"


def tls_config(port, certs, **kw):
    return ("listen:\n" + tls_listen(port, certs, **kw) +
            'outputs:\n  - { file: "@DIR@/verdicts.jsonl" }\n')


class TlsTest(DaemonTest):
    def setUp(self):
        super().setUp()
        self.certs = self.make_certs()

    def make_certs(self):
        certs = tempfile.mkdtemp(prefix="esatlsd-certs-")
        self.addCleanup(shutil.rmtree, certs, True)
        subprocess.run(["sh", CERTS_SCRIPT, certs], check=True, timeout=60)
        return certs

    def cert(self, name, ext="pem"):
        return os.path.join(self.certs, "%s.%s" % (name, ext))

    def client_context(self, cert=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.cert("ca"))
        if cert:
            ctx.load_cert_chain(self.cert(cert), self.cert(cert, "key"))
        return ctx

    def tls_send(self, port, data, cert=None):
        """Sends data over TLS as client `cert`; returns the server certificate's names."""
        ctx = self.client_context(cert)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(data)
                names = [v for k, v in s.getpeercert().get("subjectAltName", ()) if k == "DNS"]
                s.unwrap()
                return names

    def tls_counters(self, d, port):
        return d.counter_map()["tls 127.0.0.1:%d" % port]


class Rsyslog:
    """rsyslogd in the foreground with a private work directory: imudp on one loopback port,
    everything it receives there forwarded by omfwd over TLS (the ossl driver) with octet
    counting, showing client certificate `cert`."""

    def __init__(self, workdir, certs, udp_port, tls_port, cert="relay1"):
        self.dir = workdir
        os.makedirs(os.path.join(workdir, "work"), exist_ok=True)
        self.conf = os.path.join(workdir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write('''global(workDirectory="{dir}/work"
       DefaultNetstreamDriverCAFile="{certs}/ca.pem"
       DefaultNetstreamDriverCertFile="{certs}/{cert}.pem"
       DefaultNetstreamDriverKeyFile="{certs}/{cert}.key")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="relay")
ruleset(name="relay") {{
  action(type="omfwd" target="127.0.0.1" port="{tls}" protocol="tcp"
         StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers="localhost" TCP_Framing="octet-counted")
}}
'''.format(dir=workdir, certs=certs, cert=cert, udp=udp_port, tls=tls_port))
        self.output = None
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i",
                                      os.path.join(workdir, "rsyslogd.pid")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, port):
        """Until imudp is bound (the port is taken)."""
        def bound():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                    return False
                except OSError:
                    return True
        return wait_until(lambda: self.proc.poll() is not None or bound(), timeout=10)

    def stop(self):
        """Stops it (once); returns what it wrote."""
        if self.output is not None:
            return self.output
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.output = self.proc.stdout.read().decode("utf-8", "replace")
        self.proc.stdout.close()
        return self.output


class RsyslogRelay(TlsTest):
    def setUp(self):
        super().setUp()
        if RSYSLOGD is None:
            self.skipTest("rsyslogd not installed (Debian packages rsyslog, rsyslog-openssl)")

    def relay(self, d, tls_port, cert="relay1"):
        udp_port = free_port(socket.SOCK_DGRAM)
        r = Rsyslog(d.path("rsyslog"), self.certs, udp_port, tls_port, cert=cert)
        self.addCleanup(r.stop)
        self.assertTrue(r.wait_ready(udp_port))
        if r.proc.poll() is not None:
            self.fail("rsyslogd exited:\n" + r.stop())
        return r, udp_port

    def test_rsyslog_forwards_seed_over_tls(self):
        # rsyslog (ossl driver, x509/name, octet-counted) relays the seed log sent to it over
        # UDP; esatlsd checks its client certificate (required, allowed name) and gives the
        # seed's four verdicts, with the appliance named by the relayed HOSTNAME.
        started = time.monotonic()
        port = free_port()
        d = self.start(tls_config(port, self.certs))
        r, udp_port = self.relay(d, port)
        send_udp(udp_port, [syslog_line(t, host="esa1") for t in seed_texts()])
        self.assertTrue(wait_until(lambda: len(read_records(d.path("verdicts.jsonl"))) == 1),
                        d.stderr() + r.stop())
        c = self.tls_counters(d, port)
        self.assertEqual(c["tls handshakes"], 1)
        self.assertEqual(c["tls failures"] + c["tls cert refused"], 0)
        self.assertEqual(c["messages"], len(seed_texts()))
        r.stop()
        self.assertEqual(d.stop(), 0)
        records = read_records(d.path("verdicts.jsonl"))
        got = {(x["direction"], x.get("icid", x.get("dcid"))): (x["verdict"], x["end"])
               for x in records}
        self.assertEqual(got, EXPECTED)
        self.assertTrue(all(x["host"] == "esa1" for x in records))
        print("rsyslog relay scenario: %.1f s" % (time.monotonic() - started))

    def test_rsyslog_without_allowed_name_refused(self):
        # The relay's certificate verifies but names none of allowed_names: every attempt is
        # refused and counted, nothing is delivered, and the daemon goes on serving others.
        port = free_port()
        d = self.start(tls_config(port, self.certs, names=("other.example.org",)))
        r, udp_port = self.relay(d, port)
        send_udp(udp_port, [syslog_line(t, host="esa1") for t in seed_texts()])
        self.assertTrue(wait_until(lambda: self.tls_counters(d, port)["tls cert refused"] >= 1,
                                   timeout=15), d.stderr())
        r.stop()
        self.assertEqual(self.tls_counters(d, port)["messages"], 0)
        self.tls_send(port, b"5 hello", cert="other")
        self.assertTrue(wait_until(lambda: self.tls_counters(d, port)["messages"] == 1))
        self.assertIn("hostname mismatch", d.stderr())


class PythonClients(TlsTest):
    def test_refusals_and_failures_counted(self):
        # No client certificate, a certificate of another CA, garbage, plain syslog and a
        # client that stalls in the handshake are each refused and counted; a good client at
        # the same time gets through, and the daemon lives on.
        port = free_port()
        d = self.start(tls_config(port, self.certs, names=(), idle="1s"))
        stalled = socket.create_connection(("127.0.0.1", port))
        for cert in (None, "rogue"):
            # With TLS 1.3 the client may finish its side before the server refuses it: the
            # server's counters say what happened, not whether this client noticed.
            try:
                self.tls_send(port, b"x\n", cert=cert)
            except (ssl.SSLError, OSError):
                pass
        for junk in (b"\x00\xffgarbage\r\n", syslog_line("Info: ICID 1 close").encode() + b"\n"):
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(junk)
                s.settimeout(5)
                try:  # an alert, then the close
                    while s.recv(100):
                        pass
                except ConnectionResetError:
                    pass
        self.tls_send(port, b"Info: x y z\n", cert="cn-only")
        self.assertTrue(wait_until(lambda: self.tls_counters(d, port)["tls failures"] >= 3 and
                                   self.tls_counters(d, port)["messages"] >= 1, timeout=10),
                        d.stderr())
        stalled.close()
        c = self.tls_counters(d, port)
        self.assertEqual(c["tls cert refused"], 2)
        self.assertEqual(c["tls failures"], 3)
        self.assertEqual(c["tls handshakes"], 1)
        self.assertEqual(c["messages"], 1)
        self.assertEqual(c["idle closed"], 0)
        self.assertEqual(d.stop(), 0)

    def test_check_reports_tls_files(self):
        # -t loads the certificate and key: a key of another certificate and a missing CA
        # file are errors at the position of their key.
        port = free_port()
        path = os.path.join(self.certs, "bad.yaml")
        with open(path, "w") as f:
            f.write("listen:\n"
                    "  - proto: tls\n"
                    "    address: \"127.0.0.1:%d\"\n"
                    "    cert_file: %s\n"
                    "    key_file: %s\n"
                    "  - proto: tls\n"
                    "    address: \"127.0.0.1:%d\"\n"
                    "    cert_file: %s\n"
                    "    key_file: %s\n"
                    "    ca_file: %s/none.pem\n"
                    "    verify_client: optional\n"
                    % (port, self.cert("server"), self.cert("relay1", "key"), port + 1,
                       self.cert("server"), self.cert("server", "key"), self.certs))
        proc = self.run_binary(["-t", "-c", path])
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("%s:5:15: key %s: does not match the certificate in cert_file"
                      % (path, self.cert("relay1", "key")), proc.stderr)
        self.assertIn("%s:10:14: CA file %s/none.pem: No such file or directory"
                      % (path, self.certs), proc.stderr)
        good = os.path.join(self.certs, "good.yaml")
        with open(good, "w") as f:
            f.write(tls_config(port, self.certs).replace("@DIR@", self.certs))
        proc = self.run_binary(["-t", "-c", good])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_reload_reads_certificates_again(self):
        # SIGHUP with new files at the same address keeps the socket and makes new handshakes
        # use the new certificate; a reload whose certificate cannot be read fails, logged, and
        # the one in use stays.
        port = free_port()
        d = self.start(tls_config(port, self.certs, verify="none", names=()))
        self.assertNotIn("second.example.org", self.tls_send(port, b"4 one\n"))
        d.write_config(tls_config(port, self.certs, verify="none", names=(), server="server2"))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reloaded", start=start), d.stderr())
        self.assertIn("certificate, key and CA read again", d.stderr())
        self.assertIn("second.example.org", self.tls_send(port, b"4 two\n"))
        os.rename(self.cert("server2"), self.cert("moved"))
        start = d.stderr_count()
        d.send_signal(signal.SIGHUP)
        self.assertTrue(d.wait_stderr("reload failed", start=start), d.stderr())
        self.assertIn("No such file or directory", d.stderr())
        self.assertIn("second.example.org", self.tls_send(port, b"6 three\n"))
        self.assertEqual(d.count("esatlsd_reload_failures_total"), 1)
        c = self.tls_counters(d, port)
        self.assertEqual((c["tls handshakes"], c["messages"]), (3, 3))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
