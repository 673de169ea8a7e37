/* Syslog listeners: UDP sockets read in batches with recvmmsg, TCP and TLS (RFC 5425) sockets
 * with per-connection framing (RFC 6587 octet counting or LF, per frame). Every bound has a
 * counter: truncated datagrams, oversized frames, senders outside allow_from, refused
 * connections, idle closes, failed handshakes. */
#ifndef ESATLSD_LISTEN_H
#define ESATLSD_LISTEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "span.h"

struct event_base;

/* Where listeners deliver. `sender` is the peer's address as text (used as the appliance name
 * when a message carries no HOSTNAME). */
struct listen_sink {
	void (*message)(void *arg, const char *msg, size_t len, struct span sender);
	/* Called after each batch of messages from one read event (flush outputs now). */
	void (*batch_done)(void *arg);
	/* Whether a sender may talk to us (allow_from); addr is the 128-bit form of cidr.h. */
	int (*allowed)(void *arg, const uint8_t addr[16]);
	void *arg;
};

struct listen_counters {
	uint64_t messages;      /* datagrams or frames delivered */
	uint64_t bytes;         /* bytes received (TLS: decrypted) */
	uint64_t truncated;     /* datagrams cut by MSG_TRUNC, LF lines cut at max_message_size */
	uint64_t oversized;     /* octet-counted frames over max_message_size, skipped whole */
	uint64_t frames_cut;    /* octet-counted frames cut short by the end of their connection */
	uint64_t cut_bytes;     /* ... the bytes of them that had arrived, discarded */
	uint64_t rejected;      /* datagrams or connections from senders outside allow_from */
	uint64_t accepted;      /* TCP and TLS connections accepted */
	uint64_t refused;       /* connections closed at once: max_connections reached */
	uint64_t evicted;       /* quiet connections closed to take a new sender's */
	uint64_t idle_closed;   /* connections closed for idle_timeout after their handshake */
	uint64_t accept_errors; /* accept failures (EMFILE etc.), each followed by a short pause */
	uint64_t read_errors;
	uint64_t kernel_drops;     /* UDP datagrams the kernel dropped for a full receive buffer
	                            * (SO_RXQ_OVFL), as last reported with a received datagram */
	uint64_t tls_handshakes;   /* TLS handshakes completed */
	uint64_t tls_failures;     /* TLS handshakes that failed: not TLS, a protocol error, the
	                            * client closed or stalled past idle_timeout */
	uint64_t tls_cert_refused; /* TLS clients refused for their certificate: none when
	                            * required, not valid for ca_file, no allowed name */
};

struct listener;

/* Binds the socket of cfg (SO_REUSEADDR; IPv6 sockets IPv6-only). Returns NULL after logging
 * why. Nothing is read before listener_start. */
struct listener *listener_open(const struct listen_config *cfg, size_t max_message,
                               struct event_base *base, const struct listen_sink *sink);

/* Starts reading (adds the events). Returns 0 or -1 (logged). */
int listener_start(struct listener *l);

/* For a TLS listener that a reload keeps: loads cfg's certificate, key and CA now, to be used
 * from listener_update on. Returns 0 (also for UDP and TCP), or -1 after logging why; the
 * running ones stay then. */
int listener_prepare(struct listener *l, const struct listen_config *cfg);

/* Drops what listener_prepare loaded (the reload failed elsewhere). */
void listener_unprepare(struct listener *l);

/* Takes a new max_message_size, per-listener options that need no rebind (connection limits)
 * and what listener_prepare loaded: new TLS handshakes use it, open connections keep theirs. */
void listener_update(struct listener *l, const struct listen_config *cfg, size_t max_message);

/* The address actually bound ("udp 127.0.0.1:40123"), for logs. */
const char *listener_name(const struct listener *l);

const struct listen_config *listener_config(const struct listener *l);
const struct listen_counters *listener_counters(const struct listener *l);

/* Open TCP or TLS connections (0 for UDP). */
size_t listener_open_connections(const struct listener *l);

/* Stops reading and closes the socket and every TCP connection (their unterminated last lines
 * are delivered first), keeping the counters for a last report. */
void listener_shutdown(struct listener *l);

/* Stops reading and closes the socket and every TCP connection (their unterminated last lines
 * are delivered first). Frees l. */
void listener_close(struct listener *l);

#endif
