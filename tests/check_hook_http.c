/* webhook runner against real receivers on loopback, driven by a real event base: an evhttp
 * server that answers with scripted statuses (now or after a delay), a listening socket nobody
 * accepts (a receiver that never answers), a closed port, and raw servers that hang up or
 * answer garbage. Proves the exact request, retries with back-off, the concurrency and queue
 * bounds, rate-limited logging, URL handling and a clean close. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "hook_http.h"
#include "support.h"

static struct event_base *base;
static char dir[64];

/* ---- loop ---- */

static int runner_idle(const void *arg)
{
	const struct webhook_runner *r = arg;
	return webhook_runner_in_flight(r) == 0 && webhook_runner_queued(r) == 0;
}

static unsigned count_lines(const char *log, const char *needle)
{
	unsigned n = 0;
	for (const char *line = log; *line != '\0';) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char *copy = strndup(line, len);
		ck_assert_ptr_nonnull(copy);
		if (strstr(copy, needle) != NULL)
			n++;
		free(copy);
		line += len + (eol ? 1 : 0);
	}
	return n;
}

/* Lines that are exactly "esatlsd: warning: " + text. */
static unsigned count_warnings(const char *log, const char *text)
{
	char want[256];
	unsigned n = 0;
	int len = snprintf(want, sizeof(want), "esatlsd: warning: %s\n", text);
	ck_assert(len > 0 && (size_t)len < sizeof(want));
	for (const char *p = log; (p = strstr(p, want)) != NULL; p += len)
		if (p == log || p[-1] == '\n')
			n++;
	return n;
}

/* ---- the evhttp receiver ---- */

#define MAX_GOT 64
#define MAX_CODES 8

struct got {
	char *body;
	size_t len;
	char *uri, *content_type, *hook, *host, *user_agent, *content_length, *connection;
	char *authorization, *team;
	unsigned n_host; /* Host headers received */
	enum evhttp_cmd_type method;
	uint64_t at_ms;
};

struct receiver {
	struct evhttp *http;
	uint16_t port;
	int codes[MAX_CODES]; /* answer i gets codes[i], the last one repeats */
	size_t n_codes;
	unsigned hold_ms;        /* answer this long after the request arrived */
	const char *retry_after; /* sent with every answer when not NULL */
	struct got got[MAX_GOT];
	size_t n_got;
	unsigned open, max_open; /* requests received and not answered yet */
};

struct held {
	struct receiver *rcv;
	struct evhttp_request *req;
	int code;
	struct event *ev;
};

static char *dup_header(struct evhttp_request *req, const char *key)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), key);
	return v != NULL ? strdup(v) : NULL;
}

static void receiver_answer(struct evhttp_request *req, int code)
{
	struct evbuffer *buf = evbuffer_new();
	ck_assert_ptr_nonnull(buf);
	evbuffer_add_printf(buf, "status %d\n", code);
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

static void receiver_held_cb(evutil_socket_t fd, short what, void *arg)
{
	struct held *h = arg;
	(void)fd;
	(void)what;
	h->rcv->open--;
	receiver_answer(h->req, h->code);
	event_free(h->ev);
	free(h);
}

static void receiver_cb(struct evhttp_request *req, void *arg)
{
	struct receiver *rcv = arg;
	ck_assert_uint_lt(rcv->n_got, MAX_GOT);
	struct got *g = &rcv->got[rcv->n_got];
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	g->len = evbuffer_get_length(in);
	g->body = malloc(g->len + 1);
	ck_assert_ptr_nonnull(g->body);
	ck_assert_int_eq(evbuffer_remove(in, g->body, g->len), (int)g->len);
	g->body[g->len] = '\0';
	g->uri = strdup(evhttp_request_get_uri(req));
	g->content_type = dup_header(req, "Content-Type");
	g->hook = dup_header(req, "X-Esatlsd-Hook");
	g->host = dup_header(req, "Host");
	g->user_agent = dup_header(req, "User-Agent");
	g->content_length = dup_header(req, "Content-Length");
	g->connection = dup_header(req, "Connection");
	g->authorization = dup_header(req, "Authorization");
	g->team = dup_header(req, "X-Team");
	if (rcv->retry_after != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
		                  rcv->retry_after);
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
	{
		if (strcasecmp(kv->key, "Host") == 0)
			g->n_host++;
	}
	g->method = evhttp_request_get_command(req);
	g->at_ms = now_ms();
	int code = rcv->codes[rcv->n_got < rcv->n_codes ? rcv->n_got : rcv->n_codes - 1];
	rcv->n_got++;
	if (rcv->hold_ms == 0) {
		receiver_answer(req, code);
		return;
	}
	struct held *h = calloc(1, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	*h = (struct held){.rcv = rcv, .req = req, .code = code};
	h->ev = evtimer_new(base, receiver_held_cb, h);
	ck_assert_ptr_nonnull(h->ev);
	struct timeval tv = {.tv_sec = rcv->hold_ms / 1000,
	                     .tv_usec = (rcv->hold_ms % 1000) * 1000};
	evtimer_add(h->ev, &tv);
	if (++rcv->open > rcv->max_open)
		rcv->max_open = rcv->open;
}

static uint16_t socket_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A receiver on address, port 0; codes end with -1. */
static struct receiver *receiver_start_at(const char *address, unsigned hold_ms, const int *codes)
{
	struct receiver *rcv = calloc(1, sizeof(*rcv));
	ck_assert_ptr_nonnull(rcv);
	while (codes[rcv->n_codes] != -1) {
		ck_assert_uint_lt(rcv->n_codes, MAX_CODES);
		rcv->codes[rcv->n_codes] = codes[rcv->n_codes];
		rcv->n_codes++;
	}
	rcv->hold_ms = hold_ms;
	rcv->http = evhttp_new(base);
	ck_assert_ptr_nonnull(rcv->http);
	evhttp_set_gencb(rcv->http, receiver_cb, rcv);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(rcv->http, address, 0);
	ck_assert_ptr_nonnull(bound);
	rcv->port = socket_port(evhttp_bound_socket_get_fd(bound));
	ck_assert_uint_ne(rcv->port, 0);
	return rcv;
}

static struct receiver *receiver_start(unsigned hold_ms, const int *codes)
{
	return receiver_start_at("127.0.0.1", hold_ms, codes);
}

static void receiver_free(struct receiver *rcv)
{
	evhttp_free(rcv->http);
	for (size_t i = 0; i < rcv->n_got; i++) {
		struct got *g = &rcv->got[i];
		free(g->body);
		free(g->uri);
		free(g->content_type);
		free(g->hook);
		free(g->host);
		free(g->user_agent);
		free(g->content_length);
		free(g->connection);
		free(g->authorization);
		free(g->team);
	}
	free(rcv);
}

static int receiver_has(const void *arg)
{
	const struct receiver *rcv = arg;
	return rcv->n_got > 0;
}

/* ---- raw sockets ---- */

/* A listening socket on 127.0.0.1 that nobody accepts from: connections complete in the
 * kernel and requests are never read nor answered. */
static int blackhole_open(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	*port = socket_port(fd);
	return fd;
}

/* Connections waiting in fd's backlog (each accepted and closed). */
static unsigned blackhole_count(int fd)
{
	unsigned n = 0;
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	for (int c; (c = accept(fd, NULL, NULL)) >= 0; n++)
		close(c);
	return n;
}

/* A port on 127.0.0.1 where nothing listens. */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = blackhole_open(&port);
	close(fd);
	return port;
}

/* A raw server: reads what arrives, writes `reply` (may be empty), shuts its side down and
 * closes on the client's EOF. */
struct raw_server {
	int fd;
	uint16_t port;
	const char *reply;
	struct event *accept_ev;
	unsigned accepted;
};

struct raw_conn {
	struct raw_server *srv;
	int fd;
	int replied;
	struct event *ev;
};

static void raw_conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw_conn *c = arg;
	char buf[4096];
	(void)what;
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0 && !c->replied) {
		size_t len = strlen(c->srv->reply);
		if (len > 0)
			ck_assert_int_eq(write(fd, c->srv->reply, len), (ssize_t)len);
		shutdown(fd, SHUT_WR);
		c->replied = 1;
		return;
	}
	if (n > 0 || (n < 0 && errno == EAGAIN))
		return;
	event_free(c->ev);
	close(fd);
	free(c);
}

static void raw_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw_server *srv = arg;
	(void)what;
	int cfd = accept(fd, NULL, NULL);
	if (cfd < 0)
		return;
	fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK);
	struct raw_conn *c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	c->srv = srv;
	c->fd = cfd;
	c->ev = event_new(base, cfd, EV_READ | EV_PERSIST, raw_conn_read_cb, c);
	ck_assert_ptr_nonnull(c->ev);
	event_add(c->ev, NULL);
	srv->accepted++;
}

static void raw_server_start(struct raw_server *srv, const char *reply)
{
	srv->reply = reply;
	srv->fd = blackhole_open(&srv->port);
	srv->accept_ev = event_new(base, srv->fd, EV_READ | EV_PERSIST, raw_accept_cb, srv);
	ck_assert_ptr_nonnull(srv->accept_ev);
	event_add(srv->accept_ev, NULL);
}

static void raw_server_stop(struct raw_server *srv)
{
	event_free(srv->accept_ev);
	close(srv->fd);
}

/* ---- runner helpers ---- */

static char url_buf[128];

static const char *url_for(uint16_t port, const char *path)
{
	snprintf(url_buf, sizeof(url_buf), "http://127.0.0.1:%u%s", (unsigned)port, path);
	return url_buf;
}

static struct hook_config webhook_cfg(const char *url)
{
	struct hook_config c = {
	    .name = "chat",
	    .kind = HOOK_WEBHOOK,
	    .url = (char *)url,
	    .timeout_ms = 3000,
	    .max_concurrent = 4,
	    .queue = 100,
	    .retries = 0,
	};
	return c;
}

static struct webhook_runner *runner_for(const struct hook_config *cfg)
{
	struct webhook_runner *r = webhook_runner_new(base, cfg);
	ck_assert_ptr_nonnull(r);
	return r;
}

static int submit_text(struct webhook_runner *r, const char *json)
{
	struct alert a = {.json = json, .len = strlen(json)};
	return webhook_runner_submit(r, &a);
}

static void assert_counters(const struct webhook_runner *r, uint64_t submitted, uint64_t posts,
                            uint64_t ok, uint64_t failed, uint64_t retries, uint64_t timeouts,
                            uint64_t drops)
{
	const struct webhook_counters *c = webhook_runner_counters(r);
	ck_assert_uint_eq(c->submitted, submitted);
	ck_assert_uint_eq(c->posts, posts);
	ck_assert_uint_eq(c->ok, ok);
	ck_assert_uint_eq(c->failed, failed);
	ck_assert_uint_eq(c->retries, retries);
	ck_assert_uint_eq(c->timeouts, timeouts);
	ck_assert_uint_eq(c->queue_drops, drops);
}

static const int OK200[] = {200, -1};

/* ---- fixture ---- */

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	tmpdir_make(dir, sizeof(dir), "check_hook_http");
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
}

static void teardown(void)
{
	event_base_free(base);
	tmpdir_remove(dir);
}

/* ---- tests ---- */

/* One POST with the exact body bytes (quotes, backslashes, UTF-8, a NUL: the length counts,
 * not strlen), the JSON content type, the hook header, Host, User-Agent, the path and query
 * without the fragment. */
START_TEST(test_post_body_and_headers)
{
	struct receiver *rcv = receiver_start(0, OK200);
	static const char body[] =
	    "{\"verdict\":\"tls_failed\",\"x\":\"a\\\"b\\\\c \xc3\xa9\",\"n\":\"\0z\"}\n";
	size_t len = sizeof(body) - 1;
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/hook/in?x=1&y=%20"));
	struct webhook_runner *r = runner_for(&cfg);
	ck_assert_str_eq(webhook_runner_name(r), "chat");

	struct alert a = {.json = body, .len = len};
	ck_assert_int_eq(webhook_runner_submit(r, &a), 0);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	ck_assert(run_until(base, runner_idle, r, 3000));

	ck_assert_uint_eq(rcv->n_got, 1);
	struct got *g = &rcv->got[0];
	ck_assert_int_eq(g->method, EVHTTP_REQ_POST);
	ck_assert_uint_eq(g->len, len);
	ck_assert(memcmp(g->body, body, len) == 0);
	ck_assert_str_eq(g->uri, "/hook/in?x=1&y=%20");
	ck_assert_str_eq(g->content_type, "application/json");
	ck_assert_str_eq(g->hook, "chat");
	ck_assert_str_eq(g->user_agent, "esatlsd");
	char host[32], clen[16];
	snprintf(host, sizeof(host), "127.0.0.1:%u", (unsigned)rcv->port);
	snprintf(clen, sizeof(clen), "%zu", len);
	ck_assert_str_eq(g->host, host);
	ck_assert_uint_eq(g->n_host, 1);
	ck_assert_str_eq(g->connection, "close");
	ck_assert_str_eq(g->content_length, clen);
	assert_counters(r, 1, 1, 1, 0, 0, 0, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* A 256 KiB body arrives whole. */
START_TEST(test_large_body)
{
	struct receiver *rcv = receiver_start(0, OK200);
	size_t len = 256 * 1024;
	char *body = malloc(len);
	ck_assert_ptr_nonnull(body);
	for (size_t i = 0; i < len; i++)
		body[i] = (char)('a' + i % 26);
	body[len - 1] = '\n';
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	struct webhook_runner *r = runner_for(&cfg);
	struct alert a = {.json = body, .len = len};
	ck_assert_int_eq(webhook_runner_submit(r, &a), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(rcv->n_got, 1);
	ck_assert_uint_eq(rcv->got[0].len, len);
	ck_assert(memcmp(rcv->got[0].body, body, len) == 0);
	assert_counters(r, 1, 1, 1, 0, 0, 0, 0);
	free(body);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* The body is copied at submit: the caller's buffer may change while the alert waits; queued
 * alerts go out first in, first out. */
START_TEST(test_body_copied_and_fifo)
{
	struct receiver *rcv = receiver_start(50, OK200);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.max_concurrent = 1;
	struct webhook_runner *r = runner_for(&cfg);
	char buf[32];
	for (int i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "{\"seq\":%d}\n", i);
		ck_assert_int_eq(submit_text(r, buf), 0);
		memset(buf, 'X', sizeof(buf) - 1);
	}
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	ck_assert_uint_eq(webhook_runner_queued(r), 3);
	ck_assert(run_until(base, runner_idle, r, 5000));
	ck_assert_uint_eq(rcv->n_got, 4);
	for (int i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "{\"seq\":%d}\n", i);
		ck_assert_uint_eq(rcv->got[i].len, strlen(buf));
		ck_assert(memcmp(rcv->got[i].body, buf, strlen(buf)) == 0);
	}
	ck_assert_uint_eq(rcv->max_open, 1);
	assert_counters(r, 4, 4, 4, 0, 0, 0, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* No path is sent as "/", a bare query as "/?query"; an empty port means 80 (RFC 3986 3.2.3). */
START_TEST(test_default_path)
{
	struct receiver *rcv = receiver_start(0, OK200);
	static const char *const paths[] = {"", "?a=b", "/x"};
	static const char *const want[] = {"/", "/?a=b", "/x"};
	for (size_t i = 0; i < 3; i++) {
		struct hook_config cfg = webhook_cfg(url_for(rcv->port, paths[i]));
		struct webhook_runner *r = runner_for(&cfg);
		ck_assert_int_eq(submit_text(r, "{}\n"), 0);
		ck_assert(run_until(base, runner_idle, r, 3000));
		ck_assert_uint_eq(rcv->n_got, i + 1);
		ck_assert_str_eq(rcv->got[i].uri, want[i]);
		webhook_runner_close(r);
	}
	struct hook_config cfg = webhook_cfg("http://127.0.0.1:/hook");
	struct webhook_runner *r = runner_for(&cfg);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* URLs that cannot be used give NULL and a log line saying why. */
START_TEST(test_bad_urls)
{
	static const struct {
		const char *url, *why;
	} cases[] = {
	    {"ftp://127.0.0.1/x", "must start with http://"},
	    {"127.0.0.1:80/x", "must start with http://"},
	    {"http://local host:8080/x", "the host must be"},
	    {"http://0x7f.0.0.1/x", "the host must be"},
	    {"http:///x", "the host must be"},
	    {"http://", "the host must be"},
	    {"http://1.2.3/x", "the host must be"},
	    {"http://256.1.1.1/x", "the host must be"},
	    {"http://::1/x", "the host must be"},
	    {"http://[::1/x", "the host must be"},
	    {"http://[127.0.0.1]/x", "the host must be"},
	    {"http://[fe80::1%25eth0]:80/x", "the host must be"},
	    {"http://[::1]x/", "the host must be"},
	    {"http://user@127.0.0.1/x", "user name or password"},
	    {"http://127.0.0.1/x#frag", "#fragment"},
	    {"http://127.0.0.1:0/x", "port must be a number"},
	    {"http://127.0.0.1:65536/x", "port must be a number"},
	    {"http://127.0.0.1:99999999999999999999/x", "port must be a number"},
	    {"http://127.0.0.1:8a/x", "port must be a number"},
	    {"http://127.0.0.1:-1/x", "port must be a number"},
	    {"http://127.0.0.1:80/a b", "only URL characters"},
	    {"http://127.0.0.1:80/a\r\nX-Evil: 1", "only URL characters"},
	    {"http://127.0.0.1:80/\xc3\xa9", "only URL characters"},
	    {"http://127.0.0.1:80/\x7f", "only URL characters"},
	    {NULL, "no URL"},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	capture_log(dir);
	for (size_t i = 0; i < n; i++) {
		struct hook_config cfg = webhook_cfg(cases[i].url);
		struct webhook_runner *r = webhook_runner_new(base, &cfg);
		if (r != NULL) {
			webhook_runner_close(r);
			captured_log();
			ck_abort_msg("accepted %s", cases[i].url);
		}
	}
	char *log = captured_log();
	ck_assert_uint_eq(
	    count_lines(log, "esatlsd: warning: hook chat: cannot use the webhook URL: "), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(count_lines(log, cases[i].why) >= 1, "no reason for case %zu", i);
	free(log);

	/* Scheme case does not matter (RFC 3986 3.1). */
	struct hook_config cfg = webhook_cfg("HTTP://127.0.0.1:8080/x");
	struct webhook_runner *r = runner_for(&cfg);
	webhook_runner_close(r);
}
END_TEST

/* 500 then 200: the second attempt comes after about 1 s and succeeds. */
START_TEST(test_retry_500_then_200)
{
	static const int codes[] = {500, 200, -1};
	struct receiver *rcv = receiver_start(0, codes);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.retries = 3;
	struct webhook_runner *r = runner_for(&cfg);
	ck_assert_int_eq(submit_text(r, "{\"a\":1}\n"), 0);
	ck_assert(run_until(base, runner_idle, r, 4000));
	ck_assert_uint_eq(rcv->n_got, 2);
	uint64_t gap = rcv->got[1].at_ms - rcv->got[0].at_ms;
	ck_assert_uint_ge(gap, 900);
	ck_assert_uint_le(gap, 2500);
	ck_assert_uint_eq(rcv->got[1].len, 8);
	ck_assert(memcmp(rcv->got[1].body, "{\"a\":1}\n", 8) == 0);
	assert_counters(r, 1, 2, 1, 0, 1, 0, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* Always 503 with retries 2: three posts 1 s then 2 s apart, then one failure, logged. */
START_TEST(test_always_5xx_gives_up)
{
	static const int codes[] = {503, -1};
	struct receiver *rcv = receiver_start(0, codes);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.retries = 2;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	int idle = run_until(base, runner_idle, r, 6000);
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_eq(rcv->n_got, 3);
	uint64_t gap1 = rcv->got[1].at_ms - rcv->got[0].at_ms;
	uint64_t gap2 = rcv->got[2].at_ms - rcv->got[1].at_ms;
	ck_assert_uint_ge(gap1, 900);
	ck_assert_uint_le(gap1, 2500);
	ck_assert_uint_ge(gap2, 1900);
	ck_assert_uint_le(gap2, 3500);
	assert_counters(r, 1, 3, 0, 1, 2, 0, 0);
	ck_assert_uint_eq(
	    count_warnings(log, "hook chat: gave up on an alert after 3 attempts: HTTP 503"), 1);
	free(log);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* 4xx (and 3xx: no redirects are followed) fail at once: one post each, no retry. */
START_TEST(test_4xx_not_retried)
{
	static const int codes[] = {404, 301, -1};
	struct receiver *rcv = receiver_start(0, codes);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.retries = 3;
	cfg.max_concurrent = 1;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{\"n\":1}\n"), 0);
	ck_assert_int_eq(submit_text(r, "{\"n\":2}\n"), 0);
	int idle = run_until(base, runner_idle, r, 3000);
	run_for(base, 1300); /* a retry would come after 1 s */
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_eq(rcv->n_got, 2);
	assert_counters(r, 2, 2, 0, 2, 0, 0, 0);
	ck_assert_uint_eq(webhook_runner_counters(r)->client_errors, 1); /* 301 is no 4xx */
	/* Two failures are within the log's burst: both logged, nothing left for close. */
	ck_assert_uint_eq(
	    count_warnings(log, "hook chat: gave up on an alert after 1 attempt: HTTP 404"), 1);
	ck_assert_uint_eq(
	    count_warnings(log, "hook chat: gave up on an alert after 1 attempt: HTTP 301"), 1);
	free(log);
	capture_log(dir);
	webhook_runner_close(r);
	log = captured_log();
	ck_assert_uint_eq(count_lines(log, "more like this"), 0);
	ck_assert_uint_eq(count_lines(log, "lost"), 0);
	free(log);
	receiver_free(rcv);
}
END_TEST

/* Nothing listens: the connection error is retried after 1 s, then given up. */
START_TEST(test_connection_refused)
{
	struct hook_config cfg = webhook_cfg(url_for(closed_port(), "/"));
	cfg.retries = 1;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	int idle = run_until(base, runner_idle, r, 4000);
	uint64_t took = now_ms() - t0;
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_ge(took, 900);
	ck_assert_uint_le(took, 3000);
	assert_counters(r, 1, 2, 0, 1, 1, 0, 0);
	ck_assert_uint_eq(
	    count_warnings(log,
	                   "hook chat: gave up on an alert after 2 attempts: connection failed"),
	    1);
	free(log);
	webhook_runner_close(r);
}
END_TEST

/* A receiver that accepts and never answers: each attempt ends at the 1 s timeout (counted)
 * and is retried; both connections reached it. */
START_TEST(test_timeout_retried)
{
	uint16_t port;
	int hole = blackhole_open(&port);
	struct hook_config cfg = webhook_cfg(url_for(port, "/"));
	cfg.timeout_ms = 1000;
	cfg.retries = 1;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	run_for(base, 500);
	ck_assert_uint_eq(webhook_runner_counters(r)->timeouts, 0);
	int idle = run_until(base, runner_idle, r, 6000);
	uint64_t took = now_ms() - t0;
	char *log = captured_log();
	ck_assert(idle);
	/* 1 s timeout, 1 s back-off, 1 s timeout. */
	ck_assert_uint_ge(took, 2900);
	ck_assert_uint_le(took, 5000);
	assert_counters(r, 1, 2, 0, 1, 1, 2, 0);
	ck_assert_uint_eq(
	    count_warnings(log, "hook chat: gave up on an alert after 2 attempts: timed out"), 1);
	free(log);
	ck_assert_uint_eq(blackhole_count(hole), 2);
	close(hole);
	webhook_runner_close(r);
}
END_TEST

/* The receiver hangs up without answering: a connection error, not a success. */
START_TEST(test_receiver_hangs_up)
{
	struct raw_server srv = {0};
	raw_server_start(&srv, "");
	struct hook_config cfg = webhook_cfg(url_for(srv.port, "/"));
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	int idle = run_until(base, runner_idle, r, 3000);
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_eq(srv.accepted, 1);
	assert_counters(r, 1, 1, 0, 1, 0, 0, 0);
	ck_assert_uint_eq(count_warnings(log, "hook chat: gave up on an alert after 1 attempt: "
	                                      "connection closed before an answer"),
	                  1);
	free(log);
	webhook_runner_close(r);
	run_for(base, 50);
	raw_server_stop(&srv);
}
END_TEST

/* A garbage answer is a transient error: retried, then given up. */
START_TEST(test_garbage_answer)
{
	struct raw_server srv = {0};
	raw_server_start(&srv, "SMTP/9 hello there\r\n\r\n");
	struct hook_config cfg = webhook_cfg(url_for(srv.port, "/"));
	cfg.retries = 1;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	int idle = run_until(base, runner_idle, r, 4000);
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_eq(srv.accepted, 2);
	assert_counters(r, 1, 2, 0, 1, 1, 0, 0);
	ck_assert_uint_eq(
	    count_warnings(log, "hook chat: gave up on an alert after 2 attempts: invalid answer"),
	    1);
	ck_assert_uint_eq(count_lines(log, "HTTP"), 0);
	free(log);
	webhook_runner_close(r);
	run_for(base, 50);
	raw_server_stop(&srv);
}
END_TEST

/* max_concurrent 2 with 5 alerts: never more than 2 open at the receiver, all 5 arrive. */
START_TEST(test_concurrency_limit)
{
	struct receiver *rcv = receiver_start(150, OK200);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.max_concurrent = 2;
	struct webhook_runner *r = runner_for(&cfg);
	char buf[32];
	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "{\"seq\":%d}\n", i);
		ck_assert_int_eq(submit_text(r, buf), 0);
	}
	ck_assert_uint_eq(webhook_runner_in_flight(r), 2);
	ck_assert_uint_eq(webhook_runner_queued(r), 3);
	run_for(base, 100);
	ck_assert_uint_eq(rcv->n_got, 2);
	ck_assert_uint_eq(rcv->open, 2);
	ck_assert(run_until(base, runner_idle, r, 5000));
	ck_assert_uint_eq(rcv->n_got, 5);
	ck_assert_uint_eq(rcv->max_open, 2);
	unsigned seen = 0;
	for (size_t i = 0; i < rcv->n_got; i++) {
		int seq;
		ck_assert_int_eq(sscanf(rcv->got[i].body, "{\"seq\":%d}", &seq), 1);
		ck_assert(seq >= 0 && seq < 5);
		seen |= 1u << seq;
	}
	ck_assert_uint_eq(seen, 0x1f);
	assert_counters(r, 5, 5, 5, 0, 0, 0, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* max_concurrent 1, queue 2: of 9 alerts 1 is posted, 2 wait, 6 are dropped (counted; five log
 * lines, the sixth summarised at close); the 3 kept arrive. */
START_TEST(test_queue_overflow)
{
	struct receiver *rcv = receiver_start(100, OK200);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.max_concurrent = 1;
	cfg.queue = 2;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{\"n\":0}\n"), 0);
	ck_assert_int_eq(submit_text(r, "{\"n\":1}\n"), 0);
	ck_assert_int_eq(submit_text(r, "{\"n\":2}\n"), 0);
	for (int i = 3; i < 9; i++) {
		char text[16];
		snprintf(text, sizeof(text), "{\"n\":%d}\n", i);
		ck_assert_int_eq(submit_text(r, text), -1);
	}
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	ck_assert_uint_eq(webhook_runner_queued(r), 2);
	int idle = run_until(base, runner_idle, r, 3000);
	/* Room again: a new alert is taken. */
	ck_assert_int_eq(submit_text(r, "{\"n\":9}\n"), 0);
	idle = idle && run_until(base, runner_idle, r, 3000);
	webhook_runner_close(r);
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_eq(rcv->n_got, 4);
	static const char *const want[] = {"{\"n\":0}\n", "{\"n\":1}\n", "{\"n\":2}\n",
	                                   "{\"n\":9}\n"};
	for (size_t i = 0; i < 4; i++)
		ck_assert(rcv->got[i].len == 8 && memcmp(rcv->got[i].body, want[i], 8) == 0);
	ck_assert_uint_eq(count_warnings(log, "hook chat: alert dropped: queue full"), 5);
	ck_assert_uint_eq(
	    count_lines(log, "hook chat: alert dropped: queue full (1 more like this in the last "),
	    1);
	free(log);
	receiver_free(rcv);
}
END_TEST

/* queue 0: with every slot busy, alerts are dropped at once. */
START_TEST(test_queue_zero)
{
	uint16_t port;
	int hole = blackhole_open(&port);
	struct hook_config cfg = webhook_cfg(url_for(port, "/"));
	cfg.max_concurrent = 2;
	cfg.queue = 0;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert_int_eq(submit_text(r, "{}\n"), -1);
	ck_assert_uint_eq(webhook_runner_queued(r), 0);
	ck_assert_uint_eq(webhook_runner_counters(r)->queue_drops, 1);
	webhook_runner_close(r);
	free(captured_log());
	close(hole);
}
END_TEST

/* Close with one request in flight (never answered) and two queued: all three are logged as
 * lost, the connection is gone, nothing leaks, and no timer fires afterwards. */
START_TEST(test_close_in_flight_and_queued)
{
	uint16_t port;
	int hole = blackhole_open(&port);
	struct hook_config cfg = webhook_cfg(url_for(port, "/"));
	cfg.max_concurrent = 1;
	cfg.timeout_ms = 500;
	cfg.retries = 5;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(submit_text(r, "{\"lost\":true}\n"), 0);
	run_for(base, 200);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	ck_assert_uint_eq(webhook_runner_queued(r), 2);
	ck_assert_uint_eq(webhook_runner_counters(r)->posts, 1);
	webhook_runner_close(r);
	run_for(base, 800); /* the deadline would have fired by now */
	char *log = captured_log();
	ck_assert_uint_eq(count_warnings(log, "hook chat: 3 alerts lost at close (1 in flight or "
	                                      "waiting to retry, 2 queued)"),
	                  1);
	free(log);
	ck_assert_uint_eq(blackhole_count(hole), 1);
	close(hole);
}
END_TEST

/* Close while an alert waits to retry: it is lost, its back-off timer never fires. */
START_TEST(test_close_during_backoff)
{
	static const int codes[] = {500, -1};
	struct receiver *rcv = receiver_start(0, codes);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.retries = 3;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert(run_until(base, receiver_has, rcv, 2000));
	run_for(base, 100);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	webhook_runner_close(r);
	run_for(base, 1300);
	char *log = captured_log();
	ck_assert_uint_eq(rcv->n_got, 1);
	ck_assert_uint_eq(
	    count_warnings(
	        log,
	        "hook chat: 1 alert lost at close (1 in flight or waiting to retry, 0 queued)"),
	    1);
	free(log);
	receiver_free(rcv);
}
END_TEST

/* Closing a runner that has delivered everything logs nothing. */
START_TEST(test_close_idle_runner_is_quiet)
{
	struct receiver *rcv = receiver_start(0, OK200);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	webhook_runner_close(r);
	char *log = captured_log();
	ck_assert_str_eq(log, "");
	free(log);
	receiver_free(rcv);
}
END_TEST

/* An [IPv6] URL: posted over ::1 with Host "[::1]:PORT". */
START_TEST(test_ipv6)
{
	struct receiver *rcv = receiver_start_at("::1", 0, OK200);
	char url[64], host[32];
	snprintf(url, sizeof(url), "http://[::1]:%u/v6", (unsigned)rcv->port);
	snprintf(host, sizeof(host), "[::1]:%u", (unsigned)rcv->port);
	struct hook_config cfg = webhook_cfg(url);
	struct webhook_runner *r = runner_for(&cfg);
	ck_assert_int_eq(submit_text(r, "{\"v\":6}\n"), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(rcv->n_got, 1);
	ck_assert_str_eq(rcv->got[0].uri, "/v6");
	ck_assert_str_eq(rcv->got[0].host, host);
	assert_counters(r, 1, 1, 1, 0, 0, 0, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* A reload moves later requests to the new URL and applies new limits to the queue at once; a
 * bad URL keeps the old one. */
START_TEST(test_update)
{
	struct receiver *a = receiver_start(100, OK200);
	struct receiver *b = receiver_start(100, OK200);
	char url_a[64], url_b[64];
	snprintf(url_a, sizeof(url_a), "http://127.0.0.1:%u/a", (unsigned)a->port);
	snprintf(url_b, sizeof(url_b), "http://127.0.0.1:%u/b", (unsigned)b->port);
	struct hook_config cfg = webhook_cfg(url_a);
	cfg.max_concurrent = 1;
	struct webhook_runner *r = runner_for(&cfg);

	ck_assert_int_eq(submit_text(r, "{\"to\":\"a\"}\n"), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(submit_text(r, "{\"to\":\"b\"}\n"), 0);
	ck_assert_uint_eq(webhook_runner_queued(r), 3);
	struct hook_config next = webhook_cfg(url_b);
	next.max_concurrent = 4;
	webhook_runner_update(r, &next);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 4);
	ck_assert_uint_eq(webhook_runner_queued(r), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(a->n_got, 1);
	ck_assert_str_eq(a->got[0].uri, "/a");
	ck_assert_uint_eq(b->n_got, 3);
	ck_assert_uint_eq(b->max_open, 3);
	ck_assert_str_eq(b->got[0].uri, "/b");

	capture_log(dir);
	/* An https URL whose CA file cannot be loaded: the old endpoint stays, the limits apply. */
	struct hook_config bad = webhook_cfg("https://127.0.0.1:1/");
	bad.ca_file = "/nonexistent/ca.pem";
	bad.tls_verify = 1;
	bad.max_concurrent = 1;
	webhook_runner_update(r, &bad);
	char *log = captured_log();
	ck_assert_uint_eq(count_lines(log, "hook chat: cannot use the new webhook URL"), 1);
	free(log);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert_uint_eq(webhook_runner_in_flight(r), 1);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(b->n_got, 5);
	ck_assert_uint_eq(a->n_got, 1);
	assert_counters(r, 6, 6, 6, 0, 0, 0, 0);
	webhook_runner_close(r);
	receiver_free(a);
	receiver_free(b);
}
END_TEST

/* ---- headers, names, formats, Retry-After ---- */

/* A DNS server on 127.0.0.1 that answers every query "no such name" (RCODE 3): the resolver's
 * only name server in these tests, so that no lookup leaves the machine. */
struct nxdomain {
	int fd;
	uint16_t port;
	struct event *ev;
	unsigned queries;
	char server[32];
};

static void nxdomain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nxdomain *nx = arg;
	unsigned char msg[512];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	(void)what;
	ssize_t n = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 12)
		return;
	nx->queries++;
	msg[2] = 0x81; /* QR, RD */
	msg[3] = 0x83; /* RA, NXDOMAIN */
	sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&from, fromlen);
}

static void nxdomain_start(struct nxdomain *nx)
{
	memset(nx, 0, sizeof(*nx));
	nx->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(nx->fd, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(nx->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	nx->port = socket_port(nx->fd);
	snprintf(nx->server, sizeof(nx->server), "127.0.0.1:%u", (unsigned)nx->port);
	nx->ev = event_new(base, nx->fd, EV_READ | EV_PERSIST, nxdomain_cb, nx);
	ck_assert_ptr_nonnull(nx->ev);
	event_add(nx->ev, NULL);
}

static void nxdomain_stop(struct nxdomain *nx)
{
	event_free(nx->ev);
	close(nx->fd);
}

/* Configured headers go out as given, after the runner's own. */
START_TEST(test_configured_headers)
{
	struct receiver *rcv = receiver_start(0, OK200);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	struct hook_header headers[] = {{"Authorization", "Bearer s3cret-token"},
	                                {"X-Team", "mail ops"}};
	cfg.headers = headers;
	cfg.n_headers = 2;
	struct webhook_runner *r = runner_for(&cfg);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(rcv->n_got, 1);
	ck_assert_str_eq(rcv->got[0].authorization, "Bearer s3cret-token");
	ck_assert_str_eq(rcv->got[0].team, "mail ops");
	ck_assert_str_eq(rcv->got[0].hook, "chat");
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* "localhost" is found in /etc/hosts without asking the name server (which counts queries). */
START_TEST(test_name_from_hosts_file)
{
	struct nxdomain nx;
	nxdomain_start(&nx);
	struct receiver *rcv = receiver_start(0, OK200);
	char url[64], host[32];
	snprintf(url, sizeof(url), "http://localhost:%u/x", (unsigned)rcv->port);
	snprintf(host, sizeof(host), "localhost:%u", (unsigned)rcv->port);
	struct hook_config cfg = webhook_cfg(url);
	char *servers[] = {nx.server};
	cfg.nameservers = servers;
	cfg.n_nameservers = 1;
	struct webhook_runner *r = runner_for(&cfg);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(rcv->n_got, 1);
	ck_assert_str_eq(rcv->got[0].host, host);
	ck_assert_uint_eq(nx.queries, 0);
	assert_counters(r, 1, 1, 1, 0, 0, 0, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
	nxdomain_stop(&nx);
}
END_TEST

/* A name nobody knows: the lookup fails (counted, retried, then given up with its reason). */
START_TEST(test_name_not_found)
{
	struct nxdomain nx;
	nxdomain_start(&nx);
	struct hook_config cfg = webhook_cfg("http://no-such-receiver.invalid:8080/");
	char *servers[] = {nx.server};
	cfg.nameservers = servers;
	cfg.n_nameservers = 1;
	cfg.retries = 1;
	struct webhook_runner *r = runner_for(&cfg);
	capture_log(dir);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	int idle = run_until(base, runner_idle, r, 4000);
	char *log = captured_log();
	ck_assert(idle);
	ck_assert_uint_ge(nx.queries, 2);
	assert_counters(r, 1, 2, 0, 1, 1, 0, 0);
	ck_assert_uint_eq(webhook_runner_counters(r)->dns_errors, 2);
	ck_assert_msg(count_lines(log, "hook chat: gave up on an alert after 2 attempts: cannot "
	                               "resolve no-such-receiver.invalid: ") == 1,
	              "%s", log);
	free(log);
	webhook_runner_close(r);
	nxdomain_stop(&nx);
}
END_TEST

/* 429 with Retry-After: 2 waits 2 s (not the 1 s back-off); 408 is retried too. */
START_TEST(test_429_honours_retry_after)
{
	static const int codes[] = {429, 408, 200, -1};
	struct receiver *rcv = receiver_start(0, codes);
	rcv->retry_after = "2";
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.retries = 3;
	struct webhook_runner *r = runner_for(&cfg);
	ck_assert_int_eq(submit_text(r, "{}\n"), 0);
	ck_assert(run_until(base, runner_idle, r, 8000));
	ck_assert_uint_eq(rcv->n_got, 3);
	uint64_t gap1 = rcv->got[1].at_ms - rcv->got[0].at_ms;
	uint64_t gap2 = rcv->got[2].at_ms - rcv->got[1].at_ms;
	ck_assert_uint_ge(gap1, 1900);
	ck_assert_uint_le(gap1, 3000);
	ck_assert_uint_ge(gap2, 1900);
	assert_counters(r, 1, 3, 1, 0, 2, 0, 0);
	ck_assert_uint_eq(webhook_runner_counters(r)->rate_limited, 1);
	ck_assert_uint_eq(webhook_runner_counters(r)->client_errors, 0);
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

/* The body is made in the hook's format from the alert's fields, at submit. */
START_TEST(test_format_slack)
{
	struct receiver *rcv = receiver_start(0, OK200);
	struct hook_config cfg = webhook_cfg(url_for(rcv->port, "/"));
	cfg.format = HOOK_FORMAT_SLACK;
	struct webhook_runner *r = runner_for(&cfg);
	struct alert a = {.json = "{}\n", .len = 3};
	a.value[ALERT_ENV_VERDICT] = span_make("tls_failed", 10);
	a.value[ALERT_ENV_DIRECTION] = span_make("inbound", 7);
	a.value[ALERT_ENV_PEER_IP] = span_make("192.0.2.1", 9);
	a.value[ALERT_ENV_HOST] = span_make("esa1", 4);
	ck_assert_int_eq(webhook_runner_submit(r, &a), 0);
	ck_assert(run_until(base, runner_idle, r, 3000));
	ck_assert_uint_eq(rcv->n_got, 1);
	ck_assert_str_eq(rcv->got[0].body,
	                 "{\"text\":\"TLS failed inbound from 192.0.2.1 on esa1\"}\n");
	webhook_runner_close(r);
	receiver_free(rcv);
}
END_TEST

static Suite *hook_http_suite(void)
{
	Suite *s = suite_create("hook_http");
	TCase *tc = tcase_create("request");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_post_body_and_headers);
	tcase_add_test(tc, test_large_body);
	tcase_add_test(tc, test_body_copied_and_fifo);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_bad_urls);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_configured_headers);
	tcase_add_test(tc, test_name_from_hosts_file);
	tcase_add_test(tc, test_name_not_found);
	tcase_add_test(tc, test_format_slack);
	suite_add_tcase(s, tc);

	tc = tcase_create("outcomes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_retry_500_then_200);
	tcase_add_test(tc, test_always_5xx_gives_up);
	tcase_add_test(tc, test_4xx_not_retried);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_timeout_retried);
	tcase_add_test(tc, test_receiver_hangs_up);
	tcase_add_test(tc, test_garbage_answer);
	tcase_add_test(tc, test_429_honours_retry_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_concurrency_limit);
	tcase_add_test(tc, test_queue_overflow);
	tcase_add_test(tc, test_queue_zero);
	tcase_add_test(tc, test_close_in_flight_and_queued);
	tcase_add_test(tc, test_close_during_backoff);
	tcase_add_test(tc, test_close_idle_runner_is_quiet);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(hook_http_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
