/* The RFC 6587 framer: LF, CR LF and NUL lines, octet counting, per-frame detection, the bounds
 * (truncated lines, skipped oversized frames, bad counts) and the incremental contract: however a
 * stream is split into reads, the same messages come out. Then frame_stream, the buffer and loop
 * the daemon reads through: the framer's messages, its bounds as counts, the end of input. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "support.h"

#define LIT(s) (s), (sizeof(s) - 1)

#define DRV_BUF 1024
#define DRV_RECS 64
#define DRV_MSG 300

/* One reported result (flags != 0) with a copy of its message. */
struct rec {
	unsigned flags;
	size_t len;
	char msg[DRV_MSG];
};

/* Reads a stream like a TCP connection handler does: a buffer of max_message + 24 bytes, new
 * bytes appended after the unconsumed ones, frame_next called until it asks for more. */
struct driver {
	struct framer f;
	char buf[DRV_BUF];
	size_t len, cap;
	struct rec recs[DRV_RECS];
	size_t nrec;
	size_t silent;   /* consumptions that reported nothing (flags 0) */
	size_t consumed; /* bytes consumed in all */
	size_t fed;      /* bytes fed in all */
};

static void drv_init(struct driver *d, enum frame_mode mode, size_t max_message)
{
	memset(d, 0, sizeof(*d));
	frame_init(&d->f, mode, max_message);
	d->cap = max_message + 24;
	ck_assert_uint_le(d->cap, DRV_BUF);
}

static void drv_record(struct driver *d, const struct frame_result *res)
{
	struct rec *r;

	ck_assert_uint_lt(d->nrec, DRV_RECS);
	r = &d->recs[d->nrec++];
	r->flags = res->flags;
	r->len = res->msg.len;
	ck_assert_uint_le(r->len, DRV_MSG);
	if (res->msg.len > 0 && res->msg.p != NULL) /* FRAME_F_CUT: a length, no bytes */
		memcpy(r->msg, res->msg.p, res->msg.len);
}

static void drv_drain(struct driver *d)
{
	struct frame_result res;
	size_t used;

	while ((used = frame_next(&d->f, d->buf, d->len, &res)) > 0) {
		ck_assert_uint_le(used, d->len);
		if (res.flags & FRAME_F_MESSAGE) {
			ck_assert(res.msg.p >= d->buf);
			ck_assert(res.msg.p + res.msg.len <= d->buf + used);
		}
		if (res.flags != 0)
			drv_record(d, &res);
		else
			d->silent++;
		d->consumed += used;
		memmove(d->buf, d->buf + used, d->len - used);
		d->len -= used;
	}
	ck_assert_uint_eq(res.flags, 0);
}

/* Feeds data in reads of at most chunk bytes; a full buffer the framer cannot use is a bug. */
static void drv_feed(struct driver *d, const char *data, size_t n, size_t chunk)
{
	while (n > 0) {
		size_t take = n < chunk ? n : chunk;
		if (take > d->cap - d->len)
			take = d->cap - d->len;
		ck_assert_msg(take > 0, "framer stalled with a full buffer of %zu bytes", d->len);
		memcpy(d->buf + d->len, data, take);
		d->len += take;
		d->fed += take;
		data += take;
		n -= take;
		drv_drain(d);
	}
}

static void drv_finish(struct driver *d)
{
	struct frame_result res;

	ck_assert_uint_eq(d->consumed + d->len, d->fed);
	frame_finish(&d->f, d->buf, d->len, &res);
	if (res.flags != 0)
		drv_record(d, &res);
	d->len = 0;
}

static void drv_run(struct driver *d, enum frame_mode mode, size_t max, const char *data, size_t n,
                    size_t chunk)
{
	drv_init(d, mode, max);
	drv_feed(d, data, n, chunk);
	drv_finish(d);
}

static void check_rec(const struct driver *d, size_t i, unsigned flags, const char *msg, size_t len)
{
	ck_assert_uint_lt(i, d->nrec);
	ck_assert_uint_eq(d->recs[i].flags, flags);
	ck_assert_uint_eq(d->recs[i].len, len);
	ck_assert(memcmp(d->recs[i].msg, msg, len) == 0);
}

#define CHECK_REC(d, i, flags, s) check_rec((d), (i), (flags), LIT(s))

static void check_same_recs(const struct driver *a, const struct driver *b)
{
	ck_assert_uint_eq(a->nrec, b->nrec);
	for (size_t i = 0; i < a->nrec; i++)
		check_rec(b, i, a->recs[i].flags, a->recs[i].msg, a->recs[i].len);
}

static void check_msg(const struct frame_result *res, unsigned flags, const char *p,
                      const char *want, size_t len)
{
	ck_assert_uint_eq(res->flags, flags);
	ck_assert_ptr_eq(res->msg.p, p);
	ck_assert_uint_eq(res->msg.len, len);
	ck_assert(memcmp(res->msg.p, want, len) == 0);
}

static void check_nothing(const struct frame_result *res, unsigned flags)
{
	ck_assert_uint_eq(res->flags, flags);
	ck_assert_ptr_null(res->msg.p);
	ck_assert_uint_eq(res->msg.len, 0);
}

START_TEST(lf_lines)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "hello\nworld\n";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, buf, sizeof(buf) - 1, &res), 6);
	check_msg(&res, FRAME_F_MESSAGE, buf, LIT("hello"));
	ck_assert_uint_eq(frame_next(&f, buf + 6, 6, &res), 6);
	check_msg(&res, FRAME_F_MESSAGE, buf + 6, LIT("world"));
	ck_assert_uint_eq(frame_next(&f, buf + 12, 0, &res), 0);
	check_nothing(&res, 0);
}
END_TEST

START_TEST(crlf_lines)
{
	struct framer f;
	struct frame_result res;
	const char crlf[] = "abc\r\nx";
	const char inner_cr[] = "a\rb\n";
	const char only_crlf[] = "\r\nx";
	const char cr_cr_lf[] = "ab\r\r\n";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, LIT(crlf), &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, crlf, LIT("abc"));
	/* Only the CR right before the LF belongs to the terminator. */
	ck_assert_uint_eq(frame_next(&f, LIT(inner_cr), &res), 4);
	check_msg(&res, FRAME_F_MESSAGE, inner_cr, LIT("a\rb"));
	ck_assert_uint_eq(frame_next(&f, LIT(cr_cr_lf), &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, cr_cr_lf, LIT("ab\r"));
	/* A bare CR LF is an empty line. */
	ck_assert_uint_eq(frame_next(&f, LIT(only_crlf), &res), 2);
	check_nothing(&res, 0);
}
END_TEST

START_TEST(nul_terminator)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "abc\0def\n";
	const char cr_nul[] = "abc\r\0";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, buf, sizeof(buf) - 1, &res), 4);
	check_msg(&res, FRAME_F_MESSAGE, buf, LIT("abc"));
	ck_assert_uint_eq(frame_next(&f, buf + 4, 4, &res), 4);
	check_msg(&res, FRAME_F_MESSAGE, buf + 4, LIT("def"));
	/* A NUL ends the line even when an LF comes before it in a later line. */
	ck_assert_uint_eq(frame_next(&f, LIT("a\0b\nc\n"), &res), 2);
	ck_assert_uint_eq(res.msg.len, 1);
	/* CR is stripped only before LF; before NUL it is data. */
	ck_assert_uint_eq(frame_next(&f, LIT(cr_nul), &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, cr_nul, LIT("abc\r"));
}
END_TEST

START_TEST(empty_lines)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "\n\n\0\r\nx\n";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, buf, 7, &res), 1);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 1, 6, &res), 1);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 2, 5, &res), 1);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 3, 4, &res), 2);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 5, 2, &res), 2);
	check_msg(&res, FRAME_F_MESSAGE, buf + 5, LIT("x"));
}
END_TEST

START_TEST(incomplete_line_waits)
{
	struct framer f;
	struct frame_result res;

	frame_init(&f, FRAME_MODE_AUTO, 8);
	ck_assert_uint_eq(frame_next(&f, LIT("partial"), &res), 0);
	check_nothing(&res, 0);
	/* Exactly max_message bytes: the terminator may still come. */
	ck_assert_uint_eq(frame_next(&f, LIT("01234567"), &res), 0);
	/* One more byte that is a CR: it may be the CR of CR LF after a full-size line. */
	ck_assert_uint_eq(frame_next(&f, LIT("01234567\r"), &res), 0);
	check_nothing(&res, 0);
	ck_assert_int_eq(f.discarding_line, 0);
}
END_TEST

START_TEST(octet_counted)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "5 hello3 abc";
	const char binary[] = "6 a\nb\0c\n";
	const char spaces[] = "5  hell";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, buf, sizeof(buf) - 1, &res), 7);
	check_msg(&res, FRAME_F_MESSAGE, buf + 2, LIT("hello"));
	ck_assert_uint_eq(frame_next(&f, buf + 7, 5, &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, buf + 9, LIT("abc"));
	/* The count, not any terminator, delimits the message (RFC 6587 3.4.1). */
	ck_assert_uint_eq(frame_next(&f, LIT(binary), &res), 8);
	check_msg(&res, FRAME_F_MESSAGE, binary + 2, LIT("a\nb\0c\n"));
	/* One SP separates the count; a second one is message data. */
	ck_assert_uint_eq(frame_next(&f, LIT(spaces), &res), 7);
	check_msg(&res, FRAME_F_MESSAGE, spaces + 2, LIT(" hell"));
}
END_TEST

START_TEST(octet_counted_exact_max)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "8 12345678";

	frame_init(&f, FRAME_MODE_AUTO, 8);
	ck_assert_uint_eq(frame_next(&f, LIT(buf), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE, buf + 2, LIT("12345678"));
	ck_assert_uint_eq(f.skip_left, 0);
}
END_TEST

START_TEST(octet_counted_incomplete_waits)
{
	struct framer f;
	struct frame_result res;

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, LIT("1"), &res), 0);
	ck_assert_uint_eq(frame_next(&f, LIT("12"), &res), 0);
	ck_assert_uint_eq(frame_next(&f, LIT("1234567890"), &res), 0);
	ck_assert_uint_eq(frame_next(&f, LIT("12 "), &res), 0);
	ck_assert_uint_eq(frame_next(&f, LIT("11 hello worl"), &res), 0);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, LIT("11 hello world"), &res), 14);
	ck_assert_uint_eq(res.flags, FRAME_F_MESSAGE);
	ck_assert_uint_eq(res.msg.len, 11);
}
END_TEST

START_TEST(count_zero_and_leading_zeros)
{
	struct framer f;
	struct frame_result res;
	const char lead[] = "05 hello";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	/* A zero count is a frame without a message: consumed, nothing reported. */
	ck_assert_uint_eq(frame_next(&f, LIT("0 5 hello"), &res), 2);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, LIT("0 "), &res), 2);
	check_nothing(&res, 0);
	/* RFC 6587 wants a nonzero first digit; leading zeros are tolerated. */
	ck_assert_uint_eq(frame_next(&f, LIT(lead), &res), 8);
	check_msg(&res, FRAME_F_MESSAGE, lead + 3, LIT("hello"));
}
END_TEST

START_TEST(digits_without_space_are_lf)
{
	struct framer f;
	struct frame_result res;
	const char abc[] = "123abc\n";
	const char num[] = "42\r\n";
	const char tab[] = "5\thello\n";
	const char neighbours[] = "/5 x\n:5 x\n";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, LIT(abc), &res), 7);
	check_msg(&res, FRAME_F_MESSAGE, abc, LIT("123abc"));
	ck_assert_uint_eq(frame_next(&f, LIT(num), &res), 4);
	check_msg(&res, FRAME_F_MESSAGE, num, LIT("42"));
	ck_assert_uint_eq(frame_next(&f, LIT("7\0"), &res), 2);
	ck_assert_uint_eq(res.msg.len, 1);
	ck_assert_uint_eq(frame_next(&f, LIT(tab), &res), 8);
	check_msg(&res, FRAME_F_MESSAGE, tab, LIT("5\thello"));
	/* The bytes on either side of '0'..'9' are not digits. */
	ck_assert_uint_eq(frame_next(&f, LIT(neighbours), &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, neighbours, LIT("/5 x"));
	ck_assert_uint_eq(frame_next(&f, neighbours + 5, 5, &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, neighbours + 5, LIT(":5 x"));
	/* "123abc" without a terminator is an incomplete LF line. */
	ck_assert_uint_eq(frame_next(&f, LIT("123abc"), &res), 0);
}
END_TEST

START_TEST(badcount)
{
	struct framer f;
	struct frame_result res;
	const char eleven[] = "12345678901 abc\n";
	const char huge[] = "99999999999999999999999 x\n";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, LIT(eleven), &res), 16);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_BADCOUNT, eleven, LIT("12345678901 abc"));
	ck_assert_uint_eq(frame_next(&f, LIT(huge), &res), 26);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_BADCOUNT, huge, LIT("99999999999999999999999 x"));
	ck_assert_uint_eq(f.skip_left, 0);
	/* Without its terminator a bad-count line waits like any LF line, and says nothing yet. */
	ck_assert_uint_eq(frame_next(&f, LIT("12345678901 ab"), &res), 0);
	check_nothing(&res, 0);
	/* Eleven digits decide it even before the space arrives. */
	ck_assert_uint_eq(frame_next(&f, LIT("12345678901\n"), &res), 12);
	ck_assert_uint_eq(res.flags, FRAME_F_MESSAGE | FRAME_F_BADCOUNT);
}
END_TEST

START_TEST(badcount_truncated)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "123456789012345\nok\n";

	frame_init(&f, FRAME_MODE_AUTO, 8);
	ck_assert_uint_eq(frame_next(&f, LIT(buf), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED | FRAME_F_BADCOUNT, buf,
	          LIT("12345678"));
	ck_assert_int_eq(f.discarding_line, 1);
	/* The tail of the line is dropped without a second BADCOUNT. */
	ck_assert_uint_eq(frame_next(&f, buf + 10, 9, &res), 6);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 16, 3, &res), 3);
	check_msg(&res, FRAME_F_MESSAGE, buf + 16, LIT("ok"));
}
END_TEST

START_TEST(ten_digit_count_is_a_count)
{
	struct framer f;
	struct frame_result res;

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, LIT("9999999999 abc"), &res), 14);
	check_nothing(&res, 0);
	ck_assert_uint_eq(f.skip_left, 9999999999ULL - 3);
}
END_TEST

START_TEST(year_first_line_is_no_count)
{
	/* A collector's "YYYY Mmm dd ..." line over TCP is an LF line, not 2026 counted bytes. */
	static const char line[] = "2026 Dec  4 09:01:00 esa2 mail_logs:nopid Info: ICID 1 close\n";
	struct framer f;
	struct frame_result res;

	frame_init(&f, FRAME_MODE_AUTO, 4096);
	ck_assert_uint_eq(frame_next(&f, LIT(line), &res), sizeof(line) - 1);
	check_msg(&res, FRAME_F_MESSAGE, line, line, sizeof(line) - 2);
	/* Until the month's letters and space arrive, nobody can tell. */
	ck_assert_uint_eq(frame_next(&f, LIT("2026 "), &res), 0);
	ck_assert_uint_eq(frame_next(&f, LIT("2026 De"), &res), 0);
	ck_assert_uint_eq(frame_next(&f, LIT("2026 Dec"), &res), 0);
	/* Anything else after four digits is still a count. */
	static const char counted[] = "0005 <1>ab", letters[] = "0003 Dexx";
	ck_assert_uint_eq(frame_next(&f, LIT(counted), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE, counted + 5, "<1>ab", 5);
	ck_assert_uint_eq(frame_next(&f, LIT(letters), &res), 8);
	check_msg(&res, FRAME_F_MESSAGE, letters + 5, "Dex", 3);
}
END_TEST

START_TEST(oversized_skipped_exactly)
{
	struct framer f;
	struct frame_result res;
	const char next[] = "4 next";

	frame_init(&f, FRAME_MODE_AUTO, 8);
	/* Header and the first 4 of 20 bytes. */
	ck_assert_uint_eq(frame_next(&f, LIT("20 0123"), &res), 7);
	check_nothing(&res, 0);
	ck_assert_uint_eq(f.skip_left, 16);
	ck_assert_uint_eq(frame_next(&f, LIT("456789abcdef"), &res), 12);
	check_nothing(&res, 0);
	ck_assert_uint_eq(f.skip_left, 4);
	/* The last 4 bytes end the frame and report it, once; the next frame is untouched. */
	ck_assert_uint_eq(frame_next(&f, LIT("ghij4 next"), &res), 4);
	check_nothing(&res, FRAME_F_OVERSIZED);
	ck_assert_uint_eq(f.skip_left, 0);
	ck_assert_uint_eq(frame_next(&f, LIT(next), &res), 6);
	check_msg(&res, FRAME_F_MESSAGE, next + 2, LIT("next"));
}
END_TEST

START_TEST(oversized_in_one_read)
{
	struct framer f;
	struct frame_result res;

	frame_init(&f, FRAME_MODE_AUTO, 8);
	ck_assert_uint_eq(frame_next(&f, LIT("9 123456789x\n"), &res), 11);
	check_nothing(&res, FRAME_F_OVERSIZED);
	ck_assert_uint_eq(f.skip_left, 0);
	/* Just the header of an oversized frame. */
	ck_assert_uint_eq(frame_next(&f, LIT("9 "), &res), 2);
	check_nothing(&res, 0);
	ck_assert_uint_eq(f.skip_left, 9);
}
END_TEST

START_TEST(oversized_split_feeds)
{
	static const char stream[] = "a\n"
	                             "40 0123456789012345678901234567890123456789"
	                             "3 end"
	                             "tail\r\n";
	struct driver d, one;

	drv_run(&one, FRAME_MODE_AUTO, 8, LIT(stream), DRV_BUF);
	ck_assert_uint_eq(one.nrec, 4);
	CHECK_REC(&one, 0, FRAME_F_MESSAGE, "a");
	CHECK_REC(&one, 1, FRAME_F_OVERSIZED, "");
	CHECK_REC(&one, 2, FRAME_F_MESSAGE, "end");
	CHECK_REC(&one, 3, FRAME_F_MESSAGE, "tail");
	ck_assert_uint_eq(one.consumed, sizeof(stream) - 1);
	for (size_t chunk = 1; chunk < sizeof(stream); chunk++) {
		drv_run(&d, FRAME_MODE_AUTO, 8, LIT(stream), chunk);
		check_same_recs(&one, &d);
		ck_assert_uint_eq(d.consumed, sizeof(stream) - 1);
	}
}
END_TEST

START_TEST(lying_count_swallows)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "18 short\nnext line\nXY3 abc";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	/* The count promises more than has arrived: wait, even though LF lines seem to follow. */
	ck_assert_uint_eq(frame_next(&f, buf, 19, &res), 0);
	check_nothing(&res, 0);
	/* RFC 6587 3.4.1 gives the count the last word: the "lines" become one message. */
	ck_assert_uint_eq(frame_next(&f, buf, 21, &res), 21);
	check_msg(&res, FRAME_F_MESSAGE, buf + 3, LIT("short\nnext line\nXY"));
	ck_assert_uint_eq(frame_next(&f, buf + 21, 5, &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, buf + 23, LIT("abc"));
}
END_TEST

START_TEST(lying_oversized_count_swallows)
{
	struct driver d;

	/* An oversized count drops what follows it, lines included, until the count is used up. */
	drv_run(&d, FRAME_MODE_AUTO, 8, LIT("12 ab\ncd\nef\ngh\nij\n"), 3);
	ck_assert_uint_eq(d.nrec, 2);
	CHECK_REC(&d, 0, FRAME_F_OVERSIZED, "");
	CHECK_REC(&d, 1, FRAME_F_MESSAGE, "ij");
}
END_TEST

START_TEST(long_line_truncated)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "0123456789abc\nnext\n";

	frame_init(&f, FRAME_MODE_AUTO, 8);
	/* The scan stops at max_message + 2 bytes: a full line plus CR LF. */
	ck_assert_uint_eq(frame_next(&f, LIT(buf), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, buf, LIT("01234567"));
	ck_assert_int_eq(f.discarding_line, 1);
	ck_assert_uint_eq(frame_next(&f, buf + 10, 2, &res), 2);
	check_nothing(&res, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 12, 7, &res), 2);
	check_nothing(&res, 0);
	ck_assert_int_eq(f.discarding_line, 0);
	ck_assert_uint_eq(frame_next(&f, buf + 14, 5, &res), 5);
	check_msg(&res, FRAME_F_MESSAGE, buf + 14, LIT("next"));
}
END_TEST

START_TEST(long_line_boundaries)
{
	struct framer f;
	struct frame_result res;
	const char full[] = "01234567\n";
	const char full_crlf[] = "01234567\r\n";
	const char one_over[] = "012345678\n";
	const char one_over_nul[] = "01234567\r\0";
	const char unterminated[] = "abcdefghi";

	frame_init(&f, FRAME_MODE_AUTO, 8);
	ck_assert_uint_eq(frame_next(&f, LIT(full), &res), 9);
	check_msg(&res, FRAME_F_MESSAGE, full, LIT("01234567"));
	ck_assert_uint_eq(frame_next(&f, LIT(full_crlf), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE, full_crlf, LIT("01234567"));
	/* One byte too many with the terminator in view: truncated, nothing left to discard. */
	ck_assert_uint_eq(frame_next(&f, LIT(one_over), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, one_over, LIT("01234567"));
	ck_assert_int_eq(f.discarding_line, 0);
	ck_assert_uint_eq(frame_next(&f, LIT(one_over_nul), &res), 10);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, one_over_nul, LIT("01234567"));
	ck_assert_int_eq(f.discarding_line, 0);
	/* One byte too many that is not a CR: already known to be too long. */
	ck_assert_uint_eq(frame_next(&f, LIT(unterminated), &res), 9);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, unterminated, LIT("abcdefgh"));
	ck_assert_int_eq(f.discarding_line, 1);
	/* The line ends with CR LF split over reads; the LF ends the discarding. */
	ck_assert_uint_eq(frame_next(&f, LIT("\r"), &res), 1);
	ck_assert_int_eq(f.discarding_line, 1);
	ck_assert_uint_eq(frame_next(&f, LIT("\nok\n"), &res), 1);
	check_nothing(&res, 0);
	ck_assert_int_eq(f.discarding_line, 0);
}
END_TEST

START_TEST(long_line_byte_by_byte)
{
	static const char stream[] = "short\n"
	                             "this line is much longer than sixteen bytes\r\n"
	                             "x\n"
	                             "0123456789abcdef\r\n"
	                             "0123456789abcdefg\0"
	                             "after\n";
	struct driver d, one;

	drv_run(&one, FRAME_MODE_AUTO, 16, LIT(stream), DRV_BUF);
	ck_assert_uint_eq(one.nrec, 6);
	CHECK_REC(&one, 0, FRAME_F_MESSAGE, "short");
	CHECK_REC(&one, 1, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, "this line is muc");
	CHECK_REC(&one, 2, FRAME_F_MESSAGE, "x");
	CHECK_REC(&one, 3, FRAME_F_MESSAGE, "0123456789abcdef");
	CHECK_REC(&one, 4, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, "0123456789abcdef");
	CHECK_REC(&one, 5, FRAME_F_MESSAGE, "after");
	drv_run(&d, FRAME_MODE_AUTO, 16, LIT(stream), 1);
	check_same_recs(&one, &d);
	ck_assert_uint_eq(d.consumed, sizeof(stream) - 1);
}
END_TEST

START_TEST(endless_line_bounded_buffer)
{
	char line[900];
	struct driver d;

	/* 900 bytes without a terminator through a 32 + 24 byte buffer: one truncated message. */
	memset(line, 'z', sizeof(line));
	drv_init(&d, FRAME_MODE_AUTO, 32);
	for (size_t chunk = 1; chunk <= 64; chunk *= 2)
		drv_feed(&d, line, sizeof(line), chunk);
	drv_feed(&d, LIT("\nend\n"), 1);
	drv_finish(&d);
	ck_assert_uint_eq(d.nrec, 2);
	ck_assert_uint_eq(d.recs[0].flags, FRAME_F_MESSAGE | FRAME_F_TRUNCATED);
	ck_assert_uint_eq(d.recs[0].len, 32);
	CHECK_REC(&d, 1, FRAME_F_MESSAGE, "end");
}
END_TEST

static const char mixed_stream[] =
    "5 hello"
    "plain line\n"
    "3 abc"
    "x\r\n"
    "\n"
    "10 0123456789"
    "nul\0"
    "12345678901 bad\n"
    "123abc\n"
    "0 "
    "7 a\nb\0c\r\n"
    "99 " /* oversized with max 32: 99 bytes dropped */
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "01234567890123456789012345678"
    "overlong line of more than thirty-two bytes\n"
    "last, unterminated";

static void check_mixed(const struct driver *d)
{
	ck_assert_uint_eq(d->nrec, 11);
	CHECK_REC(d, 0, FRAME_F_MESSAGE, "hello");
	CHECK_REC(d, 1, FRAME_F_MESSAGE, "plain line");
	CHECK_REC(d, 2, FRAME_F_MESSAGE, "abc");
	CHECK_REC(d, 3, FRAME_F_MESSAGE, "x");
	CHECK_REC(d, 4, FRAME_F_MESSAGE, "0123456789");
	CHECK_REC(d, 5, FRAME_F_MESSAGE, "nul");
	CHECK_REC(d, 6, FRAME_F_MESSAGE | FRAME_F_BADCOUNT, "12345678901 bad");
	CHECK_REC(d, 7, FRAME_F_MESSAGE, "123abc");
	CHECK_REC(d, 8, FRAME_F_MESSAGE, "a\nb\0c\r\n");
	CHECK_REC(d, 9, FRAME_F_OVERSIZED, "");
	CHECK_REC(d, 10, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, "overlong line of more than thirt");
}

START_TEST(mixed_stream_one_feed)
{
	struct driver d;

	drv_init(&d, FRAME_MODE_AUTO, 32);
	drv_feed(&d, LIT(mixed_stream), DRV_BUF);
	check_mixed(&d);
	ck_assert_uint_eq(d.len, sizeof("last, unterminated") - 1);
	drv_finish(&d);
	ck_assert_uint_eq(d.nrec, 12);
	CHECK_REC(&d, 11, FRAME_F_MESSAGE, "last, unterminated");
}
END_TEST

START_TEST(mixed_stream_every_split)
{
	struct driver one, d;
	size_t n = sizeof(mixed_stream) - 1;

	drv_run(&one, FRAME_MODE_AUTO, 32, mixed_stream, n, DRV_BUF);
	ck_assert_uint_eq(one.nrec, 12);
	for (size_t cut = 0; cut <= n; cut++) {
		drv_init(&d, FRAME_MODE_AUTO, 32);
		drv_feed(&d, mixed_stream, cut, DRV_BUF);
		drv_feed(&d, mixed_stream + cut, n - cut, DRV_BUF);
		drv_finish(&d);
		check_same_recs(&one, &d);
	}
	for (size_t chunk = 1; chunk <= n; chunk++) {
		drv_run(&d, FRAME_MODE_AUTO, 32, mixed_stream, n, chunk);
		check_same_recs(&one, &d);
	}
}
END_TEST

START_TEST(lf_only_mode)
{
	struct framer f;
	struct frame_result res;
	const char counted[] = "5 hello\n";
	const char eleven[] = "12345678901 x\n";

	frame_init(&f, FRAME_MODE_LF_ONLY, 64);
	ck_assert_uint_eq(frame_next(&f, LIT(counted), &res), 8);
	check_msg(&res, FRAME_F_MESSAGE, counted, LIT("5 hello"));
	ck_assert_uint_eq(frame_next(&f, LIT(eleven), &res), 14);
	check_msg(&res, FRAME_F_MESSAGE, eleven, LIT("12345678901 x"));
	ck_assert_uint_eq(frame_next(&f, LIT("99 abc\n"), &res), 7);
	ck_assert_uint_eq(res.flags, FRAME_F_MESSAGE);
	ck_assert_uint_eq(f.skip_left, 0);
	ck_assert_uint_eq(frame_next(&f, LIT("0 \n"), &res), 3);
	ck_assert_uint_eq(res.msg.len, 2);
	ck_assert_uint_eq(frame_next(&f, LIT("12 "), &res), 0);
}
END_TEST

START_TEST(lf_only_mixed_stream)
{
	struct driver d, one;

	drv_run(&one, FRAME_MODE_LF_ONLY, 32, LIT(mixed_stream), DRV_BUF);
	CHECK_REC(&one, 0, FRAME_F_MESSAGE, "5 helloplain line");
	CHECK_REC(&one, 1, FRAME_F_MESSAGE, "3 abcx");
	CHECK_REC(&one, 2, FRAME_F_MESSAGE, "10 0123456789nul");
	CHECK_REC(&one, 3, FRAME_F_MESSAGE, "12345678901 bad");
	for (size_t i = 0; i < one.nrec; i++) {
		ck_assert_uint_eq(one.recs[i].flags & (FRAME_F_OVERSIZED | FRAME_F_BADCOUNT), 0);
		ck_assert_ptr_null(memchr(one.recs[i].msg, '\n', one.recs[i].len));
		ck_assert_ptr_null(memchr(one.recs[i].msg, '\0', one.recs[i].len));
	}
	drv_run(&d, FRAME_MODE_LF_ONLY, 32, LIT(mixed_stream), 1);
	check_same_recs(&one, &d);
}
END_TEST

START_TEST(hostile_bytes_pass_through)
{
	struct framer f;
	struct frame_result res;
	const char buf[] = "\xff\xfe\xc3(\"quoted\\\" \x01\x7f\x80\r\n";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	ck_assert_uint_eq(frame_next(&f, LIT(buf), &res), sizeof(buf) - 1);
	check_msg(&res, FRAME_F_MESSAGE, buf, buf, sizeof(buf) - 3);
}
END_TEST

START_TEST(finish_unterminated_line)
{
	struct framer f;
	struct frame_result res;
	const char line[] = "last line";
	const char cr[] = "last\r";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	frame_finish(&f, LIT(line), &res);
	check_msg(&res, FRAME_F_MESSAGE, line, LIT("last line"));
	/* The stream was cut inside CR LF. */
	frame_finish(&f, LIT(cr), &res);
	check_msg(&res, FRAME_F_MESSAGE, cr, LIT("last"));
	frame_finish(&f, "", 0, &res);
	check_nothing(&res, 0);
	frame_finish(&f, LIT("\r"), &res);
	check_nothing(&res, 0);
}
END_TEST

START_TEST(finish_partial_octet_frame)
{
	struct framer f;
	struct frame_result res;
	const char digits[] = "12";
	const char counted[] = "10 abc";

	frame_init(&f, FRAME_MODE_AUTO, 64);
	frame_finish(&f, LIT(counted), &res);
	ck_assert_uint_eq(res.flags, FRAME_F_CUT); /* its 6 bytes are discarded, and said so */
	ck_assert_ptr_null(res.msg.p);
	ck_assert_uint_eq(res.msg.len, 6);
	/* Digits without their space never became a count: they are the last line. */
	frame_finish(&f, LIT(digits), &res);
	check_msg(&res, FRAME_F_MESSAGE, digits, LIT("12"));
	/* In a file the same bytes are just a line. */
	frame_init(&f, FRAME_MODE_LF_ONLY, 64);
	frame_finish(&f, LIT(counted), &res);
	check_msg(&res, FRAME_F_MESSAGE, counted, LIT("10 abc"));
}
END_TEST

START_TEST(finish_mid_skip_resets)
{
	struct framer f;
	struct frame_result res;
	const char after[] = "2 ok";

	frame_init(&f, FRAME_MODE_AUTO, 8);
	ck_assert_uint_eq(frame_next(&f, LIT("30 abc"), &res), 6);
	ck_assert_uint_eq(f.skip_left, 27);
	frame_finish(&f, "", 0, &res);
	check_nothing(&res, FRAME_F_CUT); /* the frame being skipped never ended */
	ck_assert_uint_eq(f.skip_left, 0);
	/* The framer starts afresh, e.g. for the next connection. */
	ck_assert_uint_eq(frame_next(&f, LIT(after), &res), 4);
	check_msg(&res, FRAME_F_MESSAGE, after + 2, LIT("ok"));
}
END_TEST

START_TEST(finish_mid_discard_resets)
{
	struct framer f;
	struct frame_result res;
	const char after[] = "ok\n";

	frame_init(&f, FRAME_MODE_AUTO, 4);
	ck_assert_uint_eq(frame_next(&f, LIT("abcdefgh"), &res), 6);
	ck_assert_uint_eq(res.flags, FRAME_F_MESSAGE | FRAME_F_TRUNCATED);
	ck_assert_int_eq(f.discarding_line, 1);
	frame_finish(&f, "", 0, &res);
	check_nothing(&res, 0);
	ck_assert_int_eq(f.discarding_line, 0);
	ck_assert_uint_eq(frame_next(&f, LIT(after), &res), 3);
	check_msg(&res, FRAME_F_MESSAGE, after, LIT("ok"));
}
END_TEST

START_TEST(finish_flags)
{
	struct framer f;
	struct frame_result res;
	const char bad[] = "123456789012 x";
	const char longer[] = "abcdefgh";
	const char terminated[] = "ab\r\nrest";

	frame_init(&f, FRAME_MODE_AUTO, 4);
	frame_finish(&f, LIT(bad), &res);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED | FRAME_F_BADCOUNT, bad, LIT("1234"));
	frame_finish(&f, LIT(longer), &res);
	check_msg(&res, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, longer, LIT("abcd"));
	/* Called on bytes frame_next would still frame: the first line, as frame_next gives it. */
	frame_finish(&f, LIT(terminated), &res);
	check_msg(&res, FRAME_F_MESSAGE, terminated, LIT("ab"));
}
END_TEST

/* Deterministic pseudo-random streams built from the pieces that matter to the framer. */
static uint32_t lcg_next(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

static size_t random_stream(uint32_t *state, char *out, size_t cap)
{
	static const char *const pieces[] = {
	    "\n",     "\r\n",
	    "\r",     "",
	    "0 ",     "3 ",
	    "5 ",     "12 ",
	    "40 ",    "12345678901 ",
	    "123abc", "ab",
	    "xyz",    " ",
	    "9",      "07 ",
	    "\xff",   "long line long line long line",
	};
	size_t n = 0, npieces = sizeof(pieces) / sizeof(pieces[0]);

	while (n < cap) {
		const char *p = pieces[lcg_next(state) % npieces];
		size_t len = strlen(p);
		if (p[0] == '\0')
			len = 1; /* the NUL terminator itself */
		if (len > cap - n)
			break;
		memcpy(out + n, p, len);
		n += len;
	}
	return n;
}

START_TEST(random_streams_split_invariant)
{
	char stream[400];
	struct driver one, d;
	uint32_t state = 0x5eed0000u + (uint32_t)_i;
	size_t n = random_stream(&state, stream, 60 + lcg_next(&state) % 300);
	enum frame_mode mode = (_i & 1) ? FRAME_MODE_LF_ONLY : FRAME_MODE_AUTO;
	size_t max = 4 + lcg_next(&state) % 40;

	drv_run(&one, mode, max, stream, n, DRV_BUF);
	for (size_t chunk = 1; chunk <= 17; chunk++) {
		drv_run(&d, mode, max, stream, n, chunk);
		check_same_recs(&one, &d);
		ck_assert_uint_eq(d.consumed, one.consumed);
	}
	for (size_t i = 0; i < one.nrec; i++) {
		ck_assert_uint_le(one.recs[i].len, max);
		if (one.recs[i].flags & FRAME_F_TRUNCATED)
			ck_assert_uint_eq(one.recs[i].len, max);
		if (one.recs[i].flags & FRAME_F_MESSAGE)
			ck_assert_uint_gt(one.recs[i].len, 0);
	}
}
END_TEST

/* ---- frame_stream ---- */

/* Reads a stream through a frame_stream the way listen.c and replay.c do: reads of at most
 * chunk bytes into the stream's space, then every message it yields. */
struct sdriver {
	struct frame_stream fs;
	struct driver out; /* only its records: the messages, in order */
	struct frame_counts count;
};

static void sdrv_init(struct sdriver *d, enum frame_mode mode, size_t max_message, size_t read_size)
{
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(frame_stream_init(&d->fs, mode, max_message, read_size), 0);
}

static void sdrv_take_counts(struct sdriver *d)
{
	struct frame_counts n = frame_stream_take_counts(&d->fs);
	d->count.messages += n.messages;
	d->count.truncated += n.truncated;
	d->count.oversized += n.oversized;
}

static void sdrv_record(struct sdriver *d, const struct frame_result *res)
{
	ck_assert(res->flags & FRAME_F_MESSAGE);
	ck_assert(res->msg.p >= d->fs.buf && res->msg.p + res->msg.len <= d->fs.buf + d->fs.cap);
	drv_record(&d->out, res);
}

static void sdrv_feed(struct sdriver *d, const char *data, size_t n, size_t chunk)
{
	struct frame_result res;

	while (n > 0) {
		size_t take = n < chunk ? n : chunk;
		if (take > frame_stream_room(&d->fs))
			take = frame_stream_room(&d->fs);
		ck_assert_msg(take > 0, "stream stalled with a full buffer");
		memcpy(frame_stream_space(&d->fs), data, take);
		frame_stream_wrote(&d->fs, take);
		data += take;
		n -= take;
		while (frame_stream_next(&d->fs, &res))
			sdrv_record(d, &res);
		sdrv_take_counts(d);
	}
}

static void sdrv_finish(struct sdriver *d)
{
	struct frame_result res;

	if (frame_stream_finish(&d->fs, &res))
		sdrv_record(d, &res);
	sdrv_take_counts(d);
}

static void sdrv_run(struct sdriver *d, enum frame_mode mode, size_t max, size_t read_size,
                     const char *data, size_t n, size_t chunk)
{
	sdrv_init(d, mode, max, read_size);
	sdrv_feed(d, data, n, chunk);
	sdrv_finish(d);
	frame_stream_free(&d->fs);
}

/* The stream gives what the bare framer gives: its messages in order, its skipped oversized
 * frames and truncations as counts. */
static void check_stream_like_framer(const struct sdriver *s, const struct driver *f)
{
	size_t j = 0;
	uint64_t oversized = 0, truncated = 0;

	for (size_t i = 0; i < f->nrec; i++) {
		if (f->recs[i].flags & FRAME_F_OVERSIZED)
			oversized++;
		if (f->recs[i].flags & FRAME_F_TRUNCATED)
			truncated++;
		if (f->recs[i].flags & FRAME_F_MESSAGE)
			check_rec(&s->out, j++, f->recs[i].flags, f->recs[i].msg, f->recs[i].len);
	}
	ck_assert_uint_eq(s->out.nrec, j);
	ck_assert_uint_eq(s->count.messages, j);
	ck_assert_uint_eq(s->count.oversized, oversized);
	ck_assert_uint_eq(s->count.truncated, truncated);
}

static void check_same_stream(const struct sdriver *a, const struct sdriver *b)
{
	check_same_recs(&a->out, &b->out);
	ck_assert_uint_eq(a->count.messages, b->count.messages);
	ck_assert_uint_eq(a->count.truncated, b->count.truncated);
	ck_assert_uint_eq(a->count.oversized, b->count.oversized);
}

START_TEST(stream_mixed)
{
	struct sdriver s;
	struct driver f;
	size_t n = sizeof(mixed_stream) - 1;

	sdrv_run(&s, FRAME_MODE_AUTO, 32, 0, mixed_stream, n, DRV_BUF);
	ck_assert_uint_eq(s.out.nrec, 11);
	CHECK_REC(&s.out, 0, FRAME_F_MESSAGE, "hello");
	CHECK_REC(&s.out, 6, FRAME_F_MESSAGE | FRAME_F_BADCOUNT, "12345678901 bad");
	CHECK_REC(&s.out, 8, FRAME_F_MESSAGE, "a\nb\0c\r\n");
	CHECK_REC(&s.out, 9, FRAME_F_MESSAGE | FRAME_F_TRUNCATED,
	          "overlong line of more than thirt");
	CHECK_REC(&s.out, 10, FRAME_F_MESSAGE, "last, unterminated");
	ck_assert_uint_eq(s.count.messages, 11);
	ck_assert_uint_eq(s.count.truncated, 1);
	ck_assert_uint_eq(s.count.oversized, 1);
	drv_run(&f, FRAME_MODE_AUTO, 32, mixed_stream, n, DRV_BUF);
	check_stream_like_framer(&s, &f);
}
END_TEST

/* However the reads split the stream, the same frames and counts come out as from one read. */
START_TEST(stream_every_split)
{
	struct sdriver one, s;
	size_t n = sizeof(mixed_stream) - 1;

	sdrv_run(&one, FRAME_MODE_AUTO, 32, 4096, mixed_stream, n, n);
	for (size_t cut = 0; cut <= n; cut++) {
		sdrv_init(&s, FRAME_MODE_AUTO, 32, 0);
		sdrv_feed(&s, mixed_stream, cut, DRV_BUF);
		sdrv_feed(&s, mixed_stream + cut, n - cut, DRV_BUF);
		sdrv_finish(&s);
		frame_stream_free(&s.fs);
		check_same_stream(&one, &s);
	}
	for (size_t chunk = 1; chunk <= n; chunk++) {
		sdrv_run(&s, FRAME_MODE_AUTO, 32, 0, mixed_stream, n, chunk);
		check_same_stream(&one, &s);
	}
}
END_TEST

START_TEST(stream_random_splits)
{
	char stream[400];
	struct sdriver one, s;
	struct driver f;
	uint32_t state = 0x57e40000u + (uint32_t)_i;
	size_t n = random_stream(&state, stream, 60 + lcg_next(&state) % 300);
	enum frame_mode mode = (_i & 1) ? FRAME_MODE_LF_ONLY : FRAME_MODE_AUTO;
	size_t max = 4 + lcg_next(&state) % 40;

	sdrv_run(&one, mode, max, sizeof(stream), stream, n, n);
	drv_run(&f, mode, max, stream, n, DRV_BUF);
	check_stream_like_framer(&one, &f);
	for (size_t chunk = 1; chunk <= 17; chunk++) {
		sdrv_run(&s, mode, max, 0, stream, n, chunk);
		check_same_stream(&one, &s);
	}
}
END_TEST

START_TEST(stream_oversized_skipped_and_counted)
{
	struct sdriver s;
	char frame[200];
	size_t n;

	/* 100 bytes of an octet-counted frame with max 16: dropped whole, then the frames after. */
	n = (size_t)snprintf(frame, sizeof(frame), "100 %0100d5 hello3 abc", 0);
	for (size_t chunk = 1; chunk <= n; chunk++) {
		sdrv_run(&s, FRAME_MODE_AUTO, 16, 0, frame, n, chunk);
		ck_assert_uint_eq(s.out.nrec, 2);
		CHECK_REC(&s.out, 0, FRAME_F_MESSAGE, "hello");
		CHECK_REC(&s.out, 1, FRAME_F_MESSAGE, "abc");
		ck_assert_uint_eq(s.count.oversized, 1);
		ck_assert_uint_eq(s.count.truncated, 0);
		ck_assert_uint_eq(s.count.messages, 2);
	}
}
END_TEST

/* An endless line never fills the buffer: its first max_message bytes come out once, counted,
 * the rest is dropped up to the LF, and the room for the next read is never 0. */
START_TEST(stream_endless_line_bounded)
{
	struct sdriver s;
	char junk[97];

	memset(junk, 'x', sizeof(junk));
	sdrv_init(&s, FRAME_MODE_AUTO, 16, 0);
	ck_assert_uint_eq(frame_stream_room(&s.fs), 16 + FRAME_STREAM_SLACK);
	for (int i = 0; i < 100; i++) {
		sdrv_feed(&s, junk, sizeof(junk), 1 + (size_t)i % 50);
		ck_assert_uint_gt(frame_stream_room(&s.fs), 0);
	}
	sdrv_feed(&s, LIT("\nnext\n"), 64);
	sdrv_finish(&s);
	frame_stream_free(&s.fs);
	ck_assert_uint_eq(s.out.nrec, 2);
	CHECK_REC(&s.out, 0, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, "xxxxxxxxxxxxxxxx");
	CHECK_REC(&s.out, 1, FRAME_F_MESSAGE, "next");
	ck_assert_uint_eq(s.count.truncated, 1);
}
END_TEST

START_TEST(stream_finish_unterminated_line)
{
	struct sdriver s;

	sdrv_init(&s, FRAME_MODE_LF_ONLY, 16, 0);
	sdrv_feed(&s, LIT("one\ntwo\r"), 3);
	ck_assert_uint_eq(s.out.nrec, 1);
	sdrv_finish(&s);
	ck_assert_uint_eq(s.out.nrec, 2);
	CHECK_REC(&s.out, 1, FRAME_F_MESSAGE, "two"); /* a CR at the very end is half a CR LF */
	/* The stream is empty again and takes another input from its start. */
	sdrv_feed(&s, LIT("abcdefghijklmnopqrstuvwxyz"), 5);
	sdrv_finish(&s);
	frame_stream_free(&s.fs);
	ck_assert_uint_eq(s.out.nrec, 3);
	CHECK_REC(&s.out, 2, FRAME_F_MESSAGE | FRAME_F_TRUNCATED, "abcdefghijklmnop");
	ck_assert_uint_eq(s.count.messages, 3);
	ck_assert_uint_eq(s.count.truncated, 1);
}
END_TEST

/* A cut octet-counted frame, or the rest of a skipped one, is dropped at the end, said
 * (FRAME_F_CUT, with the bytes discarded) and counted; the next input starts afresh. */
START_TEST(stream_finish_partial_frame)
{
	struct sdriver s;
	struct frame_result res;

	sdrv_init(&s, FRAME_MODE_AUTO, 16, 0);
	sdrv_feed(&s, LIT("3 abc10 partial"), 4);
	ck_assert_int_eq(frame_stream_finish(&s.fs, &res), 0);
	ck_assert_uint_eq(res.flags, FRAME_F_CUT);
	ck_assert_uint_eq(res.msg.len, 10); /* "10 partial" */
	sdrv_feed(&s, LIT("50 only part of an oversized frame"), 7);
	ck_assert_int_eq(frame_stream_finish(&s.fs, &res), 0);
	ck_assert_uint_eq(res.flags, FRAME_F_CUT);
	sdrv_feed(&s, LIT("2 ok"), 1);
	sdrv_finish(&s);
	frame_stream_free(&s.fs);
	ck_assert_uint_eq(s.out.nrec, 2);
	CHECK_REC(&s.out, 0, FRAME_F_MESSAGE, "abc");
	CHECK_REC(&s.out, 1, FRAME_F_MESSAGE, "ok");
	ck_assert_uint_eq(s.count.oversized, 0); /* never reached its end */
	ck_assert_int_eq(frame_stream_finish(&s.fs, &res), 0);
	ck_assert_uint_eq(res.flags, 0); /* nothing left: nothing cut */
}
END_TEST

START_TEST(stream_take_counts_restarts)
{
	struct frame_stream fs;
	struct frame_result res;
	struct frame_counts c;
	const char in[] = "a\nb\n";

	ck_assert_int_eq(frame_stream_init(&fs, FRAME_MODE_AUTO, 8, 0), 0);
	memcpy(frame_stream_space(&fs), in, sizeof(in) - 1);
	frame_stream_wrote(&fs, sizeof(in) - 1);
	ck_assert_int_eq(frame_stream_next(&fs, &res), 1);
	c = frame_stream_take_counts(&fs);
	ck_assert_uint_eq(c.messages, 1);
	ck_assert_int_eq(frame_stream_next(&fs, &res), 1);
	ck_assert_int_eq(frame_stream_next(&fs, &res), 0);
	c = frame_stream_take_counts(&fs);
	ck_assert_uint_eq(c.messages, 1);
	c = frame_stream_take_counts(&fs);
	ck_assert_uint_eq(c.messages + c.truncated + c.oversized, 0);
	frame_stream_free(&fs);
}
END_TEST

START_TEST(stream_buffer_size)
{
	struct frame_stream fs;

	ck_assert_int_eq(frame_stream_init(&fs, FRAME_MODE_LF_ONLY, 100, 0), 0);
	ck_assert_uint_eq(frame_stream_room(&fs), 100 + FRAME_STREAM_SLACK);
	frame_stream_free(&fs);
	ck_assert_int_eq(frame_stream_init(&fs, FRAME_MODE_LF_ONLY, 100, 1 << 16), 0);
	ck_assert_uint_eq(frame_stream_room(&fs), 1 << 16);
	/* Unread bytes take room until they are framed; compaction gives it back. */
	frame_stream_wrote(&fs, 10);
	ck_assert_uint_eq(frame_stream_room(&fs), (1 << 16) - 10);
	frame_stream_free(&fs);
	frame_stream_free(&fs); /* freeing twice is harmless */
	ck_assert_int_eq(frame_stream_init(&fs, FRAME_MODE_AUTO, SIZE_MAX - 1, 0), -1);
	ck_assert_ptr_null(fs.buf);
	frame_stream_free(&fs);
}
END_TEST

static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *lf = tcase_create("lf");
	TCase *octet = tcase_create("octet");
	TCase *bounds = tcase_create("bounds");
	TCase *stream = tcase_create("stream");
	TCase *finish = tcase_create("finish");
	TCase *fstream = tcase_create("frame_stream");

	tcase_add_test(lf, lf_lines);
	tcase_add_test(lf, crlf_lines);
	tcase_add_test(lf, nul_terminator);
	tcase_add_test(lf, empty_lines);
	tcase_add_test(lf, incomplete_line_waits);
	tcase_add_test(lf, digits_without_space_are_lf);
	tcase_add_test(lf, lf_only_mode);
	tcase_add_test(lf, hostile_bytes_pass_through);
	suite_add_tcase(s, lf);

	tcase_add_test(octet, octet_counted);
	tcase_add_test(octet, octet_counted_exact_max);
	tcase_add_test(octet, octet_counted_incomplete_waits);
	tcase_add_test(octet, count_zero_and_leading_zeros);
	tcase_add_test(octet, lying_count_swallows);
	tcase_add_test(octet, lying_oversized_count_swallows);
	suite_add_tcase(s, octet);

	tcase_add_test(bounds, badcount);
	tcase_add_test(bounds, badcount_truncated);
	tcase_add_test(bounds, ten_digit_count_is_a_count);
	tcase_add_test(bounds, year_first_line_is_no_count);
	tcase_add_test(bounds, oversized_skipped_exactly);
	tcase_add_test(bounds, oversized_in_one_read);
	tcase_add_test(bounds, oversized_split_feeds);
	tcase_add_test(bounds, long_line_truncated);
	tcase_add_test(bounds, long_line_boundaries);
	tcase_add_test(bounds, long_line_byte_by_byte);
	tcase_add_test(bounds, endless_line_bounded_buffer);
	suite_add_tcase(s, bounds);

	tcase_add_test(stream, mixed_stream_one_feed);
	tcase_add_test(stream, mixed_stream_every_split);
	tcase_add_test(stream, lf_only_mixed_stream);
	tcase_add_loop_test(stream, random_streams_split_invariant, 0, 200);
	suite_add_tcase(s, stream);

	tcase_add_test(finish, finish_unterminated_line);
	tcase_add_test(finish, finish_partial_octet_frame);
	tcase_add_test(finish, finish_mid_skip_resets);
	tcase_add_test(finish, finish_mid_discard_resets);
	tcase_add_test(finish, finish_flags);
	suite_add_tcase(s, finish);

	tcase_add_test(fstream, stream_mixed);
	tcase_add_test(fstream, stream_every_split);
	tcase_add_loop_test(fstream, stream_random_splits, 0, 200);
	tcase_add_test(fstream, stream_oversized_skipped_and_counted);
	tcase_add_test(fstream, stream_endless_line_bounded);
	tcase_add_test(fstream, stream_finish_unterminated_line);
	tcase_add_test(fstream, stream_finish_partial_frame);
	tcase_add_test(fstream, stream_take_counts_restarts);
	tcase_add_test(fstream, stream_buffer_size);
	suite_add_tcase(s, fstream);
	return s;
}

int main(void)
{
	return suite_failures(frame_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
