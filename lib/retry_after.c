/* Retry-After (retry_after.h). */
#include <string.h>

#include "retry_after.h"

#define RETRY_AFTER_SECONDS_MAX 4000000000ULL /* more than a century: nobody waits that long */

static int two_digits(const char *p, int *out)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes exactly (RFC 9110 section 5.6.7). */
static int imf_fixdate(struct span v, int64_t *when)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char days[] = "MonTueWedThuFriSatSun";
	const char *p = v.p;
	int day, hour, min, sec, y1, y2, month = -1;

	if (v.len != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' || p[25] != ' ' ||
	    memcmp(p + 26, "GMT", 3) != 0)
		return -1;
	int dow_ok = 0;
	for (int i = 0; i < 7; i++)
		dow_ok |= memcmp(p, days + 3 * i, 3) == 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(p + 8, months + 3 * i, 3) == 0)
			month = i + 1;
	if (!dow_ok || month < 0 || two_digits(p + 5, &day) != 0 || two_digits(p + 12, &y1) != 0 ||
	    two_digits(p + 14, &y2) != 0 || two_digits(p + 17, &hour) != 0 ||
	    two_digits(p + 20, &min) != 0 || two_digits(p + 23, &sec) != 0)
		return -1;
	if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -1;
	*when = days_from_civil(y1 * 100 + y2, month, day) * 86400 + hour * 3600 + min * 60 + sec;
	return 0;
}

int retry_after_parse(struct span v, int64_t now, uint64_t *seconds)
{
	unsigned long long n;
	int64_t when;

	v = span_trim(v);
	if (v.len > 0 && v.p[0] >= '0' && v.p[0] <= '9') {
		for (size_t i = 0; i < v.len; i++)
			if (v.p[i] < '0' || v.p[i] > '9')
				return -1;
		/* All digits: a number past the bound only means "a very long time". */
		*seconds =
		    span_to_u64(v, RETRY_AFTER_SECONDS_MAX, &n) == 0 ? n : RETRY_AFTER_SECONDS_MAX;
		return 0;
	}
	if (imf_fixdate(v, &when) != 0)
		return -1;
	*seconds = when > now ? (uint64_t)(when - now) : 0;
	return 0;
}
