/* Listeners on loopback, driven by a real event base and real client sockets: TCP frames (octet
 * counted and LF, however the sender's writes split them) reach the sink in order with the
 * sender's address, the unterminated last line at close, at the idle timeout and at shutdown;
 * oversized frames and long lines are counted; max_connections and allow_from refuse and
 * count; UDP datagrams arrive one message each, cut at max_message and counted. TLS (RFC 5425):
 * the same frames through TLS 1.2 and 1.3 records of any size; client certificates required,
 * verified against ca_file and matched to allowed_names, refusals counted; garbage, plain text
 * and a stalled handshake counted as failures without holding up another client; certificates
 * read again at a reload. Certificates are made at run time by tests/tls_certs.sh. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "listen.h"
#include "log.h"
#include "support.h"

#define MAX_MSGS 64

static struct event_base *base;
static char dir[64];
static char certs[64]; /* the test certificates, made once by main() */

/* ---- the sink: what the listener delivered ---- */

static struct {
	char *msg[MAX_MSGS];
	size_t len[MAX_MSGS];
	char sender[MAX_MSGS][64];
	size_t n;
	unsigned batches;
	int refuse; /* allow_from says no */
} got;

static void message_cb(void *arg, const char *msg, size_t len, struct span sender)
{
	(void)arg;
	ck_assert_uint_lt(got.n, MAX_MSGS);
	got.msg[got.n] = malloc(len + 1);
	ck_assert_ptr_nonnull(got.msg[got.n]);
	memcpy(got.msg[got.n], msg, len);
	got.msg[got.n][len] = '\0';
	got.len[got.n] = len;
	ck_assert_uint_lt(sender.len, sizeof(got.sender[0]));
	memcpy(got.sender[got.n], sender.p, sender.len);
	got.sender[got.n][sender.len] = '\0';
	got.n++;
}

static void batch_done_cb(void *arg)
{
	(void)arg;
	got.batches++;
}

static int allowed_cb(void *arg, const uint8_t addr[16])
{
	static const uint8_t loopback4[16] = {0, 0, 0,    0,    0,   0, 0, 0,
	                                      0, 0, 0xff, 0xff, 127, 0, 0, 1};
	static const uint8_t loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	(void)arg;
	ck_assert(memcmp(addr, loopback4, 16) == 0 || memcmp(addr, loopback6, 16) == 0);
	return !got.refuse;
}

static void check_msg(size_t i, const char *want)
{
	ck_assert_uint_lt(i, got.n);
	ck_assert_uint_eq(got.len[i], strlen(want));
	ck_assert_str_eq(got.msg[i], want);
}

static int have_msgs(const void *arg)
{
	return got.n >= *(const size_t *)arg;
}

/* Runs the loop until n messages arrived (or 3 s passed). */
static void wait_msgs(size_t n)
{
	ck_assert_msg(run_until(base, have_msgs, &n, 3000), "%zu messages of %zu", got.n, n);
}

/* ---- listeners and clients ---- */

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	tmpdir_make(dir, sizeof(dir), "check_listen");
	capture_log(dir);
	log_init("esatlsd", 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	memset(&got, 0, sizeof(got));
}

static void teardown(void)
{
	for (size_t i = 0; i < got.n; i++)
		free(got.msg[i]);
	event_base_free(base);
	free(captured_log());
	tmpdir_remove(dir);
}

/* A listener config on 127.0.0.1 (or ::1) with a free port. */
static struct listen_config listener_config_for(enum listen_proto proto, int v6,
                                                uint32_t max_connections, uint64_t idle_timeout_ms)
{
	struct listen_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.proto = proto;
	cfg.address = (char *)(v6 ? "[::1]:0" : "127.0.0.1:0");
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&cfg.addr;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		cfg.addrlen = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&cfg.addr;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cfg.addrlen = sizeof(*in);
	}
	cfg.max_connections = max_connections;
	cfg.idle_timeout_ms = idle_timeout_ms;
	return cfg;
}

/* cfg's listener, started. */
static struct listener *start_listener(const struct listen_config *cfg, size_t max_message)
{
	struct listen_sink sink = {message_cb, batch_done_cb, allowed_cb, NULL};
	struct listener *l = listener_open(cfg, max_message, base, &sink);
	if (l == NULL)
		return NULL;
	ck_assert_int_eq(listener_start(l), 0);
	return l;
}

/* A started listener on 127.0.0.1 (or ::1) with a free port. */
static struct listener *open_listener(enum listen_proto proto, int v6, size_t max_message,
                                      uint32_t max_connections, uint64_t idle_timeout_ms)
{
	struct listen_config cfg = listener_config_for(proto, v6, max_connections, idle_timeout_ms);
	return start_listener(&cfg, max_message);
}

/* The bound port, from the name ("tcp 127.0.0.1:40123", "udp [::1]:40124"). */
static uint16_t port_of(const struct listener *l)
{
	const char *colon = strrchr(listener_name(l), ':');
	ck_assert_ptr_nonnull(colon);
	long port = strtol(colon + 1, NULL, 10);
	ck_assert(port > 0 && port < 65536);
	return (uint16_t)port;
}

static int client(int type, int v6, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
		len = sizeof(*in);
	}
	int fd = socket(ss.ss_family, type, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

static int counter_at_least(const void *arg)
{
	const uint64_t *const *c = arg;
	return *c[0] >= *c[1];
}

/* Runs the loop until *counter reaches want (or 3 s passed). */
static void wait_counter(const uint64_t *counter, uint64_t want)
{
	const uint64_t *pair[2] = {counter, &want};
	ck_assert_msg(run_until(base, counter_at_least, pair, 3000), "counter %llu, want %llu",
	              (unsigned long long)*counter, (unsigned long long)want);
}

/* ---- TCP ---- */

static const char stream[] = "5 hello"
                             "plain line\n"
                             "3 abcx\r\n"
                             "\n"
                             "10 two\nlines!"
                             "crlf line\r\n"
                             "nul line\0"
                             "last, unterminated";

static void check_stream_msgs(size_t first, const char *sender)
{
	static const char *const want[] = {"hello",    "plain line",        "abc",
	                                   "x",        "two\nlines!",       "crlf line",
	                                   "nul line", "last, unterminated"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		check_msg(first + i, want[i]);
		ck_assert_str_eq(got.sender[first + i], sender);
	}
}

/* After the one sender of `stream` closed: its messages and the listener's counts. */
static const struct listen_counters *check_whole_stream(const struct listener *l)
{
	wait_msgs(8);
	check_stream_msgs(0, "127.0.0.1");
	const struct listen_counters *c = listener_counters(l);
	ck_assert_uint_eq(c->messages, 8);
	ck_assert_uint_eq(c->bytes, sizeof(stream) - 1);
	ck_assert_uint_eq(c->accepted, 1);
	return c;
}

START_TEST(test_tcp_frames_in_order)
{
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 8, 0);
	ck_assert_ptr_nonnull(l);
	int fd = client(SOCK_STREAM, 0, port_of(l));
	send_all(fd, stream, sizeof(stream) - 1);
	wait_msgs(7);
	ck_assert_uint_eq(got.n, 7); /* the last line waits for its end */
	close(fd);
	const struct listen_counters *c = check_whole_stream(l);
	ck_assert_uint_eq(c->truncated + c->oversized + c->rejected + c->refused, 0);
	ck_assert_uint_gt(got.batches, 0);
	ck_assert_uint_eq(listener_open_connections(l), 0);
	listener_close(l);
}
END_TEST

/* However the sender's writes cut the stream, the same messages arrive. */
START_TEST(test_tcp_any_write_boundaries)
{
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 8, 0);
	ck_assert_ptr_nonnull(l);
	size_t len = sizeof(stream) - 1;
	unsigned step = 1 + (unsigned)_i;
	int fd = client(SOCK_STREAM, 0, port_of(l));
	for (size_t off = 0; off < len; off += step) {
		send_all(fd, stream + off, off + step <= len ? step : len - off);
		run_for(base, 2);
	}
	close(fd);
	wait_msgs(8);
	check_stream_msgs(0, "127.0.0.1");
	ck_assert_uint_eq(listener_counters(l)->bytes, len);
	listener_close(l);
}
END_TEST

START_TEST(test_tcp_bounds_counted)
{
	char text[512];
	/* max_message 16: a 40-byte counted frame is skipped whole, a 30-byte line cut. */
	int n = snprintf(text, sizeof(text), "40 %040d2 ok%030d\nafter\n", 0, 0);
	ck_assert(n > 0);
	struct listener *l = open_listener(LISTEN_TCP, 0, 16, 8, 0);
	ck_assert_ptr_nonnull(l);
	int fd = client(SOCK_STREAM, 0, port_of(l));
	send_all(fd, text, (size_t)n);
	wait_msgs(3);
	check_msg(0, "ok");
	check_msg(1, "0000000000000000");
	check_msg(2, "after");
	const struct listen_counters *c = listener_counters(l);
	ck_assert_uint_eq(c->oversized, 1);
	ck_assert_uint_eq(c->truncated, 1);
	ck_assert_uint_eq(c->messages, 3);
	close(fd);
	listener_close(l);
}
END_TEST

/* An idle connection is closed; its unterminated line is delivered first. */
START_TEST(test_tcp_idle_timeout)
{
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 8, 100);
	ck_assert_ptr_nonnull(l);
	int fd = client(SOCK_STREAM, 0, port_of(l));
	send_all(fd, "partial", 7);
	wait_counter(&listener_counters(l)->idle_closed, 1);
	wait_msgs(1);
	check_msg(0, "partial");
	ck_assert_uint_eq(listener_open_connections(l), 0);
	char c;
	ck_assert_int_eq(read(fd, &c, 1), 0); /* closed by the listener */
	close(fd);
	listener_close(l);
}
END_TEST

/* Shutdown delivers what open connections still hold, and keeps the counters. */
START_TEST(test_tcp_shutdown_delivers_partial_lines)
{
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 8, 0);
	ck_assert_ptr_nonnull(l);
	int a = client(SOCK_STREAM, 0, port_of(l));
	int b = client(SOCK_STREAM, 0, port_of(l));
	send_all(a, "from a", 6);
	send_all(b, "whole\nfrom b", 12);
	wait_msgs(1);
	wait_counter(&listener_counters(l)->bytes, 18);
	ck_assert_uint_eq(listener_open_connections(l), 2);
	listener_shutdown(l);
	ck_assert_uint_eq(got.n, 3);
	check_msg(0, "whole");
	ck_assert(strcmp(got.msg[1], "from a") == 0 || strcmp(got.msg[2], "from a") == 0);
	ck_assert(strcmp(got.msg[1], "from b") == 0 || strcmp(got.msg[2], "from b") == 0);
	ck_assert_uint_eq(listener_open_connections(l), 0);
	ck_assert_uint_eq(listener_counters(l)->messages, 3);
	close(a);
	close(b);
	listener_close(l);
}
END_TEST

START_TEST(test_tcp_max_connections)
{
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 1, 0);
	ck_assert_ptr_nonnull(l);
	int a = client(SOCK_STREAM, 0, port_of(l));
	wait_counter(&listener_counters(l)->accepted, 1);
	int b = client(SOCK_STREAM, 0, port_of(l));
	wait_counter(&listener_counters(l)->refused, 1);
	char c;
	ck_assert_int_eq(read(b, &c, 1), 0);
	send_all(a, "still here\n", 11);
	wait_msgs(1);
	check_msg(0, "still here");
	ck_assert_uint_eq(listener_counters(l)->accepted, 1);
	close(a);
	close(b);
	listener_close(l);
}
END_TEST

START_TEST(test_tcp_allow_from)
{
	got.refuse = 1;
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 8, 0);
	ck_assert_ptr_nonnull(l);
	int fd = client(SOCK_STREAM, 0, port_of(l));
	wait_counter(&listener_counters(l)->rejected, 1);
	char c;
	ck_assert_int_eq(read(fd, &c, 1), 0);
	ck_assert_uint_eq(listener_counters(l)->accepted, 0);
	close(fd);
	listener_close(l);
}
END_TEST

START_TEST(test_tcp_ipv6_sender)
{
	struct listener *l = open_listener(LISTEN_TCP, 1, 1024, 8, 0);
	if (l == NULL)
		return; /* no IPv6 loopback here */
	int fd = client(SOCK_STREAM, 1, port_of(l));
	send_all(fd, "v6\n", 3);
	wait_msgs(1);
	check_msg(0, "v6");
	ck_assert_str_eq(got.sender[0], "::1");
	ck_assert_ptr_nonnull(strstr(listener_name(l), "tcp [::1]:"));
	close(fd);
	listener_close(l);
}
END_TEST

/* ---- TLS ---- */

static char *cert_path(const char *name, const char *ext)
{
	static char paths[8][128];
	static unsigned next;
	char *p = paths[next++ % 8];
	int n = snprintf(p, sizeof(paths[0]), "%s/%s.%s", certs, name, ext);
	ck_assert(n > 0 && (size_t)n < sizeof(paths[0]));
	return p;
}

/* A TLS listener with the server certificate `server`; ca_file is the test CA when a client
 * certificate is asked for. */
static struct listener *open_tls(const char *server, enum tls_verify verify, char **names,
                                 size_t n_names, uint64_t idle_timeout_ms)
{
	struct listen_config cfg = listener_config_for(LISTEN_TLS, 0, 8, idle_timeout_ms);
	cfg.cert_file = cert_path(server, "pem");
	cfg.key_file = cert_path(server, "key");
	cfg.ca_file = verify != TLS_VERIFY_NONE ? cert_path("ca", "pem") : NULL;
	cfg.verify_client = verify;
	cfg.allowed_names = names;
	cfg.n_allowed_names = n_names;
	struct listener *l = start_listener(&cfg, 1024);
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(strstr(listener_name(l), "tls 127.0.0.1:"));
	return l;
}

struct tls_client {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

/* Steps op (a handshake, a write) while the listener's loop runs, until it is done; returns
 * its result (> 0 done). */
static int tls_step(struct tls_client *t, int (*op)(SSL *, const void *, int), const void *p,
                    int len)
{
	uint64_t end = now_ms() + 3000;
	for (;;) {
		int r = op(t->ssl, p, len);
		if (r > 0)
			return r;
		int e = SSL_get_error(t->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || now_ms() > end)
			return r;
		run_for(base, 2);
	}
}

static int do_connect(SSL *ssl, const void *p, int len)
{
	(void)p;
	(void)len;
	return SSL_connect(ssl);
}

/* A non-blocking TLS client of l that checks the server's certificate against the test CA,
 * showing certificate `cert` (NULL: none), at most TLS version max (0: any). Returns whether
 * the client's handshake completed (with TLS 1.3 a refused certificate shows only later). */
static int tls_connect(struct tls_client *t, const struct listener *l, const char *cert, int max)
{
	t->fd = client(SOCK_STREAM, 0, port_of(l));
	ck_assert_int_eq(fcntl(t->fd, F_SETFL, O_NONBLOCK), 0);
	t->ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(t->ctx);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(t->ctx, cert_path("ca", "pem"), NULL), 1);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (max != 0) {
		SSL_CTX_set_min_proto_version(t->ctx, 0);
		SSL_CTX_set_max_proto_version(t->ctx, max);
		SSL_CTX_set_security_level(t->ctx, 0); /* let it offer what we must refuse */
		SSL_CTX_set_cipher_list(t->ctx, "DEFAULT:@SECLEVEL=0");
	}
	if (cert != NULL) {
		ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(t->ctx, cert_path(cert, "pem")),
		                 1);
		ck_assert_int_eq(
		    SSL_CTX_use_PrivateKey_file(t->ctx, cert_path(cert, "key"), SSL_FILETYPE_PEM),
		    1);
	}
	t->ssl = SSL_new(t->ctx);
	ck_assert_ptr_nonnull(t->ssl);
	SSL_set_fd(t->ssl, t->fd);
	SSL_set_tlsext_host_name(t->ssl, "localhost");
	ck_assert_int_eq(SSL_set1_host(t->ssl, "localhost"), 1);
	return tls_step(t, do_connect, NULL, 0) == 1;
}

static int do_write(SSL *ssl, const void *p, int len)
{
	return SSL_write(ssl, p, len);
}

/* Sends p as records of at most `record` bytes each. */
static void tls_send(struct tls_client *t, const char *p, size_t len, size_t record)
{
	while (len > 0) {
		int n = (int)(len < record ? len : record);
		ck_assert_int_eq(tls_step(t, do_write, p, n), n);
		p += n;
		len -= (size_t)n;
	}
}

static void tls_close(struct tls_client *t)
{
	SSL_shutdown(t->ssl);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	close(t->fd);
}

START_TEST(test_tls_frames_in_order)
{
	struct tls_client t;
	struct listener *l = open_tls("server", TLS_VERIFY_NONE, NULL, 0, 0);
	ck_assert(tls_connect(&t, l, NULL, 0));
	tls_send(&t, stream, sizeof(stream) - 1, 1 + (size_t)_i * 5);
	wait_msgs(7);
	ck_assert_uint_eq(got.n, 7);
	tls_close(&t);
	const struct listen_counters *c = check_whole_stream(l);
	ck_assert_uint_eq(c->tls_handshakes, 1);
	ck_assert_uint_eq(c->tls_failures + c->tls_cert_refused + c->read_errors, 0);
	listener_close(l);
}
END_TEST

/* TLS 1.2 and 1.3 both; a client without a certificate, or with one of another CA, is refused
 * and counted; one with a certificate of ca_file gets through. */
START_TEST(test_tls_client_certificate_required)
{
	static const int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
	struct tls_client bare, rogue, good;
	struct listener *l = open_tls("server", TLS_VERIFY_REQUIRED, NULL, 0, 0);
	const struct listen_counters *c = listener_counters(l);
	tls_connect(&bare, l, NULL, versions[_i]);
	wait_counter(&c->tls_cert_refused, 1);
	tls_connect(&rogue, l, "rogue", versions[_i]);
	wait_counter(&c->tls_cert_refused, 2);
	ck_assert(tls_connect(&good, l, "relay1", versions[_i]));
	tls_send(&good, "6 signed", 8, 100);
	wait_msgs(1);
	check_msg(0, "signed");
	ck_assert_uint_eq(c->tls_handshakes, 1);
	ck_assert_uint_eq(c->tls_failures, 0);
	ck_assert_uint_eq(listener_open_connections(l), 1);
	expect_log("no client certificate");
	expect_log("unable to get local issuer certificate");
	tls_close(&bare);
	tls_close(&rogue);
	tls_close(&good);
	listener_close(l);
}
END_TEST

/* allowed_names: a DNS SAN or the subject CN must be one of them. */
START_TEST(test_tls_allowed_names)
{
	char *names[] = {"relay1.example.org", "cn-only.example.org"};
	struct tls_client a, b, other;
	struct listener *l = open_tls("server", TLS_VERIFY_REQUIRED, names, 2, 0);
	const struct listen_counters *c = listener_counters(l);
	ck_assert(tls_connect(&a, l, "relay1", 0));
	ck_assert(tls_connect(&b, l, "cn-only", 0));
	tls_connect(&other, l, "other", 0);
	wait_counter(&c->tls_cert_refused, 1);
	tls_send(&a, "by san\n", 7, 100);
	wait_msgs(1);
	tls_send(&b, "by cn\n", 6, 100);
	wait_msgs(2);
	check_msg(0, "by san");
	check_msg(1, "by cn");
	ck_assert_uint_eq(c->tls_handshakes, 2);
	ck_assert_uint_eq(listener_open_connections(l), 2);
	expect_log("hostname mismatch");
	tls_close(&a);
	tls_close(&b);
	tls_close(&other);
	listener_close(l);
}
END_TEST

/* Garbage, plain syslog, an old protocol version and a silent client are counted as failed
 * handshakes; a TLS client at the same time is not held up; the idle timeout ends the silent
 * one. */
START_TEST(test_tls_failures_counted)
{
	struct tls_client good, old;
	struct listener *l = open_tls("server", TLS_VERIFY_NONE, NULL, 0, 300);
	const struct listen_counters *c = listener_counters(l);
	int silent = client(SOCK_STREAM, 0, port_of(l));
	int half = client(SOCK_STREAM, 0, port_of(l));
	send_all(half, "\x16\x03\x01\x02\x00\x01", 6); /* a ClientHello that never ends */
	int garbage = client(SOCK_STREAM, 0, port_of(l));
	send_all(garbage, "\x00\xff\x13\x37garbage\r\n\r\n", 15);
	int plain = client(SOCK_STREAM, 0, port_of(l));
	send_all(plain, "<13>Dec  5 10:00:00 esa1 t: Info: ICID 1 close\n", 47);
	wait_counter(&c->tls_failures, 2);
	ck_assert(!tls_connect(&old, l, NULL, TLS1_1_VERSION));
	wait_counter(&c->tls_failures, 3);
	ck_assert(tls_connect(&good, l, NULL, 0));
	tls_send(&good, "through\n", 8, 100);
	wait_msgs(1);
	check_msg(0, "through");
	wait_counter(&c->tls_failures, 5); /* the silent and the half one, at the timeout */
	ck_assert_uint_eq(c->tls_handshakes, 1);
	ck_assert_uint_eq(c->idle_closed, 0);
	ck_assert_uint_eq(c->messages, 1);
	char ch;
	ck_assert_int_eq(read(silent, &ch, 1), 0);
	expect_log("timed out");
	tls_close(&good);
	tls_close(&old);
	close(silent);
	close(half);
	close(garbage);
	close(plain);
	listener_close(l);
}
END_TEST

static int peer_has_name(const struct tls_client *t, const char *name)
{
	X509 *peer = SSL_get1_peer_certificate(t->ssl);
	ck_assert_ptr_nonnull(peer);
	int has = X509_check_host(peer, name, 0, 0, NULL) == 1;
	X509_free(peer);
	return has;
}

/* A reload reads the certificate again: new handshakes get the new one, an open connection
 * goes on; a certificate that cannot be read fails the prepare and changes nothing. */
START_TEST(test_tls_reload_certificate)
{
	struct tls_client before, after, again;
	struct listener *l = open_tls("server", TLS_VERIFY_NONE, NULL, 0, 0);
	ck_assert(tls_connect(&before, l, NULL, 0));
	ck_assert(!peer_has_name(&before, "second.example.org"));
	struct listen_config cfg = listener_config_for(LISTEN_TLS, 0, 8, 0);
	cfg.cert_file = cert_path("server2", "pem");
	cfg.key_file = cert_path("server2", "key");
	ck_assert_int_eq(listener_prepare(l, &cfg), 0);
	listener_update(l, &cfg, 1024);
	ck_assert(tls_connect(&after, l, NULL, 0));
	ck_assert(peer_has_name(&after, "second.example.org"));
	cfg.cert_file = cert_path("missing", "pem");
	ck_assert_int_eq(listener_prepare(l, &cfg), -1);
	expect_log("missing.pem: No such file or directory");
	listener_update(l, &cfg, 1024);
	ck_assert(tls_connect(&again, l, NULL, 0));
	ck_assert(peer_has_name(&again, "second.example.org"));
	tls_send(&before, "old\n", 4, 100);
	tls_send(&after, "new\n", 4, 100);
	wait_msgs(2);
	ck_assert_uint_eq(listener_counters(l)->tls_handshakes, 3);
	tls_close(&before);
	tls_close(&after);
	tls_close(&again);
	listener_close(l);
}
END_TEST

/* ---- UDP ---- */

START_TEST(test_udp_datagrams)
{
	char big[100];
	struct listener *l = open_listener(LISTEN_UDP, 0, 64, 0, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(strstr(listener_name(l), "udp 127.0.0.1:"));
	int fd = client(SOCK_DGRAM, 0, port_of(l));
	memset(big, 'b', sizeof(big));
	send_all(fd, "one datagram\nwith an LF inside", 30);
	send_all(fd, big, sizeof(big));
	send_all(fd, "<13>Dec  5 10:00:00 esa1 t: Info: x", 35);
	wait_msgs(3);
	check_msg(0, "one datagram\nwith an LF inside");
	ck_assert_uint_eq(got.len[1], 64); /* cut at max_message */
	ck_assert_uint_eq(count_substr(got.msg[1], "b"), 64);
	check_msg(2, "<13>Dec  5 10:00:00 esa1 t: Info: x");
	ck_assert_str_eq(got.sender[2], "127.0.0.1");
	const struct listen_counters *c = listener_counters(l);
	ck_assert_uint_eq(c->messages, 3);
	ck_assert_uint_eq(c->truncated, 1);
	ck_assert_uint_eq(listener_open_connections(l), 0);
	close(fd);
	listener_close(l);
}
END_TEST

START_TEST(test_udp_allow_from)
{
	got.refuse = 1;
	struct listener *l = open_listener(LISTEN_UDP, 0, 64, 0, 0);
	ck_assert_ptr_nonnull(l);
	int fd = client(SOCK_DGRAM, 0, port_of(l));
	send_all(fd, "no", 2);
	send_all(fd, "no", 2);
	wait_counter(&listener_counters(l)->rejected, 2);
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(listener_counters(l)->messages, 0);
	close(fd);
	listener_close(l);
}
END_TEST

static Suite *listen_suite(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("tcp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tcp_frames_in_order);
	tcase_add_loop_test(tc, test_tcp_any_write_boundaries, 0, 9);
	tcase_add_test(tc, test_tcp_bounds_counted);
	tcase_add_test(tc, test_tcp_idle_timeout);
	tcase_add_test(tc, test_tcp_shutdown_delivers_partial_lines);
	tcase_add_test(tc, test_tcp_max_connections);
	tcase_add_test(tc, test_tcp_allow_from);
	tcase_add_test(tc, test_tcp_ipv6_sender);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_tls_frames_in_order, 0, 4);
	tcase_add_loop_test(tc, test_tls_client_certificate_required, 0, 2);
	tcase_add_test(tc, test_tls_allowed_names);
	tcase_add_test(tc, test_tls_failures_counted);
	tcase_add_test(tc, test_tls_reload_certificate);
	suite_add_tcase(s, tc);

	tc = tcase_create("udp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_udp_datagrams);
	tcase_add_test(tc, test_udp_allow_from);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tls_certs_make(certs, sizeof(certs)) != 0)
		return EXIT_FAILURE;
	int failed = suite_failures(listen_suite());
	tmpdir_remove(certs);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
