#include "digits.h"
#include "logtime.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (the era-based civil algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t logtime_from_civil(const struct civil *c)
{
	int64_t days = days_from_civil(c->year, (unsigned)c->mon, (unsigned)c->mday);
	return days * 86400 + c->hour * 3600 + c->min * 60 + c->sec;
}

void logtime_to_civil(int64_t wall, struct civil *c)
{
	int64_t days = wall / 86400, rem = wall % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	c->hour = (int)(rem / 3600);
	c->min = (int)(rem % 3600 / 60);
	c->sec = (int)(rem % 60);

	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	c->year = (int)((int64_t)yoe + era * 400 + (m <= 2));
	c->mon = (int)m;
	c->mday = (int)d;
}

int64_t logtime_resolve_year(struct civil *c, int64_t ref)
{
	struct civil r;
	logtime_to_civil(ref, &r);
	/* The latest year that puts the date no more than 31 days after ref. */
	c->year = r.year + 1;
	int64_t t = logtime_from_civil(c);
	while (t > ref + 31 * 86400 && c->year >= r.year) {
		c->year--;
		t = logtime_from_civil(c);
	}
	return t;
}

int64_t logtime_resolve_year_nearest(struct civil *c, int64_t ref)
{
	struct civil r;
	logtime_to_civil(ref, &r);
	int best_year = r.year;
	int64_t best = 0, best_dist = INT64_MAX;
	for (int y = r.year - 1; y <= r.year + 1; y++) {
		c->year = y;
		int64_t t = logtime_from_civil(c);
		int64_t dist = t > ref ? t - ref : ref - t;
		if (dist < best_dist) {
			best_dist = dist;
			best = t;
			best_year = y;
		}
	}
	c->year = best_year;
	return best;
}

int logtime_format_iso(const struct logtime *t, char *buf)
{
	struct civil c;
	char *p = buf;
	logtime_to_civil(t->wall, &c);
	if (c.year < 0 || c.year > 9999)
		c.year = 0;
	p = digits_fixed(p, (unsigned)c.year, 4);
	*p++ = '-';
	p = digits_fixed(p, (unsigned)c.mon, 2);
	*p++ = '-';
	p = digits_fixed(p, (unsigned)c.mday, 2);
	*p++ = 'T';
	p = digits_fixed(p, (unsigned)c.hour, 2);
	*p++ = ':';
	p = digits_fixed(p, (unsigned)c.min, 2);
	*p++ = ':';
	p = digits_fixed(p, (unsigned)c.sec, 2);
	if (t->offset != LOGTIME_NO_OFFSET) {
		int off = t->offset;
		*p++ = off < 0 ? '-' : '+';
		if (off < 0)
			off = -off;
		p = digits_fixed(p, (unsigned)(off / 60 % 100), 2);
		*p++ = ':';
		p = digits_fixed(p, (unsigned)(off % 60), 2);
	}
	*p = '\0';
	return (int)(p - buf);
}
