#include "units.h"

#include <string.h>

#define UNITS_DURATION_MAX_MS (36500ULL * 86400 * 1000)
#define UNITS_SIZE_MAX (1ULL << 48)

struct unit {
	const char *name; /* "" for the bare number */
	unsigned long long scale;
};

static const struct unit duration_units[] = {
    {"", 1000},
    {"ms", 1},
    {"s", 1000},
    {"m", 60ULL * 1000},
    {"h", 3600ULL * 1000},
    {"d", 86400ULL * 1000},
};

static const struct unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"kB", 1000ULL},
    {"K", 1ULL << 10},
    {"KB", 1000},
    {"KiB", 1ULL << 10},
    {"MB", 1000ULL * 1000},
    {"M", 1ULL << 20},
    {"MiB", 1ULL << 20},
    {"GB", 1000ULL * 1000 * 1000},
    {"G", 1ULL << 30},
    {"GiB", 1ULL << 30},
};

/* Case-sensitive: "m" is minutes but "M" is mebibytes, "b" is no byte. */
static int unit_name_eq(struct span s, const char *name)
{
	size_t n = strlen(name);
	return s.len == n && (n == 0 || memcmp(s.p, name, n) == 0);
}

static size_t leading_digits(struct span s)
{
	size_t i = 0;
	while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9')
		i++;
	return i;
}

/* Splits s into digits and suffix, looks the suffix up in units[], and checks that the number
 * times the unit's scale stays at most max. */
static int units_parse(struct span s, const struct unit *units, size_t n_units,
                       unsigned long long max, uint64_t *out)
{
	size_t ndigits = leading_digits(s);
	unsigned long long v;

	if (ndigits == 0)
		return -1; /* also an absent span, whose NULL must not be offset */
	struct span number = span_make(s.p, ndigits);
	struct span suffix = span_make(s.p + ndigits, s.len - ndigits);
	for (size_t i = 0; i < n_units; i++) {
		if (!unit_name_eq(suffix, units[i].name))
			continue;
		if (span_to_u64(number, max / units[i].scale, &v) != 0)
			return -1;
		*out = (uint64_t)(v * units[i].scale);
		return 0;
	}
	return -1;
}

int units_parse_duration_ms(struct span s, uint64_t *ms)
{
	return units_parse(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]),
	                   UNITS_DURATION_MAX_MS, ms);
}

int units_parse_size(struct span s, uint64_t *bytes)
{
	return units_parse(s, size_units, sizeof(size_units) / sizeof(size_units[0]),
	                   UNITS_SIZE_MAX, bytes);
}
