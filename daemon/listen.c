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
#include "clock.h"
#include "fdreserve.h"
#include "frame.h"
#include "listen.h"
#include "log.h"
#include "tls_server.h"

#define UDP_CONTROL_SIZE 64      /* room for one SO_RXQ_OVFL control message */
#define UDP_BATCH 32             /* datagrams per recvmmsg call */
#define UDP_BATCHES_PER_EVENT 16 /* then yield to other sockets */
#define TCP_READS_PER_EVENT 16
#define ACCEPT_PAUSE_MS 1000 /* after EMFILE/ENFILE: let descriptors free up */
/* A connection silent this long, between two messages, may give its slot to a new one when the
 * listener, or its sender's share, is full; one inside a message is never cut. */
#define EVICT_QUIET_MS 1000
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
	struct log_limit receive_errors, alloc_errors, accept_errors, handshake_errors,
	    cert_refusals, evictions, cut_frames;
	/* UDP */
	char *udp_bufs;
	struct mmsghdr *msgs;
	struct iovec *iovs;
	struct sockaddr_storage *peers;
	char (*controls)[UDP_CONTROL_SIZE]; /* SO_RXQ_OVFL counts arrive as control messages */
	uint8_t last_peer[16]; /* the last sender and its text: a push comes from few hosts */
	char last_peer_text[INET6_ADDRSTRLEN];
	int have_last_peer;
	/* TCP and TLS */
	struct tcp_conn *conns;
	size_t n_conns;
	/* TLS: the context new handshakes use, and the one a reload has loaded */
	struct tls_server *tls, *tls_next;
};

struct tcp_conn {
	struct listener *l;
	int fd;
	struct event *ev;
	struct frame_stream fs;
	struct tls_session *tls; /* NULL for TCP */
	int handshaking;         /* TLS: no application data yet */
	uint64_t last_ms;        /* clock_now_ms() of its last bytes (or its accept) */
	uint8_t peer[16];        /* the sender's address, as the allow-list compares it */
	char sender[INET6_ADDRSTRLEN];
	struct tcp_conn *prev, *next;
};

/* ---- addresses ---- */

/* a: the sender's address as addr_to_cidr_form gives it. */
static int sender_allowed(const struct listener *l, const uint8_t a[16])
{
	return l->sink.allowed == NULL || l->sink.allowed(l->sink.arg, a);
}

static void listener_set_name(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char where[ADDR_TEXT_MAX] = "?:0";

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0)
		addr_format((const struct sockaddr *)&ss, where, sizeof(where));
	snprintf(l->name, sizeof(l->name), "%s %s", config_listen_proto_name(l->cfg.proto), where);
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
		if (!sender_allowed(l, a)) {
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

/* ---- TCP and TLS connections ---- */

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
	c->l->count.frames_cut += n.cut;
	c->l->count.cut_bytes += n.cut_bytes;
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
	tls_session_free(c->tls);
	close(c->fd);
	frame_stream_free(&c->fs);
	free(c);
}

/* Ends a connection, delivering an unterminated last line first. A frame the end cut short
 * (or whose count lied) is lost: said through the rate limiter, counted. */
static void tcp_conn_end(struct tcp_conn *c)
{
	struct frame_result res;
	if (frame_stream_finish(&c->fs, &res))
		tcp_deliver(c, &res);
	else if (res.flags & FRAME_F_CUT)
		log_limit_warnx(&c->l->cut_frames,
		                "%s: the connection from %s ended inside an octet-counted frame: "
		                "%zu bytes discarded",
		                c->l->name, c->sender, res.msg.len);
	tcp_take_counts(c);
	tcp_conn_free(c);
}

static void tcp_set_timeout(struct tcp_conn *c)
{
	struct timeval tv = {(time_t)(c->l->cfg.idle_timeout_ms / 1000),
	                     (suseconds_t)(c->l->cfg.idle_timeout_ms % 1000 * 1000)};
	event_add(c->ev, c->l->cfg.idle_timeout_ms ? &tv : NULL);
}

static void tcp_read_cb(evutil_socket_t fd, short what, void *arg);

/* Waits for the socket to become readable or writable (TLS may need either), under the idle
 * timeout. */
static void tcp_wait(struct tcp_conn *c, short what)
{
	if (event_get_events(c->ev) & what)
		return;
	event_del(c->ev);
	event_assign(c->ev, c->l->base, c->fd, what | EV_PERSIST, tcp_read_cb, c);
	tcp_set_timeout(c);
}

/* One step of a TLS handshake. Returns 0 once it is done, 1 while it goes on, -1 when it failed
 * (the connection is freed: a failed handshake delivers nothing). */
static int tls_conn_handshake(struct tcp_conn *c)
{
	struct listener *l = c->l;
	char why[TLS_WHY_MAX];
	switch (tls_session_accept(c->tls, why)) {
	case TLS_DONE:
		c->handshaking = 0;
		l->count.tls_handshakes++;
		if (log_enabled(LOG_LEVEL_DEBUG)) {
			tls_session_describe(c->tls, why, sizeof(why));
			log_debug("%s: TLS from %s: %s", l->name, c->sender, why);
		}
		tcp_wait(c, EV_READ);
		return 0;
	case TLS_WANT_READ:
		tcp_wait(c, EV_READ);
		return 1;
	case TLS_WANT_WRITE:
		tcp_wait(c, EV_WRITE);
		return 1;
	case TLS_REFUSED:
		l->count.tls_cert_refused++;
		log_limit_warnx(&l->cert_refusals, "%s: refused %s: %s", l->name, c->sender, why);
		break;
	case TLS_CLOSED:
	case TLS_FAILED:
		l->count.tls_failures++;
		log_limit_warnx(&l->handshake_errors, "%s: TLS handshake with %s failed: %s",
		                l->name, c->sender, why);
		break;
	}
	tcp_conn_free(c);
	return -1;
}

enum tcp_read { READ_SOME, READ_LATER, READ_END, READ_ERROR };

/* One read of at most room bytes into buf, through TLS when the connection has it. */
static enum tcp_read tcp_read(struct tcp_conn *c, char *buf, size_t room, size_t *n)
{
	if (c->tls != NULL) {
		switch (tls_session_read(c->tls, buf, room, n)) {
		case TLS_DONE:
			return READ_SOME;
		case TLS_WANT_READ:
			tcp_wait(c, EV_READ);
			return READ_LATER;
		case TLS_WANT_WRITE:
			tcp_wait(c, EV_WRITE);
			return READ_LATER;
		case TLS_CLOSED:
			return READ_END;
		case TLS_FAILED:
		case TLS_REFUSED:
			return READ_ERROR;
		}
	}
	for (;;) {
		ssize_t r = read(c->fd, buf, room);
		if (r > 0) {
			*n = (size_t)r;
			return READ_SOME;
		}
		if (r == 0)
			return READ_END;
		if (errno != EINTR)
			return errno == EAGAIN || errno == EWOULDBLOCK ? READ_LATER : READ_ERROR;
	}
}

static void tcp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	struct listener *l = c->l;
	(void)fd;
	if (what & EV_TIMEOUT) {
		if (c->handshaking) {
			/* A client that stalls mid-handshake holds a slot no longer than an idle
			 * one. */
			l->count.tls_failures++;
			log_limit_warnx(&l->handshake_errors,
			                "%s: TLS handshake with %s failed: timed out", l->name,
			                c->sender);
			tcp_conn_free(c);
			return;
		}
		l->count.idle_closed++;
		tcp_conn_end(c);
		return;
	}
	if (c->handshaking && tls_conn_handshake(c) != 0)
		return;
	for (int i = 0; i < TCP_READS_PER_EVENT; i++) {
		size_t room = frame_stream_room(&c->fs), n = 0;
		enum tcp_read r = tcp_read(c, frame_stream_space(&c->fs), room, &n);
		if (r == READ_LATER)
			break;
		if (r != READ_SOME) {
			if (r == READ_ERROR)
				l->count.read_errors++;
			tcp_conn_end(c);
			if (l->sink.batch_done)
				l->sink.batch_done(l->sink.arg);
			return;
		}
		l->count.bytes += n;
		c->last_ms = clock_now_ms();
		frame_stream_wrote(&c->fs, n);
		tcp_frame_buffer(c);
		if (c->tls == NULL && n < room)
			break;
	}
	/* Decrypted bytes left in the session wake no socket event: come back for them after
	 * the other connections had their turn. */
	if (c->tls != NULL && tls_session_pending(c->tls))
		event_active(c->ev, EV_READ, 0);
	if (l->sink.batch_done)
		l->sink.batch_done(l->sink.arg);
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
	c->last_ms = clock_now_ms();
	addr_to_cidr_form(peer, c->peer);
	addr_host_text(peer, c->sender, sizeof(c->sender));
	c->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, tcp_read_cb, c);
	if (l->tls != NULL) {
		c->tls = tls_session_new(l->tls, fd);
		c->handshaking = 1;
	}
	if (c->ev == NULL || (l->tls != NULL && c->tls == NULL)) {
		log_limit_warnx(&l->alloc_errors, "%s: out of memory for a connection", l->name);
		if (c->ev)
			event_free(c->ev);
		tls_session_free(c->tls);
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

/* The least recently active connection, of one sender (peer) or of any (NULL), among those
 * quiet for EVICT_QUIET_MS; *count gets how many that sender (or the listener) holds. */
static struct tcp_conn *tcp_quietest(struct listener *l, const uint8_t *peer, size_t *count)
{
	struct tcp_conn *quietest = NULL;
	uint64_t now = clock_now_ms();
	*count = 0;
	for (struct tcp_conn *c = l->conns; c != NULL; c = c->next) {
		if (peer != NULL && memcmp(c->peer, peer, sizeof(c->peer)) != 0)
			continue;
		++*count;
		if (now - c->last_ms >= EVICT_QUIET_MS && frame_stream_idle(&c->fs) &&
		    !c->handshaking && (quietest == NULL || c->last_ms < quietest->last_ms))
			quietest = c;
	}
	return quietest;
}

/* Makes room for a new connection from peer: past the sender's share, its own quietest
 * connection goes (a sender that reconnects leaves stale ones behind); past the listener's
 * limit, the quietest of all. Returns 0 when there is room, -1 when the new one must be
 * refused (everything that would have to go is streaming). */
static int tcp_make_room(struct listener *l, const uint8_t peer[16])
{
	size_t own, all;
	uint32_t share = l->cfg.max_per_source; /* 0 (a config built in code): no share */
	struct tcp_conn *victim = tcp_quietest(l, peer, &own);
	int own_share_full = share != 0 && own >= share;
	if (!own_share_full) {
		if (l->n_conns < l->cfg.max_connections)
			return 0;
		victim = tcp_quietest(l, NULL, &all);
	}
	if (victim == NULL)
		return -1;
	log_limit_warnx(&l->evictions, "%s: closed the quietest connection from %s to take %s",
	                l->name, victim->sender,
	                own_share_full ? "another of the same sender (max_connections_per_source)"
	                               : "one from another sender (max_connections)");
	l->count.evicted++;
	tcp_conn_end(victim);
	return 0;
}

/* Out of descriptors, and the reserve already spent: accepting rests a moment rather than
 * spinning; the waiting senders stay queued in the kernel, their bytes with them. */
static void tcp_pause_accepting(struct listener *l)
{
	l->count.accept_errors++;
	log_limit_warn(&l->accept_errors, "%s: accept paused for %d ms", l->name, ACCEPT_PAUSE_MS);
	struct timeval tv = {ACCEPT_PAUSE_MS / 1000, ACCEPT_PAUSE_MS % 1000 * 1000};
	event_del(l->ev);
	event_add(l->resume, &tv);
}

static void tcp_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	int spent = 0;
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
			/* EMFILE: the reserve descriptor makes room for one appliance */
			if ((errno == EMFILE || errno == ENFILE) && !spent &&
			    fd_reserve_release() == 0) {
				spent = 1;
				continue;
			}
			tcp_pause_accepting(l);
			return;
		}
		uint8_t a[16];
		addr_to_cidr_form(&peer, a);
		if (!sender_allowed(l, a)) {
			l->count.rejected++;
			close(cfd);
			continue;
		}
		if (tcp_make_room(l, a) != 0) {
			l->count.refused++;
			close(cfd);
			continue;
		}
		tcp_conn_new(l, cfd, &peer);
	}
}

/* ---- opening and closing ---- */

static struct tls_server *listener_load_tls(const struct listen_config *cfg)
{
	struct tls_load_error err;
	struct tls_server *s = tls_server_new(cfg, &err);
	if (s == NULL)
		log_warnx("tls %s: %s", cfg->address, err.text);
	return s;
}

static int listener_bind(struct listener *l)
{
	int type = l->cfg.proto == LISTEN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int one = 1;
	const char *proto = config_listen_proto_name(l->cfg.proto);
	l->fd = socket(l->cfg.addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		log_warn("%s %s: socket", proto, l->cfg.address);
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
		log_warn("%s %s: bind", proto, l->cfg.address);
		return -1;
	}
	if (l->cfg.proto != LISTEN_UDP && listen(l->fd, TCP_BACKLOG) != 0) {
		log_warn("%s %s: listen", proto, l->cfg.address);
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
	/* The listener keeps its TLS context, not the paths (they belong to a config that a
	 * reload frees). */
	l->cfg.cert_file = l->cfg.key_file = l->cfg.ca_file = NULL;
	l->cfg.allowed_names = NULL;
	l->cfg.n_allowed_names = 0;
	l->base = base;
	l->sink = *sink;
	l->max_message = max_message;
	l->fd = -1;
	if (cfg->proto == LISTEN_TLS && (l->tls = listener_load_tls(cfg)) == NULL)
		goto fail;
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
	if (l->ev == NULL || (cfg->proto != LISTEN_UDP && l->resume == NULL))
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

int listener_prepare(struct listener *l, const struct listen_config *cfg)
{
	listener_unprepare(l);
	if (cfg->proto != LISTEN_TLS)
		return 0;
	return (l->tls_next = listener_load_tls(cfg)) != NULL ? 0 : -1;
}

void listener_unprepare(struct listener *l)
{
	tls_server_free(l->tls_next);
	l->tls_next = NULL;
}

void listener_update(struct listener *l, const struct listen_config *cfg, size_t max_message)
{
	if (l->tls_next != NULL) {
		tls_server_free(l->tls); /* sessions still in it hold their own reference */
		l->tls = l->tls_next;
		l->tls_next = NULL;
		log_info("%s: certificate, key and CA read again", l->name);
	}
	l->have_last_peer = 0; /* allow_from may have changed: check the next sender again */
	l->cfg.max_connections = cfg->max_connections;
	l->cfg.max_per_source = cfg->max_per_source;
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
	log_limit_flush(&l->handshake_errors);
	log_limit_flush(&l->cert_refusals);
	log_limit_flush(&l->evictions);
	log_limit_flush(&l->cut_frames);
	tls_server_free(l->tls);
	tls_server_free(l->tls_next);
	free(l->udp_bufs);
	free(l->msgs);
	free(l->iovs);
	free(l->peers);
	free(l->controls);
	free(l->cfg.address);
	free(l);
}
