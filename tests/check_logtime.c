/* Log timestamps: civil <-> seconds, the year given to year-less syslog dates, ISO 8601 output. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logtime.h"
#include "support.h"

#define DAY 86400

static int64_t wall_of(int y, int mo, int d, int h, int mi, int s)
{
	struct civil c = {y, mo, d, h, mi, s};
	return logtime_from_civil(&c);
}

static void check_civil(const struct civil *c, int y, int mo, int d, int h, int mi, int s)
{
	ck_assert_msg(c->year == y && c->mon == mo && c->mday == d && c->hour == h &&
	                  c->min == mi && c->sec == s,
	              "got %04d-%02d-%02dT%02d:%02d:%02d, want %04d-%02d-%02dT%02d:%02d:%02d",
	              c->year, c->mon, c->mday, c->hour, c->min, c->sec, y, mo, d, h, mi, s);
}

/* ---- civil <-> seconds ---- */

START_TEST(test_known_instants)
{
	ck_assert_int_eq(wall_of(1970, 1, 1, 0, 0, 0), 0);
	ck_assert_int_eq(wall_of(1970, 1, 1, 0, 0, 1), 1);
	ck_assert_int_eq(wall_of(1969, 12, 31, 23, 59, 59), -1);
	ck_assert_int_eq(wall_of(1970, 1, 2, 0, 0, 0), DAY);
	ck_assert_int_eq(wall_of(1972, 2, 29, 0, 0, 0), 68169600);
	ck_assert_int_eq(wall_of(2000, 2, 29, 0, 0, 0), 951782400);
	ck_assert_int_eq(wall_of(2005, 6, 28, 19, 8, 49), 1119985729);
	ck_assert_int_eq(wall_of(2038, 1, 19, 3, 14, 7), INT32_MAX);
	ck_assert_int_eq(wall_of(2038, 1, 19, 3, 14, 8), (int64_t)INT32_MAX + 1);
	ck_assert_int_eq(wall_of(2106, 2, 7, 6, 28, 15), UINT32_MAX);
	ck_assert_int_eq(wall_of(9999, 12, 31, 23, 59, 59), 253402300799LL);
	ck_assert_int_eq(wall_of(1, 1, 1, 0, 0, 0), -62135596800LL);
	ck_assert_int_eq(wall_of(1901, 12, 13, 20, 45, 52), INT32_MIN);
}
END_TEST

START_TEST(test_to_civil_edges)
{
	struct civil c;
	logtime_to_civil(0, &c);
	check_civil(&c, 1970, 1, 1, 0, 0, 0);
	logtime_to_civil(-1, &c);
	check_civil(&c, 1969, 12, 31, 23, 59, 59);
	logtime_to_civil(-DAY, &c);
	check_civil(&c, 1969, 12, 31, 0, 0, 0);
	logtime_to_civil(-DAY - 1, &c);
	check_civil(&c, 1969, 12, 30, 23, 59, 59);
	logtime_to_civil(INT32_MAX, &c);
	check_civil(&c, 2038, 1, 19, 3, 14, 7);
	logtime_to_civil((int64_t)INT32_MAX + 1, &c);
	check_civil(&c, 2038, 1, 19, 3, 14, 8);
	logtime_to_civil(INT32_MIN, &c);
	check_civil(&c, 1901, 12, 13, 20, 45, 52);
	logtime_to_civil(253402300799LL, &c);
	check_civil(&c, 9999, 12, 31, 23, 59, 59);
	logtime_to_civil(253402300800LL, &c);
	check_civil(&c, 10000, 1, 1, 0, 0, 0);
	logtime_to_civil(-62135596800LL, &c);
	check_civil(&c, 1, 1, 1, 0, 0, 0);
}
END_TEST

static int is_leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_days(int y, int m)
{
	static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m];
}

/* Walks every day from 1600-01-01 to 10000-01-01 with a plain calendar counter: each day is
 * 86400 s after the one before, and both conversions agree with the counter. The span holds
 * the century rules (1700, 1800, 1900 not leap; 1600, 2000, 2400 leap), 1970 and 2038. */
START_TEST(test_every_day_round_trip)
{
	int y = 1600, m = 1, d = 1;
	int64_t wall = wall_of(1600, 1, 1, 0, 0, 0);
	ck_assert_int_eq(wall, -11676096000LL);
	while (y < 10000) {
		struct civil c;
		require(wall_of(y, m, d, 0, 0, 0) == wall, "%04d-%02d-%02d", y, m, d);
		logtime_to_civil(wall, &c);
		if (c.year != y || c.mon != m || c.mday != d)
			check_civil(&c, y, m, d, 0, 0, 0);
		logtime_to_civil(wall + DAY - 1, &c);
		if (c.year != y || c.mon != m || c.mday != d || c.hour != 23 || c.sec != 59)
			check_civil(&c, y, m, d, 23, 59, 59);
		wall += DAY;
		if (++d > month_days(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	ck_assert_int_eq(wall, 253402300800LL);
}
END_TEST

START_TEST(test_leap_years)
{
	ck_assert_int_eq(wall_of(2000, 3, 1, 0, 0, 0) - wall_of(2000, 2, 28, 0, 0, 0), 2 * DAY);
	ck_assert_int_eq(wall_of(1900, 3, 1, 0, 0, 0) - wall_of(1900, 2, 28, 0, 0, 0), DAY);
	ck_assert_int_eq(wall_of(2100, 3, 1, 0, 0, 0) - wall_of(2100, 2, 28, 0, 0, 0), DAY);
	ck_assert_int_eq(wall_of(2024, 3, 1, 0, 0, 0) - wall_of(2024, 2, 28, 0, 0, 0), 2 * DAY);
	ck_assert_int_eq(wall_of(2023, 3, 1, 0, 0, 0) - wall_of(2023, 2, 28, 0, 0, 0), DAY);
	ck_assert_int_eq(wall_of(2025, 1, 1, 0, 0, 0) - wall_of(2024, 1, 1, 0, 0, 0), 366 * DAY);
	ck_assert_int_eq(wall_of(2024, 1, 1, 0, 0, 0) - wall_of(2023, 1, 1, 0, 0, 0), 365 * DAY);
	ck_assert_int_eq(wall_of(2001, 1, 1, 0, 0, 0) - wall_of(2000, 1, 1, 0, 0, 0), 366 * DAY);
	struct civil c;
	logtime_to_civil(wall_of(2024, 2, 29, 12, 0, 0), &c);
	check_civil(&c, 2024, 2, 29, 12, 0, 0);
}
END_TEST

/* Every second of a day, and pseudo-random instants over years 1..9999, survive the round trip. */
START_TEST(test_seconds_round_trip)
{
	struct civil c;
	int64_t base = wall_of(2016, 12, 31, 0, 0, 0);
	for (int64_t s = 0; s < DAY; s++) {
		logtime_to_civil(base + s, &c);
		require(c.year == 2016 && c.mon == 12 && c.mday == 31 &&
		            c.hour * 3600 + c.min * 60 + c.sec == s,
		        "second %lld", (long long)s);
		require(logtime_from_civil(&c) == base + s, "second %lld", (long long)s);
	}
	uint64_t x = 0x243F6A8885A308D3ULL;
	int64_t lo = -62135596800LL, range = 253402300800LL - lo;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t w = lo + (int64_t)(x % (uint64_t)range);
		logtime_to_civil(w, &c);
		require(c.year >= 1 && c.year <= 9999 && c.mon >= 1 && c.mon <= 12 && c.mday >= 1 &&
		            c.mday <= month_days(c.year, c.mon) && c.hour >= 0 && c.hour < 24 &&
		            c.min >= 0 && c.min < 60 && c.sec >= 0 && c.sec < 60,
		        "wall %lld", (long long)w);
		require(logtime_from_civil(&c) == w, "wall %lld", (long long)w);
	}
}
END_TEST

/* ---- year-less dates (RFC 3164 timestamps carry none) ---- */

static int64_t resolve(int mo, int d, int h, int mi, int s, int64_t ref, int *year)
{
	struct civil c = {0, mo, d, h, mi, s};
	int64_t t = logtime_resolve_year(&c, ref);
	*year = c.year;
	ck_assert_int_eq(logtime_from_civil(&c), t);
	return t;
}

START_TEST(test_resolve_same_year)
{
	int y;
	int64_t ref = wall_of(2023, 9, 6, 13, 13, 16);
	ck_assert_int_eq(resolve(9, 6, 13, 13, 16, ref, &y), ref);
	ck_assert_int_eq(y, 2023);
	ck_assert_int_eq(resolve(9, 6, 13, 13, 10, ref, &y), ref - 6);
	ck_assert_int_eq(resolve(9, 6, 13, 13, 20, ref, &y), ref + 4); /* a clock slightly ahead */
	ck_assert_int_eq(y, 2023);
	ck_assert_int_eq(resolve(1, 1, 0, 0, 0, ref, &y), wall_of(2023, 1, 1, 0, 0, 0));
	ck_assert_int_eq(resolve(10, 7, 0, 0, 0, ref, &y), wall_of(2023, 10, 7, 0, 0, 0));
	ck_assert_int_eq(y, 2023);
}
END_TEST

/* Dec -> Jan: a December line read in early January belongs to last year. */
START_TEST(test_resolve_december_read_in_january)
{
	int y;
	int64_t ref = wall_of(2024, 1, 1, 0, 0, 30);
	ck_assert_int_eq(resolve(12, 31, 23, 59, 59, ref, &y), wall_of(2023, 12, 31, 23, 59, 59));
	ck_assert_int_eq(y, 2023);
	ck_assert_int_eq(resolve(12, 1, 0, 0, 0, ref, &y), wall_of(2023, 12, 1, 0, 0, 0));
	ck_assert_int_eq(y, 2023);
	ck_assert_int_eq(resolve(1, 1, 0, 0, 10, ref, &y), wall_of(2024, 1, 1, 0, 0, 10));
	ck_assert_int_eq(y, 2024);
	/* Up to 31 days ahead of ref still counts as this year (a fast clock, not last year). */
	ck_assert_int_eq(resolve(2, 1, 0, 0, 30, ref, &y), wall_of(2024, 2, 1, 0, 0, 30));
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(resolve(2, 1, 0, 0, 31, ref, &y), wall_of(2023, 2, 1, 0, 0, 31));
	ck_assert_int_eq(y, 2023);
}
END_TEST

/* Jan -> Dec: a January line read on Dec 31 (a fast sender clock) belongs to next year. */
START_TEST(test_resolve_january_read_in_december)
{
	int y;
	int64_t ref = wall_of(2023, 12, 31, 23, 59, 0);
	ck_assert_int_eq(resolve(1, 1, 0, 0, 5, ref, &y), wall_of(2024, 1, 1, 0, 0, 5));
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(resolve(1, 31, 23, 59, 0, ref, &y), wall_of(2024, 1, 31, 23, 59, 0));
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(resolve(12, 31, 23, 58, 0, ref, &y), wall_of(2023, 12, 31, 23, 58, 0));
	ck_assert_int_eq(y, 2023);
	ck_assert_int_eq(resolve(2, 15, 0, 0, 0, ref, &y), wall_of(2023, 2, 15, 0, 0, 0));
	ck_assert_int_eq(y, 2023);
	/* Into a leap year: Feb 29 on the next year's calendar. */
	ref = wall_of(2024, 2, 10, 0, 0, 0);
	ck_assert_int_eq(resolve(2, 29, 6, 0, 0, ref, &y), wall_of(2024, 2, 29, 6, 0, 0));
	ck_assert_int_eq(y, 2024);
}
END_TEST

/* Dates early in the year read late in a leap year: the year after would put them more than
 * 31 days past ref, so they stay in ref's year. */
START_TEST(test_resolve_leap_year_window)
{
	int y;
	int64_t ref = wall_of(2024, 12, 1, 0, 0, 0);
	ck_assert_int_eq(resolve(1, 1, 12, 0, 0, ref, &y), wall_of(2024, 1, 1, 12, 0, 0));
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(resolve(1, 1, 0, 0, 0, ref, &y), wall_of(2025, 1, 1, 0, 0, 0));
	ck_assert_int_eq(y, 2025);
	ref = wall_of(2024, 12, 31, 12, 0, 0);
	ck_assert_int_eq(resolve(2, 1, 0, 0, 0, ref, &y), wall_of(2024, 2, 1, 0, 0, 0));
	ck_assert_int_eq(y, 2024);
}
END_TEST

/* The contract over many refs and dates: the result is never more than 31 days after ref, and
 * the same date a year later would be (so it is the latest such year). */
START_TEST(test_resolve_window_invariant)
{
	uint64_t x = 0x13198A2E03707344ULL;
	int64_t lo = wall_of(1971, 1, 1, 0, 0, 0), range = wall_of(9998, 1, 1, 0, 0, 0) - lo;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t ref = lo + (int64_t)(x % (uint64_t)range);
		int mo = 1 + (int)(x >> 40) % 12;
		int d = 1 + (int)((x >> 44) % (uint64_t)(mo == 2 ? 28 : month_days(2001, mo)));
		struct civil c = {
		    0, mo, d, (int)((x >> 50) % 24), (int)((x >> 20) % 60), (int)((x >> 30) % 60)};
		int64_t t = logtime_resolve_year(&c, ref);
		require(t <= ref + 31 * DAY, "ref %lld gave %lld", (long long)ref, (long long)t);
		require(logtime_from_civil(&c) == t, "ref %lld: year not set", (long long)ref);
		c.year++;
		require(logtime_from_civil(&c) > ref + 31 * DAY, "ref %lld: year %d is later",
		        (long long)ref, c.year);
	}
}
END_TEST

/* ---- ISO 8601 output ---- */

static void check_iso(int64_t wall, int offset, const char *want)
{
	char buf[40];
	memset(buf, 0x5A, sizeof buf);
	struct logtime t = {wall, (int16_t)offset, 1};
	int n = logtime_format_iso(&t, buf);
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_str_eq(buf, want);
	/* Nothing past the NUL, and within the documented 32 bytes. */
	ck_assert_int_lt(n, 32);
	for (size_t k = (size_t)n + 1; k < sizeof buf; k++)
		ck_assert_int_eq(buf[k], 0x5A);
}

START_TEST(test_iso_without_offset)
{
	check_iso(wall_of(2005, 6, 28, 19, 8, 49), LOGTIME_NO_OFFSET, "2005-06-28T19:08:49");
	check_iso(0, LOGTIME_NO_OFFSET, "1970-01-01T00:00:00");
	check_iso(-1, LOGTIME_NO_OFFSET, "1969-12-31T23:59:59");
	check_iso(INT32_MAX, LOGTIME_NO_OFFSET, "2038-01-19T03:14:07");
	check_iso((int64_t)INT32_MAX + 1, LOGTIME_NO_OFFSET, "2038-01-19T03:14:08");
	check_iso(253402300799LL, LOGTIME_NO_OFFSET, "9999-12-31T23:59:59");
	check_iso(-62135596800LL, LOGTIME_NO_OFFSET, "0001-01-01T00:00:00");
	check_iso(wall_of(2024, 2, 29, 9, 5, 3), LOGTIME_NO_OFFSET, "2024-02-29T09:05:03");
}
END_TEST

START_TEST(test_iso_with_offset)
{
	int64_t w = wall_of(2023, 9, 6, 13, 13, 16);
	check_iso(w, 0, "2023-09-06T13:13:16+00:00");
	check_iso(w, 60, "2023-09-06T13:13:16+01:00");
	check_iso(w, 330, "2023-09-06T13:13:16+05:30");
	check_iso(w, 345, "2023-09-06T13:13:16+05:45");
	check_iso(w, 840, "2023-09-06T13:13:16+14:00");
	check_iso(w, 5999, "2023-09-06T13:13:16+99:59");
	/* "Time offset from UTC: -21600 seconds" and friends west of UTC. */
	check_iso(w, -360, "2023-09-06T13:13:16-06:00");
	check_iso(w, -330, "2023-09-06T13:13:16-05:30");
	check_iso(w, -720, "2023-09-06T13:13:16-12:00");
	check_iso(w, -60, "2023-09-06T13:13:16-01:00");
	check_iso(w, -59, "2023-09-06T13:13:16-00:59");
	check_iso(w, -1, "2023-09-06T13:13:16-00:01");
	check_iso(w, -5999, "2023-09-06T13:13:16-99:59");
	/* The wall clock is printed as logged; the offset is not applied to it. */
	check_iso(0, -300, "1970-01-01T00:00:00-05:00");
}
END_TEST

/* Instants outside years 0..9999 and extreme offsets keep the fixed shape within 32 bytes. */
START_TEST(test_iso_shape_at_extremes)
{
	static const int64_t walls[] = {INT64_MIN,         INT64_MIN + 1,      INT64_MAX,
	                                INT64_MAX - 86399, -62167219201LL,     253402300800LL,
	                                (int64_t)1 << 50,  -((int64_t)1 << 50)};
	static const int offsets[] = {LOGTIME_NO_OFFSET, INT16_MAX, INT16_MIN + 1, 0};
	for (size_t i = 0; i < sizeof walls / sizeof walls[0]; i++) {
		for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
			char buf[40];
			memset(buf, 0x5A, sizeof buf);
			struct logtime t = {walls[i], (int16_t)offsets[k], 1};
			int n = logtime_format_iso(&t, buf);
			const char *shape = offsets[k] == LOGTIME_NO_OFFSET
			                        ? "dddd-dd-ddTdd:dd:dd"
			                        : "dddd-dd-ddTdd:dd:dd+dd:dd";
			ck_assert_int_eq(n, (int)strlen(shape));
			ck_assert_int_eq(buf[n], '\0');
			for (int j = 0; j < n; j++) {
				if (shape[j] == 'd')
					ck_assert_msg(buf[j] >= '0' && buf[j] <= '9', "%s", buf);
				else if (shape[j] == '+')
					ck_assert_msg(buf[j] == '+' || buf[j] == '-', "%s", buf);
				else
					ck_assert_msg(buf[j] == shape[j], "%s", buf);
			}
			for (size_t j = (size_t)n + 1; j < sizeof buf; j++)
				ck_assert_int_eq(buf[j], 0x5A);
		}
	}
}
END_TEST

static Suite *logtime_suite(void)
{
	Suite *s = suite_create("logtime");
	TCase *tc = tcase_create("civil");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_known_instants);
	tcase_add_test(tc, test_to_civil_edges);
	tcase_add_test(tc, test_every_day_round_trip);
	tcase_add_test(tc, test_leap_years);
	tcase_add_test(tc, test_seconds_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("resolve_year");
	tcase_add_test(tc, test_resolve_same_year);
	tcase_add_test(tc, test_resolve_december_read_in_january);
	tcase_add_test(tc, test_resolve_january_read_in_december);
	tcase_add_test(tc, test_resolve_leap_year_window);
	tcase_add_test(tc, test_resolve_window_invariant);
	suite_add_tcase(s, tc);

	tc = tcase_create("iso");
	tcase_add_test(tc, test_iso_without_offset);
	tcase_add_test(tc, test_iso_with_offset);
	tcase_add_test(tc, test_iso_shape_at_extremes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(logtime_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
