/* The Prometheus text helpers (escaping of help texts and label values, invalid UTF-8 replaced)
 * and the endpoint's binding: port 0, the bound name, an address in use. */
#include <arpa/inet.h>
#include <check.h>
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

START_TEST(port_zero_named_and_address_in_use_refused)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sin = loopback(0);
	struct metrics *m =
	    metrics_open(base, (struct sockaddr *)&sin, sizeof(sin), write_nothing, NULL);
	ck_assert_ptr_nonnull(m);
	const char *name = metrics_name(m);
	ck_assert_msg(strncmp(name, "127.0.0.1:", 10) == 0 && strcmp(name, "127.0.0.1:0") != 0,
	              "%s", name);
	unsigned long port = strtoul(name + 10, NULL, 10);
	ck_assert(port > 0 && port <= 65535);
	sin = loopback((uint16_t)port);
	ck_assert_ptr_null(
	    metrics_open(base, (struct sockaddr *)&sin, sizeof(sin), write_nothing, NULL));
	metrics_close(m);
	/* Closed: the port can be bound again at once. */
	m = metrics_open(base, (struct sockaddr *)&sin, sizeof(sin), write_nothing, NULL);
	ck_assert_ptr_nonnull(m);
	metrics_close(m);
	metrics_close(NULL);
	event_base_free(base);
}
END_TEST

START_TEST(ipv6_name_in_brackets)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	struct metrics *m =
	    metrics_open(base, (struct sockaddr *)&sin6, sizeof(sin6), write_nothing, NULL);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(metrics_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
