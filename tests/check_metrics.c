/* The Prometheus text helpers (escaping of help texts and label values, invalid UTF-8 replaced)
 * and the endpoint's binding: port 0, the bound name, an address in use. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "metrics.h"
#include "support.h"

static struct evbuffer *out;

static void setup(void)
{
	out = evbuffer_new();
	ck_assert_ptr_nonnull(out);
}

static void teardown(void)
{
	evbuffer_free(out);
}

/* What out holds, as a NUL-terminated string (freed at the next call). */
static const char *text(void)
{
	static char *copy;
	size_t len = evbuffer_get_length(out);
	free(copy);
	copy = malloc(len + 1);
	ck_assert_ptr_nonnull(copy);
	evbuffer_copyout(out, copy, len);
	copy[len] = '\0';
	return copy;
}

START_TEST(counter_family_and_plain_sample)
{
	struct metrics_family f =
	    metrics_family(out, METRICS_COUNTER, "esatlsd_x_total", "Things counted.");
	metrics_value(&f, 0);
	metrics_value(&f, UINT64_MAX);
	ck_assert_str_eq(text(), "# HELP esatlsd_x_total Things counted.\n"
	                         "# TYPE esatlsd_x_total counter\n"
	                         "esatlsd_x_total 0\n"
	                         "esatlsd_x_total 18446744073709551615\n");
}
END_TEST

START_TEST(gauge_with_labels)
{
	struct metrics_family f = metrics_family(out, METRICS_GAUGE, "esatlsd_open", "Open now.");
	struct metrics_label l[2] = {{"verdict", "tls"}, {"direction", "inbound"}};
	metrics_sample(&f, l, 2, 7);
	metrics_value1(&f, "listener", "udp 127.0.0.1:5514", 3);
	ck_assert_str_eq(text(), "# HELP esatlsd_open Open now.\n"
	                         "# TYPE esatlsd_open gauge\n"
	                         "esatlsd_open{verdict=\"tls\",direction=\"inbound\"} 7\n"
	                         "esatlsd_open{listener=\"udp 127.0.0.1:5514\"} 3\n");
}
END_TEST

START_TEST(label_values_escaped)
{
	/* Text format: backslash, double quote and line feed are escaped in label values. */
	struct metrics_family f = metrics_family(out, METRICS_GAUGE, "m", "h");
	metrics_value1(&f, "output", "/var/log/a\"b\\c\nd", 1);
	metrics_value1(&f, "output", "", 2);
	metrics_value1(&f, "output", "tab\there\r", 3);
	ck_assert_str_eq(text(), "# HELP m h\n# TYPE m gauge\n"
	                         "m{output=\"/var/log/a\\\"b\\\\c\\nd\"} 1\n"
	                         "m{output=\"\"} 2\n"
	                         "m{output=\"tab\there\r\"} 3\n");
}
END_TEST

START_TEST(help_escaped_quote_kept)
{
	/* In HELP only backslash and line feed are escaped. */
	metrics_family(out, METRICS_COUNTER, "m_total", "say \"hi\"\\ \nnext");
	ck_assert_str_eq(text(), "# HELP m_total say \"hi\"\\\\ \\nnext\n# TYPE m_total counter\n");
}
END_TEST

START_TEST(invalid_utf8_replaced)
{
	struct metrics_family f = metrics_family(out, METRICS_GAUGE, "m", "h");
	/* Valid 2-, 3- and 4-byte sequences pass; a lone continuation byte, an overlong form, a
	 * surrogate, a code point past U+10FFFF and a cut sequence each become U+FFFD. */
	metrics_value1(&f, "l", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 1);
	metrics_value1(&f, "l", "a\x80z", 2);
	metrics_value1(&f, "l", "\xc0\xaf", 3);
	metrics_value1(&f, "l", "\xed\xa0\x80", 4);
	metrics_value1(&f, "l", "\xf4\x90\x80\x80", 5);
	metrics_value1(&f, "l", "x\xe2\x82", 6);
	ck_assert_str_eq(text(), "# HELP m h\n# TYPE m gauge\n"
	                         "m{l=\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"} 1\n"
	                         "m{l=\"a\xef\xbf\xbdz\"} 2\n"
	                         "m{l=\"\xef\xbf\xbd\xef\xbf\xbd\"} 3\n"
	                         "m{l=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 4\n"
	                         "m{l=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 5\n"
	                         "m{l=\"x\xef\xbf\xbd\xef\xbf\xbd\"} 6\n");
}
END_TEST

static void write_nothing(struct evbuffer *b, void *arg)
{
	(void)b;
	(void)arg;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

static struct metrics_limits limits = {64, 10000};
static struct metrics_counters count;

START_TEST(port_zero_named_and_address_in_use_refused)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sin = loopback(0);
	struct metrics *m = metrics_open(base, (struct sockaddr *)&sin, sizeof(sin), &limits,
	                                 &count, write_nothing, NULL);
	ck_assert_ptr_nonnull(m);
	const char *name = metrics_name(m);
	ck_assert_msg(strncmp(name, "127.0.0.1:", 10) == 0 && strcmp(name, "127.0.0.1:0") != 0,
	              "%s", name);
	unsigned long port = strtoul(name + 10, NULL, 10);
	ck_assert(port > 0 && port <= 65535);
	sin = loopback((uint16_t)port);
	ck_assert_ptr_null(metrics_open(base, (struct sockaddr *)&sin, sizeof(sin), &limits, &count,
	                                write_nothing, NULL));
	metrics_close(m);
	/* Closed: the port can be bound again at once. */
	m = metrics_open(base, (struct sockaddr *)&sin, sizeof(sin), &limits, &count, write_nothing,
	                 NULL);
	ck_assert_ptr_nonnull(m);
	metrics_close(m);
	metrics_close(NULL);
	event_base_free(base);
}
END_TEST

/* ---- the server's bounds ---- */

static struct event_base *srv_base;
static struct metrics *srv;
static uint16_t srv_port;

static size_t padding; /* bytes of comment added to each body: a large /metrics */

static void write_one(struct evbuffer *b, void *arg)
{
	(void)arg;
	evbuffer_add_printf(b, "esatlsd_up 1\n");
	for (size_t i = 0; i < padding / 64; i++)
		evbuffer_add_printf(b, "# %061zu\n", i);
}

static void serve_with(uint32_t max_connections, uint64_t timeout_ms)
{
	struct metrics_limits l = {max_connections, timeout_ms};
	memset(&count, 0, sizeof(count));
	srv_base = event_base_new();
	struct sockaddr_in sin = loopback(0);
	srv = metrics_open(srv_base, (struct sockaddr *)&sin, sizeof(sin), &l, &count, write_one,
	                   NULL);
	ck_assert_ptr_nonnull(srv);
	srv_port = (uint16_t)strtoul(metrics_name(srv) + 10, NULL, 10);
}

static void serve_end(void)
{
	metrics_close(srv);
	ck_assert_uint_eq(count.open, 0);
	event_base_free(srv_base);
}

static int client(void)
{
	struct sockaddr_in sin = loopback(srv_port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	int r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	ck_assert(r == 0 || errno == EINPROGRESS);
	return fd;
}

static void say(int fd, const char *text)
{
	ck_assert_int_eq(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* What the server sent on fd so far (the loop runs for ms first); "" at EOF with nothing. */
static char *heard(int fd, unsigned ms)
{
	static char buf[65536];
	run_for(srv_base, ms);
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int closed_by_peer(int fd)
{
	char c;
	return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

START_TEST(keep_alive_pipelined_then_close)
{
	serve_with(4, 5000);
	int fd = client();
	say(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n");
	char *got = heard(fd, 100);
	ck_assert_ptr_nonnull(strstr(got, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; "
	                                  "charset=utf-8\r\nContent-Length: 3\r\n\r\nok\n"));
	ck_assert_ptr_nonnull(strstr(got, "version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(got, "esatlsd_up 1\n"));
	ck_assert_uint_eq(count.requests, 2);
	ck_assert_uint_eq(count.open, 1); /* kept alive */
	say(fd, "HEAD /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
	got = heard(fd, 100);
	ck_assert_ptr_nonnull(strstr(got, "Content-Length: 13\r\nConnection: close\r\n\r\n"));
	ck_assert_ptr_null(strstr(got, "esatlsd_up"));
	run_for(srv_base, 50);
	ck_assert(closed_by_peer(fd));    /* the server shut its side ... */
	ck_assert_uint_eq(count.open, 1); /* ... and waits for the client to go */
	close(fd);
	run_for(srv_base, 50);
	ck_assert_uint_eq(count.open, 0);
	serve_end();
}
END_TEST

/* A client that pipelines requests and never reads holds one answer at a time: nothing more
 * is read until it has gone out, and the deadline closes it. */
START_TEST(pipelining_without_reading_is_bounded)
{
	padding = 65536;
	serve_with(4, 300);
	int fd = client();
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	static const char one[] = "GET /metrics HTTP/1.1\r\nX: abcdef\r\n\r\n";
	static char many[(sizeof(one) - 1) * 2000];
	for (size_t i = 0; i < 2000; i++)
		memcpy(many + (sizeof(one) - 1) * i, one, sizeof(one) - 1);
	ssize_t sent = send(fd, many, sizeof(many), MSG_NOSIGNAL | MSG_DONTWAIT);
	ck_assert_int_gt(sent, 0);
	for (int i = 0; i < 20 && count.timeouts == 0; i++)
		run_for(srv_base, 100);
	padding = 0;
	ck_assert_msg(count.timeouts == 1, "requests %lu timeouts %lu open %lu",
	              (unsigned long)count.requests, (unsigned long)count.timeouts,
	              (unsigned long)count.open);
	ck_assert_uint_lt(count.requests, 200); /* answered only as fast as they are read */
	ck_assert_uint_eq(count.bad, 0);
	ck_assert_uint_eq(count.timeouts, 1);
	ck_assert_uint_eq(count.open, 0);
	close(fd);
	serve_end();
}
END_TEST

/* Past max_connections a connection is answered 503 and closed at once, counted. */
START_TEST(over_the_cap_refused)
{
	serve_with(2, 5000);
	int a = client(), b = client(), c = client();
	run_for(srv_base, 100);
	ck_assert_uint_eq(count.open, 2);
	ck_assert_uint_eq(count.refused, 1);
	ck_assert_ptr_nonnull(strstr(heard(c, 10), "HTTP/1.1 503 Service Unavailable"));
	close(a);
	run_for(srv_base, 50);
	ck_assert_uint_eq(count.open, 1);
	int d = client();
	say(d, "GET /healthz HTTP/1.0\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(heard(d, 100), "200 OK"));
	close(b);
	close(c);
	close(d);
	run_for(srv_base, 50);
	serve_end();
}
END_TEST

/* The deadline is absolute: a client trickling a byte at a time is closed at it. */
START_TEST(trickling_client_closed_at_deadline)
{
	serve_with(4, 300);
	int fd = client();
	static const char head[] = "GET /metrics HTTP/1.1\r\nX: ";
	uint64_t start = now_ms();
	size_t sent = 0;
	while (sent < sizeof(head) - 1 && send(fd, head + sent, 1, MSG_NOSIGNAL) == 1) {
		sent++;
		run_for(srv_base, 25);
	}
	run_for(srv_base, 100);
	ck_assert(closed_by_peer(fd) || sent < sizeof(head) - 1);
	ck_assert_uint_ge(now_ms() - start, 300); /* each byte did not move the deadline */
	ck_assert_uint_eq(count.timeouts, 1);
	ck_assert_uint_eq(count.requests, 0);
	close(fd);
	serve_end();
}
END_TEST

START_TEST(bad_and_oversized_heads)
{
	serve_with(4, 5000);
	int fd = client();
	say(fd, "\x01\xff garbage\r\n\r\n");
	ck_assert(strncmp(heard(fd, 100), "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	close(fd);
	fd = client();
	static char big[9000];
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memset(big + 19, 'a', sizeof(big) - 20);
	say(fd, big);
	char *answer431 = heard(fd, 100);
	ck_assert_msg(strstr(answer431, "431 Request Header Fields Too Large") != NULL, "[%s]",
	              answer431);
	close(fd);
	fd = client();
	say(fd, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
	char *got = heard(fd, 100);
	ck_assert_ptr_nonnull(strstr(got, "405 Method Not Allowed"));
	ck_assert_ptr_nonnull(strstr(got, "Allow: GET, HEAD\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "Connection: close"));
	close(fd);
	ck_assert_uint_eq(count.bad, 2);
	run_for(srv_base, 50);
	serve_end();
}
END_TEST

/* A client that shuts its side right after its request still gets the whole answer. */
START_TEST(half_closed_client_answered)
{
	serve_with(4, 5000);
	int fd = client();
	say(fd, "GET /metrics HTTP/1.1\r\n\r\n");
	shutdown(fd, SHUT_WR);
	ck_assert_ptr_nonnull(strstr(heard(fd, 100), "esatlsd_up 1\n"));
	run_for(srv_base, 50);
	ck_assert_uint_eq(count.open, 0);
	close(fd);
	serve_end();
}
END_TEST

START_TEST(ipv6_name_in_brackets)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	struct metrics *m = metrics_open(base, (struct sockaddr *)&sin6, sizeof(sin6), &limits,
	                                 &count, write_nothing, NULL);
	if (m == NULL) { /* no IPv6 here */
		event_base_free(base);
		return;
	}
	ck_assert_msg(strncmp(metrics_name(m), "[::1]:", 6) == 0, "%s", metrics_name(m));
	metrics_close(m);
	event_base_free(base);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counter_family_and_plain_sample);
	tcase_add_test(tc, gauge_with_labels);
	tcase_add_test(tc, label_values_escaped);
	tcase_add_test(tc, help_escaped_quote_kept);
	tcase_add_test(tc, invalid_utf8_replaced);
	suite_add_tcase(s, tc);
	tc = tcase_create("socket");
	tcase_add_test(tc, port_zero_named_and_address_in_use_refused);
	tcase_add_test(tc, ipv6_name_in_brackets);
	tcase_add_test(tc, keep_alive_pipelined_then_close);
	tcase_add_test(tc, over_the_cap_refused);
	tcase_add_test(tc, trickling_client_closed_at_deadline);
	tcase_add_test(tc, bad_and_oversized_heads);
	tcase_add_test(tc, half_closed_client_answered);
	tcase_add_test(tc, pipelining_without_reading_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(metrics_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
