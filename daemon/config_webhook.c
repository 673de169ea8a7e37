#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "config_webhook.h"
#include "hook_format.h"
#include "tls_client.h"
#include "url.h"

#define SOURCE_BUF 512 /* "'headers_file' \"PATH\" line N" */

/* ---- the URL ---- */

static enum url_error webhook_url_problem(const struct ynode *n)
{
	struct url u;

	if (ynode_is_null(n) || memchr(n->text, '\0', n->len) != NULL)
		return URL_ERR_SCHEME;
	return url_parse(span_make(n->text, n->len), &u);
}

char *config_webhook_url(struct parse *p, const struct ynode *n)
{
	static const char expected[] = "an http:// or https:// URL";
	static const char what[] = "'webhook' in hooks entry";
	char shown[YSHOWN_BUF];
	char *url;

	if (!cfg_expect(p, n, YNODE_SCALAR, expected, what))
		return NULL;
	switch (webhook_url_problem(n)) {
	case URL_OK:
		break;
	case URL_ERR_SCHEME:
		cfg_error(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		          ynode_show(n, shown));
		return NULL;
	case URL_ERR_USERINFO:
		/* not shown: what stands before "@" is likely a password */
		cfg_error(p, n->line, n->column,
		          "a webhook URL may not hold a user name or password (USER@HOST): put "
		          "credentials in 'headers' or 'token_file'");
		return NULL;
	case URL_ERR_FRAGMENT:
		cfg_error(p, n->line, n->column, "a webhook URL may not have a #fragment, got %s",
		          ynode_show(n, shown));
		return NULL;
	case URL_ERR_HOST:
		cfg_error(p, n->line, n->column,
		          "webhook host must be an IPv4 address, an IPv6 address in brackets or a "
		          "DNS name, got %s",
		          ynode_show(n, shown));
		return NULL;
	case URL_ERR_PORT:
		cfg_error(p, n->line, n->column,
		          "webhook port must be a number between 1 and 65535, got %s",
		          ynode_show(n, shown));
		return NULL;
	case URL_ERR_PATH:
		cfg_error(
		    p, n->line, n->column,
		    "webhook path may hold only URL characters (others escaped as %%XX), got %s",
		    ynode_show(n, shown));
		return NULL;
	}
	if ((url = strdup(n->text)) == NULL)
		cfg_error(p, n->line, n->column, "out of memory");
	return url;
}

/* ---- secrets from files ---- */

/* The whole of a small regular file, NUL-terminated (it may hold NULs of its own), or NULL
 * after reporting at n. */
static char *secret_file_read(struct parse *p, const struct ynode *n, const char *key,
                              const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cfg_error(p, n->line, n->column, "cannot read '%s' \"%s\": %s", key, path,
		          strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cfg_error(p, n->line, n->column, "'%s' \"%s\" is not a regular file", key, path);
		goto out;
	}
	if (st.st_size > HOOK_SECRET_FILE_BYTES) {
		cfg_error(p, n->line, n->column, "'%s' \"%s\" is larger than %d bytes", key, path,
		          HOOK_SECRET_FILE_BYTES);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		cfg_error(p, n->line, n->column, "out of memory");
		goto out;
	}
	ssize_t got;
	*len = 0;
	while (*len < (size_t)st.st_size &&
	       (got = read(fd, buf + *len, (size_t)st.st_size - *len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			cfg_error(p, n->line, n->column, "cannot read '%s' \"%s\": %s", key, path,
			          strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		*len += (size_t)got;
	}
	buf[*len] = '\0';
out:
	close(fd);
	return buf;
}

static void secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	explicit_bzero(s, len);
	free(s);
}

/* One line of visible ASCII (a token or a key): the file's content without the white space
 * around it. */
static int visible_line(struct span s)
{
	if (s.len == 0 || s.len > HOOK_HEADER_BYTES)
		return 0;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= 0x20 || (unsigned char)s.p[i] >= 0x7f)
			return 0;
	return 1;
}

/* ---- headers ---- */

/* RFC 9110 section 5.6.2: a token. */
static int header_name_ok(const char *s, size_t len)
{
	static const char other[] = "!#$%&'*+-.^_`|~";
	if (len == 0 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr(other, c) != NULL)))
			return 0;
	}
	return 1;
}

/* RFC 9110 section 5.5: visible characters, spaces and tabs; never CR, LF or NUL, which would
 * end the header and start another. */
static int header_value_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* What the runner writes itself, so a second copy would contradict it. */
static int header_reserved(const char *name, size_t len)
{
	static const char *const reserved[] = {"Host", "Content-Length", "Content-Type",
	                                       "Transfer-Encoding", "Connection"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == len && strncasecmp(reserved[i], name, len) == 0)
			return 1;
	return 0;
}

/* Adds name: value (value's white space around trimmed) to hc, or reports why not at n, in
 * the words of `from` ("'headers'", "'headers_file' \"/x\" line 3"). The value is never
 * shown. */
static void header_add(struct parse *p, const struct ynode *n, const char *from,
                       struct hook_config *hc, struct span name, struct span value)
{
	char shown[YSHOWN_BUF];
	value = span_trim(value);
	yquote(shown, name.p, name.len, '"');
	if (!header_name_ok(name.p, name.len)) {
		cfg_error(
		    p, n->line, n->column,
		    "%s: a header name is 1 to 64 letters, digits or !#$%%&'*+-.^_`|~, got %s",
		    from, shown);
		return;
	}
	if (header_reserved(name.p, name.len)) {
		cfg_error(p, n->line, n->column, "%s: header %s is set by esatlsd itself", from,
		          shown);
		return;
	}
	if (!header_value_ok(value.p, value.len)) {
		cfg_error(p, n->line, n->column,
		          "%s: the value of header %s holds a control character (CR, LF, ...)",
		          from, shown);
		return;
	}
	if (value.len > HOOK_HEADER_BYTES) {
		cfg_error(p, n->line, n->column, "%s: the value of header %s is over %d bytes",
		          from, shown, HOOK_HEADER_BYTES);
		return;
	}
	for (size_t i = 0; i < hc->n_headers; i++) {
		if (strlen(hc->headers[i].name) == name.len &&
		    strncasecmp(hc->headers[i].name, name.p, name.len) == 0) {
			cfg_error(p, n->line, n->column, "%s: header %s is given twice", from,
			          shown);
			return;
		}
	}
	if (hc->n_headers >= MAX_HOOK_HEADERS) {
		cfg_error(p, n->line, n->column, "%s: more than %d headers", from,
		          MAX_HOOK_HEADERS);
		return;
	}
	struct hook_header *h = &hc->headers[hc->n_headers];
	h->name = strndup(name.p, name.len);
	h->value = strndup(value.p, value.len);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		secret_free(h->value, value.len);
		h->name = h->value = NULL;
		cfg_error(p, n->line, n->column, "out of memory");
		return;
	}
	hc->n_headers++;
}

static void webhook_headers(struct parse *p, const struct ynode *map, struct hook_config *hc)
{
	if (!cfg_expect(p, map, YNODE_MAP, "a mapping of header names to values",
	                "'headers' in hooks entry"))
		return;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->items[i], *v = map->items[i + 1];
		char shown[YSHOWN_BUF];
		if (k->kind != YNODE_SCALAR || v->kind != YNODE_SCALAR || ynode_is_null(v)) {
			if (k->kind == YNODE_SCALAR)
				yquote(shown, k->text, k->len, '"');
			cfg_error(p, v->line, v->column,
			          "'headers': expected a string for header %s",
			          k->kind == YNODE_SCALAR ? shown : "(not a name)");
			continue;
		}
		header_add(p, v, "'headers'", hc, span_make(k->text, k->len),
		           span_make(v->text, v->len));
	}
}

/* "Name: value" lines; blank lines and lines starting with # are skipped. */
static void webhook_headers_file(struct parse *p, const struct ynode *n, struct hook_config *hc)
{
	size_t len = 0;
	char *path = cfg_text(p, n, "a file name", "'headers_file' in hooks entry");
	char *text = path != NULL ? secret_file_read(p, n, "headers_file", path, &len) : NULL;
	const char *at = text, *end = text + len;
	for (unsigned line = 1; text != NULL && at < end; line++) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		struct span l = span_make(at, (size_t)((nl != NULL ? nl : end) - at));
		at = nl != NULL ? nl + 1 : end;
		if (l.len > 0 && l.p[l.len - 1] == '\r')
			l.len--;
		struct span t = span_trim(l);
		if (t.len == 0 || t.p[0] == '#')
			continue;
		char from[SOURCE_BUF];
		snprintf(from, sizeof(from), "'headers_file' \"%s\" line %u", path, line);
		const char *colon = memchr(l.p, ':', l.len);
		if (colon == NULL) {
			cfg_error(p, n->line, n->column, "%s: expected \"Name: value\"", from);
			continue;
		}
		header_add(p, n, from, hc, span_make(l.p, (size_t)(colon - l.p)),
		           span_make(colon + 1, (size_t)(l.p + l.len - colon - 1)));
	}
	secret_free(text, len);
	free(path);
}

/* A file of one token, sent as "Authorization: Bearer TOKEN" (RFC 6750 section 2.1). */
static void webhook_token_file(struct parse *p, const struct ynode *n, struct hook_config *hc)
{
	size_t len = 0;
	char *path = cfg_text(p, n, "a file name", "'token_file' in hooks entry");
	char *text = path != NULL ? secret_file_read(p, n, "token_file", path, &len) : NULL;
	if (text != NULL) {
		struct span token = span_trim(span_make(text, len));
		char from[SOURCE_BUF], *value = NULL;
		snprintf(from, sizeof(from), "'token_file' \"%s\"", path);
		if (!visible_line(token))
			cfg_error(p, n->line, n->column,
			          "%s must hold one token: 1 to %d visible characters on one line",
			          from, HOOK_HEADER_BYTES);
		else if (asprintf(&value, "Bearer %.*s", (int)token.len, token.p) < 0)
			cfg_error(p, n->line, n->column, "out of memory");
		else
			header_add(p, n, from, hc, span_make("Authorization", 13),
			           span_make(value, strlen(value)));
		secret_free(value, value != NULL ? strlen(value) : 0);
	}
	secret_free(text, len);
	free(path);
}

/* ---- PagerDuty's routing key ---- */

static void webhook_routing_key(struct parse *p, const struct ynode *const *vals,
                                const struct ynode *const *keys, struct hook_config *hc)
{
	const struct ynode *k = vals[WK_ROUTING_KEY], *f = vals[WK_ROUTING_KEY_FILE];
	if (hc->format != HOOK_FORMAT_PAGERDUTY) {
		const struct ynode *key =
		    keys[WK_ROUTING_KEY] ? keys[WK_ROUTING_KEY] : keys[WK_ROUTING_KEY_FILE];
		if (key != NULL)
			cfg_error(p, key->line, key->column,
			          "'%s' applies to 'format: pagerduty' only", key->text);
		return;
	}
	if ((k == NULL) == (f == NULL)) {
		const struct ynode *at = k != NULL ? keys[WK_ROUTING_KEY] : vals[WK_FORMAT];
		cfg_error(p, at->line, at->column,
		          k != NULL
		              ? "give 'routing_key' or 'routing_key_file', not both"
		              : "'format: pagerduty' needs 'routing_key' or 'routing_key_file'");
		return;
	}
	if (k != NULL) {
		if (k->kind != YNODE_SCALAR || !visible_line(span_make(k->text, k->len)))
			cfg_error(p, k->line, k->column,
			          "'routing_key' must be 1 to %d visible characters",
			          HOOK_HEADER_BYTES);
		else if ((hc->routing_key = strdup(k->text)) == NULL)
			cfg_error(p, k->line, k->column, "out of memory");
		return;
	}
	size_t len = 0;
	char *path = cfg_text(p, f, "a file name", "'routing_key_file' in hooks entry");
	char *text = path != NULL ? secret_file_read(p, f, "routing_key_file", path, &len) : NULL;
	if (text != NULL) {
		struct span key = span_trim(span_make(text, len));
		if (!visible_line(key))
			cfg_error(p, f->line, f->column,
			          "'routing_key_file' \"%s\" must hold one key: 1 to %d visible "
			          "characters on one line",
			          path, HOOK_HEADER_BYTES);
		else if ((hc->routing_key = strndup(key.p, key.len)) == NULL)
			cfg_error(p, f->line, f->column, "out of memory");
	}
	secret_free(text, len);
	free(path);
}

/* ---- TLS and the resolver ---- */

static void webhook_tls(struct parse *p, const struct ynode *const *vals,
                        const struct ynode *const *keys, struct hook_config *hc)
{
	struct url u;
	char shown[YSHOWN_BUF], why[256];
	int https = hc->url != NULL &&
	            url_parse(span_make(hc->url, strlen(hc->url)), &u) == URL_OK &&
	            u.scheme == URL_HTTPS;
	if (hc->url != NULL && !https) {
		for (int k = WK_CA_FILE; k <= WK_TLS_VERIFY; k++)
			if (keys[k] != NULL)
				cfg_error(p, keys[k]->line, keys[k]->column,
				          "'%s' applies to https:// webhooks only", keys[k]->text);
		return;
	}
	const struct ynode *v = vals[WK_TLS_VERIFY];
	if (v != NULL) {
		if (cfg_text_is(v, "true"))
			hc->tls_verify = 1;
		else if (cfg_text_is(v, "false"))
			hc->tls_verify = 0;
		else
			cfg_error(p, v->line, v->column,
			          "expected true or false for 'tls_verify' in hooks entry, got %s",
			          ynode_show(v, shown));
	}
	const struct ynode *ca = vals[WK_CA_FILE];
	if (ca == NULL)
		return;
	if (!hc->tls_verify) {
		cfg_error(p, ca->line, ca->column,
		          "'ca_file' with 'tls_verify: false': nothing would be checked");
		return;
	}
	if ((hc->ca_file = cfg_text(p, ca, "a file name", "'ca_file' in hooks entry")) == NULL)
		return;
	struct stat st;
	if (access(hc->ca_file, R_OK) != 0 || stat(hc->ca_file, &st) != 0)
		cfg_error(p, ca->line, ca->column, "cannot read 'ca_file' \"%s\": %s", hc->ca_file,
		          strerror(errno));
	else if (!S_ISREG(st.st_mode)) /* a FIFO would stall the check */
		cfg_error(p, ca->line, ca->column, "'ca_file' \"%s\" is not a regular file",
		          hc->ca_file);
	else if (tls_client_check_ca_file(hc->ca_file, why, sizeof(why)) != 0)
		cfg_error(p, ca->line, ca->column, "cannot use 'ca_file' \"%s\": %s", hc->ca_file,
		          why);
}

/* "IP", "IP:PORT" or "[IPv6]:PORT", as evdns takes them. */
static int nameserver_ok(const struct ynode *n)
{
	unsigned char buf[sizeof(struct in6_addr)];
	struct sockaddr_storage ss;
	socklen_t sl;
	if (n->kind != YNODE_SCALAR || n->len == 0 || n->len >= ADDR_TEXT_MAX ||
	    memchr(n->text, '\0', n->len) != NULL)
		return 0;
	return inet_pton(AF_INET, n->text, buf) == 1 || inet_pton(AF_INET6, n->text, buf) == 1 ||
	       addr_parse(n->text, n->len, &ss, &sl) == 0;
}

static void webhook_nameservers(struct parse *p, const struct ynode *list, struct hook_config *hc)
{
	static const char what[] = "'nameservers' in hooks entry";
	char shown[YSHOWN_BUF];
	if (!cfg_expect(p, list, YNODE_LIST, "a list of name server addresses", what))
		return;
	if (list->n == 0 || list->n > MAX_HOOK_NAMESERVERS) {
		cfg_error(p, list->line, list->column, "%s must hold 1 to %d addresses", what,
		          MAX_HOOK_NAMESERVERS);
		return;
	}
	if ((hc->nameservers = calloc(list->n, sizeof(*hc->nameservers))) == NULL) {
		cfg_error(p, list->line, list->column, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		if (!nameserver_ok(n)) {
			cfg_error(p, n->line, n->column,
			          "expected a numeric IP, IP:PORT or [IPv6]:PORT for %s, got %s",
			          what, ynode_show(n, shown));
			continue;
		}
		if ((hc->nameservers[hc->n_nameservers] = strdup(n->text)) == NULL) {
			cfg_error(p, n->line, n->column, "out of memory");
			return;
		}
		hc->n_nameservers++;
	}
}

/* ---- the entry ---- */

static void webhook_format(struct parse *p, const struct ynode *n, struct hook_config *hc)
{
	char shown[YSHOWN_BUF];
	if (n->kind != YNODE_SCALAR || hook_format_from_name(n->text, &hc->format) != 0)
		cfg_error(p, n->line, n->column,
		          "expected " HOOK_FORMAT_NAMES " for 'format' in hooks entry, got %s",
		          ynode_show(n, shown));
}

void config_webhook_read(struct parse *p, const struct ynode *map, const struct ynode *const *vals,
                         const struct ynode *const *keys, struct hook_config *hc)
{
	(void)map;
	hc->format = HOOK_FORMAT_RECORD;
	hc->tls_verify = 1;
	if (hc->kind != HOOK_WEBHOOK) {
		for (int k = 0; k < WK_COUNT; k++)
			if (keys[k] != NULL)
				cfg_error(p, keys[k]->line, keys[k]->column,
				          "'%s' applies to webhook hooks only", keys[k]->text);
		return;
	}
	if (vals[WK_FORMAT] != NULL)
		webhook_format(p, vals[WK_FORMAT], hc);
	if (vals[WK_HEADERS] != NULL || vals[WK_HEADERS_FILE] != NULL ||
	    vals[WK_TOKEN_FILE] != NULL) {
		if ((hc->headers = calloc(MAX_HOOK_HEADERS, sizeof(*hc->headers))) == NULL) {
			cfg_error(p, map->line, map->column, "out of memory");
			return;
		}
	}
	if (vals[WK_HEADERS] != NULL)
		webhook_headers(p, vals[WK_HEADERS], hc);
	if (vals[WK_HEADERS_FILE] != NULL)
		webhook_headers_file(p, vals[WK_HEADERS_FILE], hc);
	if (vals[WK_TOKEN_FILE] != NULL)
		webhook_token_file(p, vals[WK_TOKEN_FILE], hc);
	webhook_routing_key(p, vals, keys, hc);
	webhook_tls(p, vals, keys, hc);
	if (vals[WK_NAMESERVERS] != NULL)
		webhook_nameservers(p, vals[WK_NAMESERVERS], hc);
}

void config_webhook_free(struct hook_config *hc)
{
	for (size_t i = 0; i < hc->n_headers; i++) {
		free(hc->headers[i].name);
		secret_free(hc->headers[i].value, strlen(hc->headers[i].value));
	}
	free(hc->headers);
	hc->headers = NULL;
	hc->n_headers = 0;
	secret_free(hc->routing_key, hc->routing_key ? strlen(hc->routing_key) : 0);
	hc->routing_key = NULL;
	free(hc->ca_file);
	hc->ca_file = NULL;
	for (size_t i = 0; i < hc->n_nameservers; i++)
		free(hc->nameservers[i]);
	free(hc->nameservers);
	hc->nameservers = NULL;
	hc->n_nameservers = 0;
}

int config_webhook_copy(struct hook_config *dst, const struct hook_config *src)
{
	int ok = 1;
	dst->format = src->format;
	dst->tls_verify = src->tls_verify;
	dst->headers = NULL;
	dst->n_headers = 0;
	dst->routing_key = dst->ca_file = NULL;
	dst->nameservers = NULL;
	dst->n_nameservers = 0;
	if (src->n_headers > 0 &&
	    (dst->headers = calloc(src->n_headers, sizeof(*dst->headers))) == NULL)
		ok = 0;
	for (size_t i = 0; ok && i < src->n_headers; i++) {
		dst->headers[i].name = strdup(src->headers[i].name);
		dst->headers[i].value = strdup(src->headers[i].value);
		if (dst->headers[i].name == NULL || dst->headers[i].value == NULL) {
			free(dst->headers[i].name);
			free(dst->headers[i].value);
			ok = 0;
			break;
		}
		dst->n_headers = i + 1;
	}
	if (ok && src->routing_key != NULL && (dst->routing_key = strdup(src->routing_key)) == NULL)
		ok = 0;
	if (ok && src->ca_file != NULL && (dst->ca_file = strdup(src->ca_file)) == NULL)
		ok = 0;
	if (ok && src->n_nameservers > 0 &&
	    (dst->nameservers = calloc(src->n_nameservers, sizeof(char *))) == NULL)
		ok = 0;
	for (size_t i = 0; ok && i < src->n_nameservers; i++) {
		if ((dst->nameservers[i] = strdup(src->nameservers[i])) == NULL)
			ok = 0;
		else
			dst->n_nameservers = i + 1;
	}
	if (!ok)
		config_webhook_free(dst);
	return ok ? 0 : -1;
}
