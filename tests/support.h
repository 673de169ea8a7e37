/* What the Check suites share: a fast assertion and a deterministic generator, spans of C
 * strings, temporary directories, whole files, standard error captured to a file, strings
 * collected from a callback, the time, and (support_event.c, for suites that link the daemon)
 * the event loop. Test code: it asserts instead of returning errors. */
#ifndef ESATLS_TEST_SUPPORT_H
#define ESATLS_TEST_SUPPORT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* For loops that run many times: Check's assertions record a mark point on every pass. */
#define require(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

/* Deterministic splitmix64: a failure reproduces. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

/* Runs every test of s (and frees it); returns how many failed. */
int suite_failures(Suite *s);

/* s (NUL-terminated, still the caller's) as a span. */
struct span sp(const char *s);

/* ---- files ---- */

/* Makes a fresh directory /tmp/NAME.XXXXXX and writes its path to dir (cap bytes). */
void tmpdir_make(char *dir, size_t cap, const char *name);

/* Removes dir and everything below it, following no link. */
void tmpdir_remove(const char *dir);

/* buf = "dir/name"; fails the test when cap is too small. */
void path_join(char *buf, size_t cap, const char *dir, const char *name);

/* The whole of a file, NUL-terminated (the caller frees it); *len its size when len is not
 * NULL. NULL when it cannot be opened. */
char *slurp(const char *path, size_t *len);

/* Writes data[0..len) to a new file at path (or over the old one). */
void write_whole_file(const char *path, const void *data, size_t len);

/* How often needle occurs in hay, not overlapping. */
unsigned count_substr(const char *hay, const char *needle);

/* ---- standard error (the daemon's log) ---- */

#define CAPTURED_LOG "stderr.log"

/* Sends standard error to a new file dir/CAPTURED_LOG (appending, so a test may truncate it)
 * until captured_log(). The saved descriptor is close-on-exec: children inherit nothing of ours. */
void capture_log(const char *dir);

/* Restores standard error; returns what was written to it, NUL-terminated (caller frees). */
char *captured_log(void);

/* What standard error got so far, NUL-terminated (caller frees); it stays captured. */
char *log_so_far(void);

/* Fails the test unless the log so far holds want. */
void expect_log(const char *want);

/* ---- strings handed to a callback ---- */

#define COLLECT_MAX 256
#define COLLECT_LEN 2048

struct collected {
	size_t n;
	char s[COLLECT_MAX][COLLECT_LEN];
};

/* A callback for (const char *, void *arg) reporters (config errors, folded counter lines):
 * copies s into the struct collected at arg. */
void collect(const char *s, void *arg);

/* ---- TLS certificates ---- */

/* Makes a fresh directory /tmp/esatlsd_certs.XXXXXX (its path into dir, cap bytes) holding the
 * certificates of tests/tls_certs.sh: NAME.pem and NAME.key for ca, rogue-ca, server, server2,
 * relay1, cn-only, other, rogue. For main(), before the tests run: no Check assertions, returns
 * 0, or -1 after saying why on stderr. tmpdir_remove(dir) removes it. */
int tls_certs_make(char *dir, size_t cap);

/* ---- state files ---- */

/* A state file written to memory: mem_sink_write is a state_write_fn (state.h) appending to
 * data; the test fails past 64 KiB. */
struct mem_sink {
	unsigned char data[1 << 16];
	size_t len;
};
int mem_sink_write(const void *p, size_t len, void *arg);

/* ---- JSON ---- */

/* True when s[0..n) is exactly one JSON value (RFC 8259) of well-formed UTF-8 (json_check.c). */
int json_valid(const char *s, size_t n);

/* The value of a hex digit, -1 for another byte. */
int hex_value(unsigned char c);

/* ---- time and the event loop ---- */

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t now_ms(void);

/* These two are in support_event.c, linked only into the suites of daemon modules. */
struct event_base;

/* Runs base's loop for ms, whatever happens. */
void run_for(struct event_base *base, unsigned ms);

/* Runs base's loop until done(arg) holds or max_ms passed; returns done(arg). */
int run_until(struct event_base *base, int (*done)(const void *), const void *arg, unsigned max_ms);

#endif
