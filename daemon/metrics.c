#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "metrics.h"

#define HTTP_TIMEOUT_S 10     /* a scraper that stalls this long is dropped */
#define HTTP_MAX_HEADERS 8192 /* requests carry a few short headers */
#define HTTP_MAX_BODY 4096    /* and no body worth reading */
#define LISTEN_BACKLOG 16
#define METRICS_NAME_MAX 64 /* "[" IPv6 "]:" port */

/* Version 0.0.4 is the text format Prometheus asks for by default. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct evhttp *http;
	metrics_write_fn write;
	void *arg;
	char name[METRICS_NAME_MAX];
};

/* ---- the exposition format ---- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0 if the bytes there are not one. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Text with the escapes of the format: backslash and newline always, the double quote inside
 * label values. Invalid UTF-8 becomes U+FFFD: a scraper rejects the whole page otherwise. */
static void put_escaped(struct evbuffer *out, const char *text, int quote)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text);
	while (n > 0) {
		size_t len = utf8_sequence(p, n);
		if (len == 0) {
			evbuffer_add(out, "\xef\xbf\xbd", 3);
			len = 1;
		} else if (p[0] == '\\') {
			evbuffer_add(out, "\\\\", 2);
		} else if (p[0] == '\n') {
			evbuffer_add(out, "\\n", 2);
		} else if (p[0] == '"' && quote) {
			evbuffer_add(out, "\\\"", 2);
		} else {
			evbuffer_add(out, p, len);
		}
		p += len;
		n -= len;
	}
}

struct metrics_family metrics_family(struct evbuffer *out, enum metrics_type type, const char *name,
                                     const char *help)
{
	evbuffer_add_printf(out, "# HELP %s ", name);
	put_escaped(out, help, 0);
	evbuffer_add_printf(out, "\n# TYPE %s %s\n", name,
	                    type == METRICS_COUNTER ? "counter" : "gauge");
	return (struct metrics_family){out, name};
}

void metrics_sample(const struct metrics_family *f, const struct metrics_label *labels,
                    size_t n_labels, uint64_t value)
{
	evbuffer_add(f->out, f->name, strlen(f->name));
	for (size_t i = 0; i < n_labels; i++) {
		evbuffer_add_printf(f->out, "%s%s=\"", i == 0 ? "{" : ",", labels[i].name);
		put_escaped(f->out, labels[i].value, 1);
		evbuffer_add(f->out, "\"", 1);
	}
	evbuffer_add_printf(f->out, "%s %" PRIu64 "\n", n_labels > 0 ? "}" : "", value);
}

void metrics_value(const struct metrics_family *f, uint64_t value)
{
	metrics_sample(f, NULL, 0, value);
}

void metrics_value1(const struct metrics_family *f, const char *label, const char *label_value,
                    uint64_t value)
{
	struct metrics_label l = {label, label_value};
	metrics_sample(f, &l, 1, value);
}

/* ---- HTTP ---- */

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *body = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; charset=utf-8");
	if (body != NULL)
		evbuffer_add(body, text, strlen(text));
	evhttp_send_reply(req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
}

static void reply_metrics(struct metrics *m, struct evhttp_request *req)
{
	struct evbuffer *body = evbuffer_new();
	if (body == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	m->write(body, m->arg);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int known =
	    path != NULL && (strcmp(path, "/metrics") == 0 || strcmp(path, "/healthz") == 0);

	if (!known) {
		reply_text(req, HTTP_NOTFOUND, "Not Found",
		           "not found: try /metrics or /healthz\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "method not allowed: use GET\n");
		return;
	}
	if (strcmp(path, "/healthz") == 0)
		reply_text(req, HTTP_OK, "OK", "ok\n"); /* answered by the loop itself: it runs */
	else
		reply_metrics(m, req);
}

/* A listening socket on addr; -1 after logging why. IPv6 sockets are IPv6-only, as the
 * listeners' are, so that "[::]:PORT" and "0.0.0.0:PORT" can both be configured. */
static int metrics_bind(const struct sockaddr *addr, socklen_t addrlen)
{
	int one = 1;
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("metrics: socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
		log_warn("metrics: setsockopt");
		close(fd);
		return -1;
	}
	if (bind(fd, addr, addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		int saved = errno;
		char name[METRICS_NAME_MAX];
		addr_format(addr, name, sizeof(name));
		errno = saved;
		log_warn("metrics %s: bind", name);
		close(fd);
		return -1;
	}
	return fd;
}

struct metrics *metrics_open(struct event_base *base, const struct sockaddr *addr,
                             socklen_t addrlen, metrics_write_fn write, void *arg)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->http = evhttp_new(base)) == NULL) {
		log_warnx("metrics: out of memory");
		free(m);
		return NULL;
	}
	m->write = write;
	m->arg = arg;
	evhttp_set_timeout(m->http, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(m->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, HTTP_MAX_BODY);
	/* Every method libevent knows reaches the callback, which answers 405 (libevent's own
	 * answer to a method not allowed would be 501). */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                        EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, metrics_request_cb, m);
	int fd = metrics_bind(addr, addrlen);
	if (fd < 0) {
		metrics_close(m);
		return NULL;
	}
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &len) == 0)
		addr_format((const struct sockaddr *)&bound, m->name, sizeof(m->name));
	else
		addr_format(addr, m->name, sizeof(m->name));
	if (evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		log_warnx("metrics %s: cannot accept connections", m->name);
		close(fd);
		metrics_close(m);
		return NULL;
	}
	return m;
}

const char *metrics_name(const struct metrics *m)
{
	return m->name;
}

void metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http);
	free(m);
}
