/* Socket addresses (addr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cidr.h"
#include "span.h"

/* Splits "IP:PORT" or "[IPv6]:PORT" into the host (NUL-terminated in host_buf) and the port. */
static int split_host_port(const char *text, size_t len, char host_buf[INET6_ADDRSTRLEN], int *v6,
                           unsigned long long *port)
{
	const char *host, *colon;
	size_t host_len;

	*v6 = len > 0 && text[0] == '[';
	if (*v6) {
		const char *close = memchr(text, ']', len);
		if (close == NULL || close + 1 == text + len || close[1] != ':')
			return -1;
		host = text + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = memrchr(text, ':', len);
		if (colon == NULL)
			return -1;
		host = text;
		host_len = (size_t)(colon - text);
		if (memchr(host, ':', host_len) != NULL)
			return -1; /* IPv6 needs its brackets */
	}
	if (host_len == 0 || host_len >= INET6_ADDRSTRLEN || memchr(host, '\0', host_len) != NULL)
		return -1;
	memcpy(host_buf, host, host_len);
	host_buf[host_len] = '\0';
	return span_to_u64(span_make(colon + 1, (size_t)(text + len - colon - 1)), 65535, port);
}

int addr_parse(const char *text, size_t len, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN];
	unsigned long long port;
	int v6;

	if (split_host_port(text, len, host, &v6, &port) != 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sl = sizeof(*sin);
	}
	return 0;
}

int addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       memcmp(&x->sin_addr, &y->sin_addr, sizeof(x->sin_addr)) == 0;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

void addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	snprintf(buf, size, "?");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)) != NULL)
			snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)) != NULL)
			snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
}

void addr_to_cidr_form(const struct sockaddr_storage *ss, uint8_t out[16])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		cidr_addr_from_bytes((const uint8_t *)&in->sin_addr, 4, out);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		cidr_addr_from_bytes(in6->sin6_addr.s6_addr, 16, out);
	} else {
		memset(out, 0, 16);
	}
}

void addr_host_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t a[16];

	addr_to_cidr_form(ss, a);
	if (ss->ss_family == AF_INET || memcmp(a, mapped, 12) == 0) {
		if (inet_ntop(AF_INET, a + 12, buf, (socklen_t)size) == NULL)
			snprintf(buf, size, "?");
	} else if (inet_ntop(AF_INET6, a, buf, (socklen_t)size) == NULL) {
		snprintf(buf, size, "?");
	}
}
