/* Units: durations and sizes as the config file writes them, their exact ranges, and every way a
 * value can be malformed (signs, fractions, white space, case, junk, NUL, huge numbers). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "support.h"

#define SENTINEL 0xdeadbeefcafef00dULL
#define YEARS_100_MS (36500ULL * 86400 * 1000)
#define SIZE_LIMIT (1ULL << 48)

struct case_ok {
	const char *text;
	uint64_t value;
};

static void expect_duration(const char *text, uint64_t want)
{
	uint64_t ms = SENTINEL;
	ck_assert_msg(units_parse_duration_ms(sp(text), &ms) == 0, "rejected \"%s\"", text);
	ck_assert_msg(ms == want, "\"%s\": %llu, want %llu", text, (unsigned long long)ms,
	              (unsigned long long)want);
}

static void expect_bad_duration(struct span s)
{
	uint64_t ms = SENTINEL;
	ck_assert_msg(units_parse_duration_ms(s, &ms) == -1, "accepted \"%.*s\"", (int)s.len,
	              s.p ? s.p : "");
	ck_assert_msg(ms == SENTINEL, "\"%.*s\" wrote on error", (int)s.len, s.p ? s.p : "");
}

static void expect_size(const char *text, uint64_t want)
{
	uint64_t bytes = SENTINEL;
	ck_assert_msg(units_parse_size(sp(text), &bytes) == 0, "rejected \"%s\"", text);
	ck_assert_msg(bytes == want, "\"%s\": %llu, want %llu", text, (unsigned long long)bytes,
	              (unsigned long long)want);
}

static void expect_bad_size(struct span s)
{
	uint64_t bytes = SENTINEL;
	ck_assert_msg(units_parse_size(s, &bytes) == -1, "accepted \"%.*s\"", (int)s.len,
	              s.p ? s.p : "");
	ck_assert_msg(bytes == SENTINEL, "\"%.*s\" wrote on error", (int)s.len, s.p ? s.p : "");
}

START_TEST(test_duration_units)
{
	static const struct case_ok cases[] = {
	    {"0", 0},
	    {"15", 15000},
	    {"90s", 90000},
	    {"10m", 600000},
	    {"24h", 86400000},
	    {"2d", 172800000},
	    {"500ms", 500},
	    {"1ms", 1},
	    {"0ms", 0},
	    {"0s", 0},
	    {"0m", 0},
	    {"0h", 0},
	    {"0d", 0},
	    {"1s", 1000},
	    {"1m", 60000},
	    {"1h", 3600000},
	    {"1d", 86400000},
	    {"1000ms", 1000},
	    {"1001ms", 1001},
	    {"60m", 3600000},
	    {"15m", 900000},
	    {"2s", 2000},
	    {"123456789", 123456789000ULL},
	    /* Leading zeros are plain decimal here: a duration has no octal reading. */
	    {"010s", 10000},
	    {"0000", 0},
	    {"007", 7000},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_duration(cases[i].text, cases[i].value);
}
END_TEST

/* 100 years (36500 days) is the largest duration, exact in every unit; one more unit is over. */
START_TEST(test_duration_limit)
{
	ck_assert_uint_eq(YEARS_100_MS, 3153600000000ULL);
	expect_duration("36500d", YEARS_100_MS);
	expect_duration("876000h", YEARS_100_MS);
	expect_duration("52560000m", YEARS_100_MS);
	expect_duration("3153600000s", YEARS_100_MS);
	expect_duration("3153600000", YEARS_100_MS);
	expect_duration("3153600000000ms", YEARS_100_MS);
	expect_duration("0003153600000000ms", YEARS_100_MS);
	expect_bad_duration(sp("36501d"));
	expect_bad_duration(sp("876001h"));
	expect_bad_duration(sp("52560001m"));
	expect_bad_duration(sp("3153600001s"));
	expect_bad_duration(sp("3153600001"));
	expect_bad_duration(sp("3153600000001ms"));
}
END_TEST

/* Numbers whose product with the unit would wrap 64 bits must not come back small. */
START_TEST(test_duration_overflow)
{
	expect_bad_duration(sp("18446744073709551615"));
	expect_bad_duration(sp("18446744073709551615ms"));
	expect_bad_duration(sp("18446744073709551616ms"));
	expect_bad_duration(sp("18446744073709552s")); /* * 1000 wraps to 384 */
	expect_bad_duration(sp("213503982335d"));      /* * 86400000 wraps to 34448384 */
	expect_bad_duration(sp("99999999999999999999999999999999999999d"));
	expect_bad_duration(sp("340282366920938463463374607431768211456"));
}
END_TEST

START_TEST(test_duration_malformed)
{
	static const char *const bad[] = {
	    "",       "s",    "ms",     "m",     "-1s",  "-0",   "+1s",           "+0",
	    "1.5h",   "1.0s", ".5s",    "1.",    "1,5h", "1e3",  "1e3ms",         "0x10",
	    "0x10s",  "1 s",  " 1s",    "1s ",   "\t1s", "1s\n", "1s\r",          "1S",
	    "1MS",    "1Ms",  "1mS",    "1H",    "1D",   "1M",   "1sec",          "1secs",
	    "1min",   "1hr",  "1ss",    "1msx",  "1sm",  "10m ", "1us",           "1ns",
	    "1w",     "1y",   "1h30m",  "1m30s", "s1",   "ms1",  "1_000",         "1'000",
	    "\"1s\"", "'1s'", "1s\\",   "1\\s",  "1/s",  "∞",    "1\xef\xbc\xb3", "\xef\xbc\x91s",
	    "1\xff",  "\xff", "1\x80s", "NaN",   "inf",  "one",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_duration(sp(bad[i]));
	expect_bad_duration(span_none());
}
END_TEST

/* The span ends where its length says, wherever a NUL or other byte sits. */
START_TEST(test_duration_span_bounds)
{
	uint64_t ms = SENTINEL;
	ck_assert_int_eq(units_parse_duration_ms(span_make("500ms", 4), &ms), 0);
	ck_assert_uint_eq(ms, 500ULL * 60000); /* "500m": minutes */
	ck_assert_int_eq(units_parse_duration_ms(span_make("10m", 2), &ms), 0);
	ck_assert_uint_eq(ms, 10000);
	ck_assert_int_eq(units_parse_duration_ms(span_make("90sx", 3), &ms), 0);
	ck_assert_uint_eq(ms, 90000);
	ck_assert_int_eq(units_parse_duration_ms(span_make("7", 0), &ms), -1);
	ck_assert_uint_eq(ms, 90000);

	expect_bad_duration(span_make("1s\0", 3));
	expect_bad_duration(span_make("1\0s", 3));
	expect_bad_duration(span_make("\0001s", 3));
	expect_bad_duration(span_make("\0", 1));
	ck_assert_int_eq(units_parse_duration_ms(span_make("1s\0", 2), &ms), 0);
	ck_assert_uint_eq(ms, 1000);
}
END_TEST

/* Every unit scales every number exactly, up to where the limit cuts in. */
START_TEST(test_duration_sweep)
{
	static const struct {
		const char *unit;
		uint64_t scale;
	} units[] = {{"", 1000},   {"ms", 1},      {"s", 1000},
	             {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	char text[64];
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		uint64_t top = YEARS_100_MS / units[u].scale;
		uint64_t samples[] = {0, 1, 2, 9, 10, 99, 100, 1000, 36500, top / 2, top - 1, top};
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			snprintf(text, sizeof(text), "%llu%s", (unsigned long long)samples[i],
			         units[u].unit);
			expect_duration(text, samples[i] * units[u].scale);
		}
		snprintf(text, sizeof(text), "%llu%s", (unsigned long long)top + 1, units[u].unit);
		expect_bad_duration(sp(text));
	}
}
END_TEST

START_TEST(test_size_units)
{
	static const struct case_ok cases[] = {
	    {"0", 0},          {"512", 512},        {"512B", 512},      {"0B", 0},
	    {"1B", 1},         {"10kB", 10000},     {"10KB", 10000},    {"10K", 10240},
	    {"10KiB", 10240},  {"64KiB", 65536},    {"1MB", 1000000},   {"1M", 1048576},
	    {"4MiB", 4194304}, {"1GB", 1000000000}, {"1G", 1073741824}, {"1GiB", 1073741824},
	    {"0GiB", 0},       {"1kB", 1000},       {"1K", 1024},       {"1KB", 1000},
	    {"1KiB", 1024},    {"1MiB", 1048576},   {"3G", 3ULL << 30}, {"1023K", 1023 * 1024},
	    {"010K", 10240},   {"65536", 65536},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_size(cases[i].text, cases[i].value);
}
END_TEST

/* 2^48 bytes is the largest size, in every suffix that reaches it exactly. */
START_TEST(test_size_limit)
{
	ck_assert_uint_eq(SIZE_LIMIT, 281474976710656ULL);
	expect_size("281474976710656", SIZE_LIMIT);
	expect_size("281474976710656B", SIZE_LIMIT);
	expect_size("274877906944K", SIZE_LIMIT);
	expect_size("281474976710656B", SIZE_LIMIT);
	expect_size("274877906944KiB", SIZE_LIMIT);
	expect_size("268435456M", SIZE_LIMIT);
	expect_size("268435456MiB", SIZE_LIMIT);
	expect_size("262144G", SIZE_LIMIT);
	expect_size("262144GiB", SIZE_LIMIT);
	expect_size("281474976710kB", 281474976710000ULL);
	expect_size("281474976MB", 281474976000000ULL);
	expect_size("281474GB", 281474000000000ULL);

	expect_bad_size(sp("281474976710657"));
	expect_bad_size(sp("281474976710657B"));
	expect_bad_size(sp("274877906945K"));
	expect_bad_size(sp("274877906945KiB"));
	expect_bad_size(sp("268435457M"));
	expect_bad_size(sp("268435457MiB"));
	expect_bad_size(sp("262145G"));
	expect_bad_size(sp("262145GiB"));
	expect_bad_size(sp("281474976711kB"));
	expect_bad_size(sp("281474977MB"));
	expect_bad_size(sp("281475GB"));
	expect_bad_size(sp("18446744073709551615"));
	expect_bad_size(sp("18446744073709551616"));
	expect_bad_size(sp("17179869184G"));       /* * 2^30 wraps to 0 */
	expect_bad_size(sp("18014398509481984K")); /* * 2^10 wraps to 0 */
	expect_bad_size(sp("99999999999999999999999999999999999GiB"));
}
END_TEST

START_TEST(test_size_malformed)
{
	static const char *const bad[] = {
	    "",       "B",      "K",       "KiB",      "k",     "10k",       "10b",
	    "10kb",   "10Kb",   "10kiB",   "10KIB",    "10Kib", "10kIB",     "10mb",
	    "10m",    "10mB",   "10Mb",    "10MIB",    "10g",   "10gb",      "10Gb",
	    "10GIB",  "10T",    "10TB",    "10TiB",    "10P",   "10E",       "10Ki",
	    "10Mi",   "10Gi",   "10i",     "10iB",     "10BB",  "10KiBB",    "10KK",
	    "10KMB",  "10 KiB", " 10",     "10 ",      "10\t",  "\n10",      "1.5M",
	    "1.5",    ".5K",    "1,5M",    "-1",       "-1K",   "+1",        "+1K",
	    "0x10",   "0x10K",  "1e3",     "1e3B",     "K10",   "KiB10",     "1_024",
	    "\"1K\"", "1K\\",   "1\\K",    "1/K",      "1\xff", "1\xc3\xa9", "\xef\xbc\x91K",
	    "1\x80",  "bytes",  "10bytes", "10 bytes",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_size(sp(bad[i]));
	expect_bad_size(span_none());
}
END_TEST

START_TEST(test_size_span_bounds)
{
	uint64_t bytes = SENTINEL;
	ck_assert_int_eq(units_parse_size(span_make("4MiB", 2), &bytes), 0);
	ck_assert_uint_eq(bytes, 1048576 * 4); /* "4M" */
	ck_assert_int_eq(units_parse_size(span_make("64KiB", 3), &bytes), 0);
	ck_assert_uint_eq(bytes, 65536); /* "64K" */
	ck_assert_int_eq(units_parse_size(span_make("10kB", 2), &bytes), 0);
	ck_assert_uint_eq(bytes, 10);
	expect_bad_size(span_make("64Ki", 4));
	expect_bad_size(span_make("10kB", 3)); /* "10k" */
	expect_bad_size(span_make("1K\0", 3));
	expect_bad_size(span_make("1\0K", 3));
	expect_bad_size(span_make("\0", 1));
	expect_bad_size(span_make("512", 0));
}
END_TEST

START_TEST(test_size_sweep)
{
	static const struct {
		const char *unit;
		uint64_t scale;
	} units[] = {{"", 1},          {"B", 1},           {"kB", 1000},    {"K", 1024},
	             {"KB", 1000},     {"KiB", 1024},      {"MB", 1000000}, {"M", 1 << 20},
	             {"MiB", 1 << 20}, {"GB", 1000000000}, {"G", 1 << 30},  {"GiB", 1 << 30}};
	char text[64];
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		uint64_t top = SIZE_LIMIT / units[u].scale;
		uint64_t samples[] = {0, 1, 2, 7, 10, 64, 999, 1000, 1024, top / 3, top - 1, top};
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			snprintf(text, sizeof(text), "%llu%s", (unsigned long long)samples[i],
			         units[u].unit);
			expect_size(text, samples[i] * units[u].scale);
		}
		snprintf(text, sizeof(text), "%llu%s", (unsigned long long)top + 1, units[u].unit);
		expect_bad_size(sp(text));
	}
}
END_TEST

/* Sizes and durations are separate vocabularies: each refuses the other's suffixes. */
START_TEST(test_vocabularies_disjoint)
{
	static const char *const size_only[] = {"1B",   "1kB", "1K", "1KB", "1KiB", "1MB",
	                                        "1MiB", "1M",  "1G", "1GB", "1GiB"};
	static const char *const duration_only[] = {"1ms", "1s", "1m", "1h", "1d"};
	for (size_t i = 0; i < sizeof(size_only) / sizeof(size_only[0]); i++)
		expect_bad_duration(sp(size_only[i]));
	for (size_t i = 0; i < sizeof(duration_only) / sizeof(duration_only[0]); i++)
		expect_bad_size(sp(duration_only[i]));
}
END_TEST

static Suite *units_suite(void)
{
	Suite *s = suite_create("units");
	TCase *d = tcase_create("duration");
	tcase_add_test(d, test_duration_units);
	tcase_add_test(d, test_duration_limit);
	tcase_add_test(d, test_duration_overflow);
	tcase_add_test(d, test_duration_malformed);
	tcase_add_test(d, test_duration_span_bounds);
	tcase_add_test(d, test_duration_sweep);
	suite_add_tcase(s, d);
	TCase *z = tcase_create("size");
	tcase_add_test(z, test_size_units);
	tcase_add_test(z, test_size_limit);
	tcase_add_test(z, test_size_malformed);
	tcase_add_test(z, test_size_span_bounds);
	tcase_add_test(z, test_size_sweep);
	tcase_add_test(z, test_vocabularies_disjoint);
	suite_add_tcase(s, z);
	return s;
}

int main(void)
{
	return suite_failures(units_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
