#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "cidr.h"
#include "frame.h"
#include "listen.h"
#include "log.h"

#define UDP_CONTROL_SIZE 64      /* room for one SO_RXQ_OVFL control message */
#define UDP_BATCH 32             /* datagrams per recvmmsg call */
#define UDP_BATCHES_PER_EVENT 16 /* then yield to other sockets */
#define TCP_READS_PER_EVENT 16
#define ACCEPT_PAUSE_MS 1000 /* after EMFILE/ENFILE: let descriptors free up */
#define TCP_BACKLOG 128

struct tcp_conn;

struct listener {
	struct listen_config cfg; /* cfg.address is the listener's own copy */
	char name[80];
	int fd;
	struct event_base *base;
	struct event *ev;
	struct event *resume; /* accept pause timer */
	struct listen_sink sink;
	size_t max_message;
	struct listen_counters count;
	/* Each listener's errors are rate-limited apart, so one's flood hides none of another's. */
	struct log_limit receive_errors, alloc_errors, accept_errors;
	/* UDP */
	char *udp_bufs;
	struct mmsghdr *msgs;
	struct iovec *iovs;
	struct sockaddr_storage *peers;
	char (*controls)[UDP_CONTROL_SIZE]; /* SO_RXQ_OVFL counts arrive as control messages */
	uint8_t last_peer[16]; /* the last sender and its text: a push comes from few hosts */
	char last_peer_text[INET6_ADDRSTRLEN];
	int have_last_peer;
	/* TCP */
	struct tcp_conn *conns;
	size_t n_conns;
};

struct tcp_conn {
	struct listener *l;
	int fd;
	struct event *ev;
	struct frame_stream fs;
	char sender[INET6_ADDRSTRLEN];
	struct tcp_conn *prev, *next;
};

/* ---- addresses ---- */

static int sender_allowed(const struct listener *l, const struct sockaddr_storage *ss)
{
	uint8_t a[16];
	if (l->sink.allowed == NULL)
		return 1;
	addr_to_cidr_form(ss, a);
	return l->sink.allowed(l->sink.arg, a);
}

static void listener_set_name(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char where[ADDR_TEXT_MAX] = "?:0";

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_format((const struct sockaddr *)&ss, where, sizeof(where));
	snprintf(l->name, sizeof(l->name), "%s %s", l->cfg.proto == LISTEN_UDP ? "udp" : "tcp",
	         where);
}

/* ---- UDP ---- */

static int udp_alloc(struct listener *l)
{
	free(l->udp_bufs);
	l->udp_bufs = malloc(UDP_BATCH * l->max_message);
	if (l->msgs == NULL)
		l->msgs = calloc(UDP_BATCH, sizeof(*l->msgs));
	if (l->iovs == NULL)
		l->iovs = calloc(UDP_BATCH, sizeof(*l->iovs));
	if (l->peers == NULL)
		l->peers = calloc(UDP_BATCH, sizeof(*l->peers));
	if (l->controls == NULL)
		l->controls = calloc(UDP_BATCH, sizeof(*l->controls));
	return l->udp_bufs && l->msgs && l->iovs && l->peers && l->controls ? 0 : -1;
}

static void udp_prepare(struct listener *l)
{
	for (size_t i = 0; i < UDP_BATCH; i++) {
		l->iovs[i].iov_base = l->udp_bufs + i * l->max_message;
		l->iovs[i].iov_len = l->max_message;
		memset(&l->msgs[i].msg_hdr, 0, sizeof(l->msgs[i].msg_hdr));
		l->msgs[i].msg_hdr.msg_iov = &l->iovs[i];
		l->msgs[i].msg_hdr.msg_iovlen = 1;
		l->msgs[i].msg_hdr.msg_name = &l->peers[i];
		l->msgs[i].msg_hdr.msg_namelen = sizeof(l->peers[i]);
		l->msgs[i].msg_hdr.msg_control = l->controls[i];
		l->msgs[i].msg_hdr.msg_controllen = UDP_CONTROL_SIZE;
	}
}

/* The kernel's count of datagrams dropped on this socket so far, when the datagram carries it. */
static void udp_note_kernel_drops(struct listener *l, struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
		    c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
			uint32_t dropped;
			memcpy(&dropped, CMSG_DATA(c), sizeof(dropped));
			if (dropped > l->count.kernel_drops)
				l->count.kernel_drops = dropped;
		}
	}
}

static void udp_deliver(struct listener *l, const struct mmsghdr *m,
                        const struct sockaddr_storage *peer)
{
	uint8_t a[16];
	size_t len = m->msg_len;
	l->count.bytes += len;
	addr_to_cidr_form(peer, a);
	if (!l->have_last_peer || memcmp(a, l->last_peer, sizeof(a)) != 0) {
		if (l->sink.allowed != NULL && !l->sink.allowed(l->sink.arg, a)) {
			l->count.rejected++;
			return;
		}
		memcpy(l->last_peer, a, sizeof(a));
		addr_host_text(peer, l->last_peer_text, sizeof(l->last_peer_text));
		l->have_last_peer = 1;
	}
	if (m->msg_hdr.msg_flags & MSG_TRUNC)
		l->count.truncated++; /* the first max_message bytes are still read */
	if (len > l->max_message)
		len = l->max_message;
	l->count.messages++;
	l->sink.message(l->sink.arg, m->msg_hdr.msg_iov->iov_base, len,
	                span_make(l->last_peer_text, strlen(l->last_peer_text)));
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	(void)what;
	for (int batch = 0; batch < UDP_BATCHES_PER_EVENT; batch++) {
		udp_prepare(l);
		int n = recvmmsg(fd, l->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				l->count.read_errors++;
				log_limit_warn(&l->receive_errors, "%s: receive", l->name);
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			udp_note_kernel_drops(l, &l->msgs[i].msg_hdr);
			udp_deliver(l, &l->msgs[i], &l->peers[i]);
		}
		if (n < UDP_BATCH)
			break;
	}
	if (l->sink.batch_done)
		l->sink.batch_done(l->sink.arg);
}

/* ---- TCP connections ---- */

static void tcp_deliver(struct tcp_conn *c, const struct frame_result *res)
{
	struct listener *l = c->l;
	l->sink.message(l->sink.arg, res->msg.p, res->msg.len,
	                span_make(c->sender, strlen(c->sender)));
}

/* The stream's counts into the listener's. */
static void tcp_take_counts(struct tcp_conn *c)
{
	struct frame_counts n = frame_stream_take_counts(&c->fs);
	c->l->count.messages += n.messages;
	c->l->count.truncated += n.truncated;
	c->l->count.oversized += n.oversized;
}

/* Delivers every complete message the stream holds. */
static void tcp_frame_buffer(struct tcp_conn *c)
{
	struct frame_result res;
	while (frame_stream_next(&c->fs, &res))
		tcp_deliver(c, &res);
	tcp_take_counts(c);
}

static void tcp_conn_free(struct tcp_conn *c)
{
	struct listener *l = c->l;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->n_conns--;
	event_free(c->ev);
	close(c->fd);
	frame_stream_free(&c->fs);
	free(c);
}

/* Ends a connection, delivering an unterminated last line first. */
static void tcp_conn_end(struct tcp_conn *c)
{
	struct frame_result res;
	if (frame_stream_finish(&c->fs, &res))
		tcp_deliver(c, &res);
	tcp_take_counts(c);
	tcp_conn_free(c);
}

static void tcp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	struct listener *l = c->l;
	if (what & EV_TIMEOUT) {
		l->count.idle_closed++;
		tcp_conn_end(c);
		return;
	}
	for (int i = 0; i < TCP_READS_PER_EVENT; i++) {
		char *space = frame_stream_space(&c->fs);
		ssize_t n = read(fd, space, frame_stream_room(&c->fs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n < 0)
				l->count.read_errors++;
			tcp_conn_end(c);
			if (l->sink.batch_done)
				l->sink.batch_done(l->sink.arg);
			return;
		}
		l->count.bytes += (size_t)n;
		frame_stream_wrote(&c->fs, (size_t)n);
		tcp_frame_buffer(c);
		if ((size_t)n < frame_stream_room(&c->fs))
			break;
	}
	if (l->sink.batch_done)
		l->sink.batch_done(l->sink.arg);
}

static void tcp_set_timeout(struct tcp_conn *c)
{
	struct timeval tv = {(time_t)(c->l->cfg.idle_timeout_ms / 1000),
	                     (suseconds_t)(c->l->cfg.idle_timeout_ms % 1000 * 1000)};
	event_add(c->ev, c->l->cfg.idle_timeout_ms ? &tv : NULL);
}

static void tcp_conn_new(struct listener *l, int fd, const struct sockaddr_storage *peer)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || frame_stream_init(&c->fs, FRAME_MODE_AUTO, l->max_message, 0) != 0) {
		log_limit_warnx(&l->alloc_errors, "%s: out of memory for a connection", l->name);
		free(c);
		close(fd);
		return;
	}
	c->l = l;
	c->fd = fd;
	addr_host_text(peer, c->sender, sizeof(c->sender));
	c->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, tcp_read_cb, c);
	if (c->ev == NULL) {
		frame_stream_free(&c->fs);
		free(c);
		close(fd);
		return;
	}
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	l->count.accepted++;
	tcp_set_timeout(c);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	(void)fd;
	(void)what;
	event_add(l->ev, NULL);
}

static void tcp_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	(void)what;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* EMFILE, ENFILE, ENOBUFS: stop accepting for a moment rather than spin. */
			l->count.accept_errors++;
			log_limit_warn(&l->accept_errors, "%s: accept paused for %d ms", l->name,
			               ACCEPT_PAUSE_MS);
			struct timeval tv = {ACCEPT_PAUSE_MS / 1000, ACCEPT_PAUSE_MS % 1000 * 1000};
			event_del(l->ev);
			event_add(l->resume, &tv);
			return;
		}
		if (!sender_allowed(l, &peer)) {
			l->count.rejected++;
			close(cfd);
			continue;
		}
		if (l->n_conns >= l->cfg.max_connections) {
			l->count.refused++;
			close(cfd);
			continue;
		}
		tcp_conn_new(l, cfd, &peer);
	}
}

/* ---- opening and closing ---- */

static int listener_bind(struct listener *l)
{
	int type = l->cfg.proto == LISTEN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int one = 1;
	l->fd = socket(l->cfg.addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		log_warn("%s %s: socket", l->cfg.proto == LISTEN_UDP ? "udp" : "tcp",
		         l->cfg.address);
		return -1;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->cfg.addr.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (l->cfg.proto == LISTEN_UDP &&
	    setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0)
		log_warn("%s: SO_RXQ_OVFL (kernel drops will not be counted)", l->cfg.address);
	if (l->cfg.proto == LISTEN_UDP && l->cfg.rcvbuf > 0) {
		int size = l->cfg.rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)l->cfg.rcvbuf;
		if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0)
			log_warn("%s: SO_RCVBUF %d", l->cfg.address, size);
	}
	if (bind(l->fd, (const struct sockaddr *)&l->cfg.addr, l->cfg.addrlen) != 0) {
		log_warn("%s %s: bind", l->cfg.proto == LISTEN_UDP ? "udp" : "tcp", l->cfg.address);
		return -1;
	}
	if (l->cfg.proto == LISTEN_TCP && listen(l->fd, TCP_BACKLOG) != 0) {
		log_warn("tcp %s: listen", l->cfg.address);
		return -1;
	}
	return 0;
}

struct listener *listener_open(const struct listen_config *cfg, size_t max_message,
                               struct event_base *base, const struct listen_sink *sink)
{
	struct listener *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->cfg = *cfg;
	l->cfg.address = strdup(cfg->address ? cfg->address : "");
	if (l->cfg.address == NULL) {
		free(l);
		return NULL;
	}
	l->base = base;
	l->sink = *sink;
	l->max_message = max_message;
	l->fd = -1;
	if (listener_bind(l) != 0)
		goto fail;
	listener_set_name(l);
	if (cfg->proto == LISTEN_UDP) {
		if (udp_alloc(l) != 0)
			goto fail;
		l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, udp_read_cb, l);
	} else {
		l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, tcp_accept_cb, l);
		l->resume = evtimer_new(base, accept_resume_cb, l);
	}
	if (l->ev == NULL || (cfg->proto == LISTEN_TCP && l->resume == NULL))
		goto fail;
	return l;
fail:
	listener_close(l);
	return NULL;
}

int listener_start(struct listener *l)
{
	if (event_add(l->ev, NULL) != 0) {
		log_warnx("%s: cannot add event", l->name);
		return -1;
	}
	return 0;
}

void listener_update(struct listener *l, const struct listen_config *cfg, size_t max_message)
{
	l->have_last_peer = 0; /* allow_from may have changed: check the next sender again */
	l->cfg.max_connections = cfg->max_connections;
	if (l->cfg.idle_timeout_ms != cfg->idle_timeout_ms) {
		l->cfg.idle_timeout_ms = cfg->idle_timeout_ms;
		for (struct tcp_conn *c = l->conns; c != NULL; c = c->next)
			tcp_set_timeout(c);
	}
	if (max_message == l->max_message)
		return;
	if (l->cfg.proto == LISTEN_UDP) {
		size_t old = l->max_message;
		l->max_message = max_message;
		if (udp_alloc(l) != 0) {
			log_warnx("%s: out of memory; keeping max_message_size %zu", l->name, old);
			l->max_message = old;
			udp_alloc(l);
		}
	} else {
		l->max_message = max_message; /* for new connections */
	}
}

const char *listener_name(const struct listener *l)
{
	return l->name;
}

const struct listen_config *listener_config(const struct listener *l)
{
	return &l->cfg;
}

const struct listen_counters *listener_counters(const struct listener *l)
{
	return &l->count;
}

size_t listener_open_connections(const struct listener *l)
{
	return l->n_conns;
}

void listener_shutdown(struct listener *l)
{
	while (l->conns != NULL)
		tcp_conn_end(l->conns);
	if (l->ev)
		event_free(l->ev);
	if (l->resume)
		event_free(l->resume);
	if (l->fd >= 0)
		close(l->fd);
	l->ev = l->resume = NULL;
	l->fd = -1;
}

void listener_close(struct listener *l)
{
	if (l == NULL)
		return;
	listener_shutdown(l);
	log_limit_flush(&l->receive_errors);
	log_limit_flush(&l->alloc_errors);
	log_limit_flush(&l->accept_errors);
	free(l->udp_bufs);
	free(l->msgs);
	free(l->iovs);
	free(l->peers);
	free(l->controls);
	free(l->cfg.address);
	free(l);
}
