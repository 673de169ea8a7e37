/* Listeners on loopback, driven by a real event base and real client sockets: TCP frames (octet
 * counted and LF, however the sender's writes split them) reach the sink in order with the
 * sender's address, the unterminated last line at close, at the idle timeout and at shutdown;
 * oversized frames and long lines are counted; max_connections and allow_from refuse and
 * count; UDP datagrams arrive one message each, cut at max_message and counted. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "listen.h"
#include "log.h"
#include "support.h"

#define MAX_MSGS 64

static struct event_base *base;
static char dir[64];

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

/* A started listener on 127.0.0.1 (or ::1) with a free port. */
static struct listener *open_listener(enum listen_proto proto, int v6, size_t max_message,
                                      uint32_t max_connections, uint64_t idle_timeout_ms)
{
	struct listen_config cfg;
	struct listen_sink sink = {message_cb, batch_done_cb, allowed_cb, NULL};
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
	struct listener *l = listener_open(&cfg, max_message, base, &sink);
	if (l == NULL)
		return NULL;
	ck_assert_int_eq(listener_start(l), 0);
	return l;
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

START_TEST(test_tcp_frames_in_order)
{
	struct listener *l = open_listener(LISTEN_TCP, 0, 1024, 8, 0);
	ck_assert_ptr_nonnull(l);
	int fd = client(SOCK_STREAM, 0, port_of(l));
	send_all(fd, stream, sizeof(stream) - 1);
	wait_msgs(7);
	ck_assert_uint_eq(got.n, 7); /* the last line waits for its end */
	close(fd);
	wait_msgs(8);
	check_stream_msgs(0, "127.0.0.1");
	const struct listen_counters *c = listener_counters(l);
	ck_assert_uint_eq(c->messages, 8);
	ck_assert_uint_eq(c->bytes, sizeof(stream) - 1);
	ck_assert_uint_eq(c->accepted, 1);
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

	tc = tcase_create("udp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_udp_datagrams);
	tcase_add_test(tc, test_udp_allow_from);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(listen_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
