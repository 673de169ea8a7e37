/* The metrics endpoint's HTTP server (metrics.h): accept loop, bounded connections, absolute
 * deadlines, and the answers. Request heads are read by lib/httpreq.c. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "fdreserve.h"
#include "httpreq.h"
#include "log.h"
#include "metrics.h"

#define HEAD_MAX 8192 /* a scraper's request head is a few short lines */
#define LISTEN_BACKLOG 64
#define ACCEPT_BATCH 64     /* connections taken per wake-up */
#define ACCEPT_PAUSE_MS 100 /* after running out of descriptors */
#define METRICS_NAME_MAX 64 /* "[" IPv6 "]:" port */
#define LINGER_MS 2000      /* after the last answer, for the client to read it and close */
#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"

struct http_conn {
	struct metrics *m;
	struct bufferevent *bev;
	struct event *deadline;
	int closing;   /* answered for the last time: closed once the answer is out */
	int lingering; /* closing: our side shut, what the client still sends is read and dropped,
	                * so that the kernel does not reset the answer away */
	struct http_conn *prev, *next;
};

struct metrics {
	struct event_base *base;
	int fd;
	struct event *accept_ev, *resume_ev;
	struct metrics_limits limits;
	struct metrics_counters *count;
	metrics_write_fn write;
	void *arg;
	struct http_conn *conns;
	struct log_limit accept_log;
	char name[METRICS_NAME_MAX];
};

/* ---- one connection ---- */

static void conn_free(struct http_conn *c)
{
	struct metrics *m = c->m;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	bufferevent_free(c->bev); /* closes the socket */
	event_free(c->deadline);
	m->count->open--;
	free(c);
}

static void conn_arm_deadline(struct http_conn *c)
{
	uint64_t ms = c->m->limits.timeout_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000 * 1000)};
	event_add(c->deadline, &tv);
}

static void conn_read_cb(struct bufferevent *bev, void *arg);

/* The last answer is out: our side is shut, and the client gets a moment to read it and go. */
static void conn_linger(struct http_conn *c)
{
	struct timeval tv = {LINGER_MS / 1000, LINGER_MS % 1000 * 1000};
	c->lingering = 1;
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	bufferevent_enable(c->bev, EV_READ);
	event_add(c->deadline, &tv);
}

/* An answer has gone out whole: the connection closes, or takes its next request under a new
 * deadline (a request that was pipelined is already waiting). */
static void conn_sent(struct http_conn *c)
{
	if (c->closing) {
		conn_linger(c);
		return;
	}
	conn_arm_deadline(c);
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		conn_read_cb(c->bev, c);
}

/* An answer is queued: nothing more is read until it has gone out, so a client that sends and
 * never reads holds one answer at most, and meets its deadline. */
static void conn_finish(struct http_conn *c, int keep)
{
	c->closing = !keep;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_sent(c);
}

static void answer(struct http_conn *c, int code, const char *reason, const char *type,
                   struct evbuffer *body, int head_only, int keep, const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = body != NULL ? evbuffer_get_length(body) : 0;
	evbuffer_add_printf(out,
	                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
	                    code, reason, type, len, extra, keep ? "" : "Connection: close\r\n");
	if (body != NULL && !head_only)
		evbuffer_add_buffer(out, body);
	c->m->count->requests++;
}

static void answer_text(struct http_conn *c, int code, const char *reason, const char *text,
                        int head_only, int keep, const char *extra)
{
	struct evbuffer *body = evbuffer_new();
	if (body != NULL)
		evbuffer_add(body, text, strlen(text));
	answer(c, code, reason, CONTENT_TYPE_TEXT, body, head_only, keep, extra);
	if (body != NULL)
		evbuffer_free(body);
}

static int span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && memcmp(s.p, word, s.len) == 0;
}

/* Answers one request; returns whether the connection stays open for another. A request with
 * a body is answered and the connection closed: no path here takes one. */
static int serve(struct http_conn *c, const struct httpreq *r)
{
	int keep = r->keep_alive && !r->has_body;
	int head = span_is(r->method, "HEAD");
	int metrics = span_is(r->path, "/metrics"), healthz = span_is(r->path, "/healthz");

	if (!metrics && !healthz) {
		answer_text(c, 404, "Not Found", "not found: try /metrics or /healthz\n", head,
		            keep, "");
	} else if (!head && !span_is(r->method, "GET")) {
		answer_text(c, 405, "Method Not Allowed", "method not allowed: use GET\n", 0, keep,
		            "Allow: GET, HEAD\r\n");
	} else if (healthz) {
		answer_text(c, 200, "OK", "ok\n", head, keep, ""); /* the loop runs: it answers */
	} else {
		struct evbuffer *body = evbuffer_new();
		if (body == NULL) {
			answer_text(c, 500, "Internal Server Error", "out of memory\n", head, 0,
			            "");
			return 0;
		}
		c->m->write(body, c->m->arg);
		answer(c, 200, "OK", CONTENT_TYPE_METRICS, body, head, keep, "");
		evbuffer_free(body);
	}
	return keep;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in), n = len < HEAD_MAX ? len : HEAD_MAX;
	struct httpreq r;

	if (c->lingering) {
		evbuffer_drain(in, len);
		return;
	}
	if (c->closing || len == 0)
		return;
	const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	switch (data != NULL ? httpreq_parse(span_make(data, n), &r) : HTTPREQ_BAD) {
	case HTTPREQ_INCOMPLETE:
		if (len < HEAD_MAX)
			return; /* wait for more, within the deadline */
		c->m->count->bad++;
		answer_text(c, 431, "Request Header Fields Too Large", "request head too large\n",
		            0, 0, "");
		conn_finish(c, 0);
		return;
	case HTTPREQ_BAD:
		c->m->count->bad++;
		answer_text(c, 400, "Bad Request", "bad request\n", 0, 0, "");
		conn_finish(c, 0);
		return;
	case HTTPREQ_OK:
		break;
	}
	int keep = serve(c, &r); /* reads r's spans before they are drained */
	evbuffer_drain(in, r.head_len);
	conn_finish(c, keep);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	(void)bev;
	if (!c->lingering)
		conn_sent(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;
	(void)bev;
	/* A client that shut its side after its request still gets the answer. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->lingering &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		c->closing = 1;
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(c);
}

static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	(void)fd;
	(void)what;
	if (!c->lingering)
		c->m->count->timeouts++;
	conn_free(c);
}

static void conn_new(struct metrics *m, int fd)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	if (c == NULL ||
	    (c->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		close(fd);
		return;
	}
	if ((c->deadline = evtimer_new(m->base, conn_deadline_cb, c)) == NULL) {
		bufferevent_free(c->bev);
		free(c);
		return;
	}
	c->m = m;
	c->next = m->conns;
	if (m->conns != NULL)
		m->conns->prev = c;
	m->conns = c;
	m->count->open++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 2 * HEAD_MAX);
	bufferevent_enable(c->bev, EV_READ);
	conn_arm_deadline(c);
}

/* ---- accepting ---- */

/* Past max_connections: said in one line and closed, without reading anything. */
static void refuse(struct metrics *m, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
	                           "Connection: close\r\n\r\n";
	ssize_t sent = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)sent;
	close(fd);
	m->count->refused++;
}

/* Out of descriptors: the waiting connection is taken and closed with the reserve, and
 * accepting rests a moment rather than waking up for the same connection at once. */
static void pause_accepting(struct metrics *m)
{
	int saved = errno;
	fd_reserve_refuse(m->fd);
	m->count->paused++;
	errno = saved;
	log_limit_warn(&m->accept_log, "metrics %s: accept paused for %d ms", m->name,
	               ACCEPT_PAUSE_MS);
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	event_del(m->accept_ev);
	evtimer_add(m->resume_ev, &tv);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	(void)what;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				pause_accepting(m);
			return;
		}
		if (m->count->open >= m->limits.max_connections)
			refuse(m, cfd);
		else
			conn_new(m, cfd);
	}
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	(void)fd;
	(void)what;
	event_add(m->accept_ev, NULL);
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
                             socklen_t addrlen, const struct metrics_limits *limits,
                             struct metrics_counters *count, metrics_write_fn write, void *arg)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		log_warnx("metrics: out of memory");
		return NULL;
	}
	m->base = base;
	m->limits = *limits;
	m->count = count;
	m->write = write;
	m->arg = arg;
	fd_reserve_hold();
	if ((m->fd = metrics_bind(addr, addrlen)) < 0) {
		free(m);
		return NULL;
	}
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);
	if (getsockname(m->fd, (struct sockaddr *)&bound, &len) == 0)
		addr_format((const struct sockaddr *)&bound, m->name, sizeof(m->name));
	else
		addr_format(addr, m->name, sizeof(m->name));
	m->accept_ev = event_new(base, m->fd, EV_READ | EV_PERSIST, accept_cb, m);
	m->resume_ev = evtimer_new(base, resume_cb, m);
	if (m->accept_ev == NULL || m->resume_ev == NULL || event_add(m->accept_ev, NULL) != 0) {
		log_warnx("metrics %s: cannot accept connections", m->name);
		metrics_close(m);
		return NULL;
	}
	return m;
}

void metrics_update(struct metrics *m, const struct metrics_limits *limits)
{
	m->limits = *limits;
}

const char *metrics_name(const struct metrics *m)
{
	return m->name;
}

void metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	while (m->conns != NULL)
		conn_free(m->conns);
	if (m->accept_ev != NULL)
		event_free(m->accept_ev);
	if (m->resume_ev != NULL)
		event_free(m->resume_ev);
	log_limit_flush(&m->accept_log);
	close(m->fd);
	free(m);
}
