"""Webhook receivers for the integration tests, all on loopback: an HTTPS server (Python's ssl)
with a certificate authority and server certificates made at test time with the openssl CLI,
that records each POST, the SNI name the client sent and answers scripted statuses; and a DNS
server that answers every query "no such name", so that no lookup leaves the machine."""

import http.server
import os
import socket
import ssl
import struct
import subprocess
import tempfile
import threading


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


class Pki:
    """A CA and server certificates it signed, in a temp dir (removed by close)."""

    def __init__(self, name="esatlsd test CA"):
        self.dir = tempfile.mkdtemp(prefix="esatlsd-pki-")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                "/CN=" + name, cwd=self.dir)
        self.ca = os.path.join(self.dir, "ca.pem")

    def server(self, label, names=("localhost",), ips=("127.0.0.1",)):
        """(cert, key) paths of a server certificate for names and ips."""
        san = ",".join(["DNS:" + n for n in names] + ["IP:" + i for i in ips])
        with open(os.path.join(self.dir, label + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n" % san)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", label + ".key", "-out", label + ".csr", "-subj", "/CN=" + names[0],
                cwd=self.dir)
        openssl("x509", "-req", "-in", label + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", label + ".pem", "-days", "2", "-extfile",
                label + ".ext", cwd=self.dir)
        return os.path.join(self.dir, label + ".pem"), os.path.join(self.dir, label + ".key")

    def close(self):
        subprocess.run(["rm", "-rf", self.dir], check=False)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        srv = self.server
        with srv.lock:
            srv.posts.append((self.path, dict(self.headers), body))
            code, extra = srv.codes.pop(0) if srv.codes else (200, {})
        self.send_response(code)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that refused our certificate ends the handshake: expected, not news.
        self.handshake_errors += 1


class HttpsReceiver:
    """An HTTPS server on 127.0.0.1 with cert/key; posts as (path, headers, body), the SNI names
    seen in sni, answers from codes: [(status, {header: value})] then 200."""

    def __init__(self, cert, key):
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.posts, self.httpd.codes = [], []
        self.httpd.lock = threading.Lock()
        self.httpd.handshake_errors = 0
        self.sni = []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        ctx.sni_callback = lambda sock, name, c: self.sni.append(name)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def posts(self):
        with self.httpd.lock:
            return list(self.httpd.posts)

    @property
    def handshake_errors(self):
        return self.httpd.handshake_errors

    def answer(self, *codes):
        with self.httpd.lock:
            self.httpd.codes.extend(codes)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class NxDomain:
    """A DNS server on 127.0.0.1 (UDP) that answers every query NXDOMAIN; counts the queries."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.queries = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                msg, peer = self.sock.recvfrom(512)
            except OSError:
                return
            if len(msg) < 12:
                continue
            self.queries += 1
            flags = struct.pack("!H", 0x8183)  # response, recursion, NXDOMAIN
            self.sock.sendto(msg[:2] + flags + msg[4:], peer)

    def close(self):
        self.sock.close()
