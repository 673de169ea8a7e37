/* Webhook URLs (url.h). */
#include <arpa/inet.h>
#include <string.h>

#include "url.h"

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 section 3.3 pchar, plus "/" and "?" (section 3.4): what a request line can carry
 * as it is. Anything else must arrive already %-escaped. */
static int target_ok(struct span s)
{
	static const char other[] = "-._~!$&'()*+,;=:@/?";

	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (is_alnum(c) || (c != '\0' && strchr(other, c) != NULL))
			continue;
		if (c == '%' && i + 2 < s.len && is_hex(s.p[i + 1]) && is_hex(s.p[i + 2])) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

static int address_ok(struct span host, int family)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[sizeof(struct in6_addr)];

	/* inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4 */
	if (host.len == 0 || host.len >= sizeof(buf) || memchr(host.p, '\0', host.len) != NULL)
		return 0;
	memcpy(buf, host.p, host.len);
	buf[host.len] = '\0';
	return inet_pton(family, buf, addr) == 1;
}

/* A DNS name: labels of letters, digits, '-' and '_', none empty; the last one not all digits
 * (RFC 3696 section 2), so that "0x7f.0.0.1" is no name that a resolver might read as an
 * address. */
static int name_ok(struct span host)
{
	size_t label = 0;
	int digits = 1, last_digits = 1;

	if (host.len == 0 || host.len > URL_HOST_MAX)
		return 0;
	for (size_t i = 0; i < host.len; i++) {
		char c = host.p[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			last_digits = digits;
			label = 0;
			digits = 1;
		} else if (is_alnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
			digits &= c >= '0' && c <= '9';
		} else {
			return 0;
		}
	}
	if (label > 0)
		last_digits = digits;
	/* a final dot is allowed, a lone one is not */
	return (label > 0 || host.len > 1) && !last_digits;
}

/* All digits of a dotted name make it an IPv4 address or nothing ("1.2.3" is no name). */
static int looks_numeric(struct span host)
{
	for (size_t i = 0; i < host.len; i++)
		if (host.p[i] != '.' && (host.p[i] < '0' || host.p[i] > '9'))
			return 0;
	return 1;
}

static enum url_error parse_host(struct span auth, struct url *u, struct span *port)
{
	const char *end = auth.p + auth.len;

	*port = span_none();
	if (auth.len > 0 && auth.p[0] == '[') {
		const char *close = memchr(auth.p, ']', auth.len);
		if (close == NULL || (close + 1 < end && close[1] != ':'))
			return URL_ERR_HOST;
		u->host = span_make(auth.p + 1, (size_t)(close - auth.p - 1));
		u->host_kind = URL_HOST_IPV6;
		if (close + 1 < end)
			*port = span_make(close + 2, (size_t)(end - close - 2));
		return address_ok(u->host, AF_INET6) ? URL_OK : URL_ERR_HOST;
	}
	const char *colon = memchr(auth.p, ':', auth.len);
	u->host = span_make(auth.p, (size_t)((colon != NULL ? colon : end) - auth.p));
	if (colon != NULL)
		*port = span_make(colon + 1, (size_t)(end - colon - 1));
	if (address_ok(u->host, AF_INET)) {
		u->host_kind = URL_HOST_IPV4;
		return URL_OK;
	}
	u->host_kind = URL_HOST_NAME;
	return !looks_numeric(u->host) && name_ok(u->host) ? URL_OK : URL_ERR_HOST;
}

/* RFC 3986 section 3.2.3: an empty port means the scheme's default. */
static enum url_error parse_port(struct span port, struct url *u)
{
	unsigned long long v;

	u->port = u->scheme == URL_HTTPS ? 443 : 80;
	if (port.len == 0)
		return URL_OK;
	if (span_to_u64(port, 65535, &v) != 0 || v == 0)
		return URL_ERR_PORT;
	u->port = (uint16_t)v;
	return URL_OK;
}

enum url_error url_parse(struct span text, struct url *u)
{
	struct span auth, port;
	size_t start, i;
	enum url_error e;

	memset(u, 0, sizeof(*u));
	/* schemes are case-insensitive (RFC 3986 section 3.1) */
	if (span_starts_ci(text, "https://")) {
		u->scheme = URL_HTTPS;
		start = 8;
	} else if (span_starts_ci(text, "http://")) {
		u->scheme = URL_HTTP;
		start = 7;
	} else {
		return URL_ERR_SCHEME;
	}
	if (memchr(text.p, '#', text.len) != NULL)
		return URL_ERR_FRAGMENT;
	for (i = start; i < text.len && text.p[i] != '/' && text.p[i] != '?'; i++)
		;
	auth = span_make(text.p + start, i - start);
	if (memchr(auth.p, '@', auth.len) != NULL)
		return URL_ERR_USERINFO;
	if ((e = parse_host(auth, u, &port)) != URL_OK || (e = parse_port(port, u)) != URL_OK)
		return e;
	u->target = span_make(text.p + i, text.len - i);
	return target_ok(u->target) ? URL_OK : URL_ERR_PATH;
}

const char *url_error_text(enum url_error e)
{
	switch (e) {
	case URL_OK:
		return "no error";
	case URL_ERR_SCHEME:
		return "the URL must start with http:// or https://";
	case URL_ERR_USERINFO:
		return "a URL may not hold a user name or password (USER@HOST)";
	case URL_ERR_FRAGMENT:
		return "a URL may not have a #fragment";
	case URL_ERR_HOST:
		return "the host must be an IPv4 address, an IPv6 address in brackets or a DNS "
		       "name";
	case URL_ERR_PORT:
		return "the port must be a number from 1 to 65535";
	case URL_ERR_PATH:
		return "the path may hold only URL characters (others escaped as %XX)";
	}
	return "unknown error";
}
