/* The head of an HTTP/1.x request (RFC 9112): request line and header fields up to the empty
 * line, for the daemon's small metrics endpoint. Pure: it reads the bytes it is given and
 * copies nothing; the spans point into them. */
#ifndef ESATLS_HTTPREQ_H
#define ESATLS_HTTPREQ_H

#include <stddef.h>

#include "span.h"

enum httpreq_result {
	HTTPREQ_INCOMPLETE, /* no empty line yet: read more (the caller bounds how much) */
	HTTPREQ_OK,
	HTTPREQ_BAD /* not an HTTP/1.0 or HTTP/1.1 request head */
};

struct httpreq {
	struct span method; /* a token: "GET", "HEAD", ... (case-sensitive, RFC 9110 9.1) */
	struct span target; /* as sent: "/metrics?x=1" */
	struct span path;   /* the target up to "?" */
	int minor;          /* HTTP/1.minor: 0 or 1 */
	int keep_alive;     /* the connection may carry another request after the answer */
	int has_body;       /* Content-Length above 0, or Transfer-Encoding: a body follows */
	size_t head_len;    /* bytes of the head, its empty line included */
};

/* Parses the request head at the start of in. Lines end in CRLF or a bare LF. */
enum httpreq_result httpreq_parse(struct span in, struct httpreq *r);

#endif
