/* The metrics endpoint: a small HTTP/1.1 server on the daemon's event loop (metrics_http.c)
 * serving GET /metrics in the Prometheus text exposition format (version 0.0.4, written with the
 * helpers of metrics.c) and GET /healthz, which answers 200 for as long as the loop runs. Other
 * paths get 404, other methods 405, a head that is not HTTP 400, one over 8 KiB 431. It is
 * bounded so that scrapers can never starve the daemon: at most max_connections at once (more
 * are accepted and closed at once, counted), each request answered within an absolute deadline
 * (a client that trickles bytes gains nothing), and when descriptors run out it pauses
 * accepting instead of spinning. */
#ifndef ESATLSD_METRICS_H
#define ESATLSD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct evbuffer;

/* Writes the whole /metrics body into out. */
typedef void (*metrics_write_fn)(struct evbuffer *out, void *arg);

struct metrics;

struct metrics_limits {
	uint32_t max_connections; /* open at once */
	uint64_t timeout_ms;      /* from accept, or the previous answer, to the next answer */
};

/* What the endpoint counts; the daemon owns it, so that counts outlive a rebinding. */
struct metrics_counters {
	uint64_t requests; /* answered */
	uint64_t refused;  /* connections closed at once: max_connections were open */
	uint64_t timeouts; /* connections closed at their deadline */
	uint64_t bad;      /* heads that were not HTTP, or too long */
	uint64_t paused;   /* accept paused: no descriptor left */
	uint64_t open;     /* connections open now (a gauge) */
};

/* Binds addr (a numeric address; port 0 takes any free port) and serves it from base. Returns
 * NULL after logging why. */
struct metrics *metrics_open(struct event_base *base, const struct sockaddr *addr,
                             socklen_t addrlen, const struct metrics_limits *limits,
                             struct metrics_counters *count, metrics_write_fn write, void *arg);

/* Takes new limits (a reload that keeps the address): they apply to what comes next. */
void metrics_update(struct metrics *m, const struct metrics_limits *limits);

/* The address actually bound ("127.0.0.1:9514", "[::1]:9514"), for logs. */
const char *metrics_name(const struct metrics *m);

/* Stops serving: closes the socket and every open HTTP connection. Frees m. */
void metrics_close(struct metrics *m);

/* ---- the exposition format ---- */

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE };

struct metrics_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]* */
	const char *value; /* any bytes: escaped, invalid UTF-8 replaced */
};

/* One metric family being written: its samples follow its # HELP and # TYPE lines. */
struct metrics_family {
	struct evbuffer *out;
	const char *name; /* counters end in _total */
};

/* Writes "# HELP name help" and "# TYPE name type" and returns the family for its samples. */
struct metrics_family metrics_family(struct evbuffer *out, enum metrics_type type, const char *name,
                                     const char *help);

/* One sample: "name{l1="v1",l2="v2"} value" (no braces without labels). */
void metrics_sample(const struct metrics_family *f, const struct metrics_label *labels,
                    size_t n_labels, uint64_t value);

/* The same with no label or with one. */
void metrics_value(const struct metrics_family *f, uint64_t value);
void metrics_value1(const struct metrics_family *f, const char *label, const char *label_value,
                    uint64_t value);

#endif
