/* Fuzzes the framer the way a TCP reader drives it: a buffer of max_message + 24 bytes, reads of
 * varying size. The first input bytes pick the mode, max_message and the read sizes; the rest is
 * the stream. Every stream is framed twice, in one buffer and through the small buffer, and both
 * must give the same messages; spans must lie in the consumed bytes and flags must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define FUZZ_HEADER 3
#define FUZZ_MAX_MESSAGE 300

/* Flags and message bytes of every reported result, in order. */
struct transcript {
	unsigned char *p;
	size_t len, cap;
};

static void transcript_add(struct transcript *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + n)
			cap *= 2;
		t->p = realloc(t->p, cap);
		if (t->p == NULL)
			abort();
		t->cap = cap;
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

static void check_result(const struct framer *f, const char *buf, size_t len, size_t used,
                         const struct frame_result *res)
{
	const unsigned known =
	    FRAME_F_MESSAGE | FRAME_F_TRUNCATED | FRAME_F_OVERSIZED | FRAME_F_BADCOUNT;

	if (used > len || (res->flags & ~known) != 0)
		abort();
	if (used == 0 && res->flags != 0)
		abort();
	if (res->flags & FRAME_F_MESSAGE) {
		if (res->msg.p < buf || res->msg.p + res->msg.len > buf + used)
			abort();
		if (res->msg.len == 0 || res->msg.len > f->max_message)
			abort();
		if (res->flags & FRAME_F_OVERSIZED)
			abort();
	} else if (res->msg.p != NULL || res->msg.len != 0 || (res->flags & ~FRAME_F_OVERSIZED)) {
		abort();
	}
	if ((res->flags & FRAME_F_TRUNCATED) && res->msg.len != f->max_message)
		abort();
	if (f->mode == FRAME_MODE_LF_ONLY) {
		if (res->flags & (FRAME_F_OVERSIZED | FRAME_F_BADCOUNT))
			abort();
		if (memchr(res->msg.p ? res->msg.p : buf, '\n', res->msg.len) ||
		    memchr(res->msg.p ? res->msg.p : buf, '\0', res->msg.len))
			abort();
	}
	if (f->skip_left > 0 && f->discarding_line)
		abort();
}

static void record(struct transcript *t, const struct frame_result *res)
{
	unsigned char flags = (unsigned char)res->flags;
	uint32_t len = (uint32_t)res->msg.len;

	if (res->flags == 0)
		return;
	transcript_add(t, &flags, 1);
	transcript_add(t, &len, sizeof(len));
	if (res->msg.len > 0)
		transcript_add(t, res->msg.p, res->msg.len);
}

/* Frames buf[0..len) in place, as far as it goes; returns the bytes consumed. */
static size_t drain(struct framer *f, const char *buf, size_t len, struct transcript *t)
{
	struct frame_result res;
	size_t off = 0, used;

	do {
		used = frame_next(f, buf + off, len - off, &res);
		check_result(f, buf + off, len - off, used, &res);
		record(t, &res);
		off += used;
	} while (used > 0);
	return off;
}

static void finish(struct framer *f, const char *buf, size_t len, struct transcript *t)
{
	struct frame_result res;

	frame_finish(f, buf, len, &res);
	check_result(f, buf, len, len, &res);
	record(t, &res);
	if (f->skip_left != 0 || f->discarding_line)
		abort();
}

/* The whole stream in one buffer. */
static size_t frame_at_once(enum frame_mode mode, size_t max, const char *data, size_t n,
                            struct transcript *t)
{
	struct framer f;
	size_t used;

	frame_init(&f, mode, max);
	used = drain(&f, data, n, t);
	finish(&f, data + used, n - used, t);
	return used;
}

/* A read of 1..17 bytes, pseudo-random from *seed. */
static size_t next_read_size(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return 1 + (*seed >> 16) % 17;
}

/* The stream through a max + 24 byte buffer, in reads of pseudo-random sizes. */
static size_t frame_in_reads(enum frame_mode mode, size_t max, unsigned seed, const char *data,
                             size_t n, struct transcript *t)
{
	struct framer f;
	size_t cap = max + 24, len = 0, fed = 0, total = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		abort();
	frame_init(&f, mode, max);
	while (fed < n) {
		size_t take = next_read_size(&seed);
		size_t used;
		if (take > n - fed)
			take = n - fed;
		if (take > cap - len)
			take = cap - len;
		if (take == 0)
			abort(); /* a full buffer the framer refuses to consume: a stalled
			            connection */
		memcpy(buf + len, data + fed, take);
		len += take;
		fed += take;
		used = drain(&f, buf, len, t);
		memmove(buf, buf + used, len - used);
		len -= used;
		total += used;
	}
	finish(&f, buf, len, t);
	free(buf);
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript whole = {0}, split = {0};
	enum frame_mode mode;
	size_t max, used_whole, used_split;
	unsigned seed;
	const char *stream;

	if (size < FUZZ_HEADER)
		return 0;
	mode = (data[0] & 1) ? FRAME_MODE_LF_ONLY : FRAME_MODE_AUTO;
	max = 1 + (((size_t)(data[0] >> 1) << 8) | data[1]) % FUZZ_MAX_MESSAGE;
	seed = data[2];
	stream = (const char *)data + FUZZ_HEADER;
	size -= FUZZ_HEADER;

	used_whole = frame_at_once(mode, max, stream, size, &whole);
	used_split = frame_in_reads(mode, max, seed, stream, size, &split);
	if (used_whole != used_split || whole.len != split.len ||
	    (whole.len > 0 && memcmp(whole.p, split.p, whole.len) != 0))
		abort();
	free(whole.p);
	free(split.p);
	return 0;
}
