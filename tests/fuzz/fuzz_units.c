/* libFuzzer target for durations and sizes: any bytes in, and the result must equal a plain
 * reference reading of the grammar (digits, then exactly one listed suffix, product at most the
 * limit), for the whole input and for every shorter prefix of it, with the output untouched on
 * error. The prefixes catch a parser that reads past its span into bytes ASan cannot flag. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define SENTINEL 0x0123456789abcdefULL
#define PREFIXES_UP_TO 64

struct ref_unit {
	const char *name;
	uint64_t scale;
};

static const struct ref_unit ref_durations[] = {
    {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

static const struct ref_unit ref_sizes[] = {
    {"", 1},          {"B", 1},           {"kB", 1000},    {"K", 1024},
    {"KB", 1000},     {"KiB", 1024},      {"MB", 1000000}, {"M", 1 << 20},
    {"MiB", 1 << 20}, {"GB", 1000000000}, {"G", 1 << 30},  {"GiB", 1 << 30},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
	if (!ok)
		abort();
}

/* The grammar read the slow, obvious way: 0 and *out, or -1. */
static int ref_parse(const char *p, size_t n, const struct ref_unit *units, size_t n_units,
                     uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && p[i] >= '0' && p[i] <= '9') {
		if (v <= max) /* past max it stays past max; no wrap */
			v = v * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	if (i == 0)
		return -1;
	for (size_t u = 0; u < n_units; u++) {
		if (strlen(units[u].name) != n - i || memcmp(units[u].name, p + i, n - i) != 0)
			continue;
		if (v > max / units[u].scale)
			return -1;
		*out = v * units[u].scale;
		return 0;
	}
	return -1;
}

static void check_one(const char *p, size_t n)
{
	uint64_t got, want;
	int rc, ref;

	got = SENTINEL;
	rc = units_parse_duration_ms(span_make(p, n), &got);
	ref = ref_parse(p, n, ref_durations, sizeof(ref_durations) / sizeof(ref_durations[0]),
	                36500ULL * 86400 * 1000, &want);
	require(rc == ref);
	require(rc == 0 ? got == want : got == SENTINEL);

	got = SENTINEL;
	rc = units_parse_size(span_make(p, n), &got);
	ref =
	    ref_parse(p, n, ref_sizes, sizeof(ref_sizes) / sizeof(ref_sizes[0]), 1ULL << 48, &want);
	require(rc == ref);
	require(rc == 0 ? got == want : got == SENTINEL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;

	check_one(size == 0 ? NULL : p, size);
	if (size <= PREFIXES_UP_TO)
		for (size_t n = 1; n < size; n++)
			check_one(p, n);
	return 0;
}
