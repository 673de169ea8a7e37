/* The one parser of webhook URLs (RFC 3986): "SCHEME://HOST[:PORT][/PATH][?QUERY]" with SCHEME
 * http or https. Pure: it only looks at the bytes it is given. */
#ifndef ESATLS_URL_H
#define ESATLS_URL_H

#include <stdint.h>

#include "span.h"

#define URL_HOST_MAX 253 /* a DNS name; an address is shorter */

enum url_scheme { URL_HTTP, URL_HTTPS };

enum url_host_kind {
	URL_HOST_IPV4,
	URL_HOST_IPV6, /* written in brackets; host holds it without them */
	URL_HOST_NAME  /* letters, digits, '-', '_' and '.': looked up by the caller */
};

struct url {
	enum url_scheme scheme;
	enum url_host_kind host_kind;
	struct span host;   /* inside the text given, without brackets */
	uint16_t port;      /* the scheme's default (80, 443) when absent or empty */
	struct span target; /* path and query as written; empty when there is neither */
};

enum url_error {
	URL_OK,
	URL_ERR_SCHEME,   /* not http:// or https:// */
	URL_ERR_USERINFO, /* USER@HOST: a secret does not belong in a URL */
	URL_ERR_FRAGMENT, /* #fragment: never sent, so never meant */
	URL_ERR_HOST,     /* empty, bad brackets, not an address nor a name */
	URL_ERR_PORT,     /* not a number from 1 to 65535 */
	URL_ERR_PATH      /* a byte a request line cannot carry unescaped */
};

/* Parses all of text into *u. The scheme is set as soon as it is known, so that a caller can
 * name it even when a later part is wrong. */
enum url_error url_parse(struct span text, struct url *u);

/* One short sentence for an error ("the port must be a number from 1 to 65535"). */
const char *url_error_text(enum url_error e);

#endif
