#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include "tls_client.h"

struct tls_client {
	SSL_CTX *ctx;
	int verify;
};

static void openssl_why(const char *what, char *why, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	snprintf(why, len, "%s%s%s", what, reason != NULL ? ": " : "",
	         reason != NULL ? reason : "");
	ERR_clear_error();
}

/* Remembers the first problem of the chain for the log line; OpenSSL's own verdict (ok) stands. */
static int tls_verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_attempt *a = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	if (!ok && a != NULL && a->verify_error == 0) {
		a->verify_error = X509_STORE_CTX_get_error(store);
		a->depth = X509_STORE_CTX_get_error_depth(store);
	}
	return ok;
}

struct tls_client *tls_client_new(const char *ca_file, int verify, char *why, size_t why_len)
{
	struct tls_client *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	t->verify = verify;
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		openssl_why("cannot make a TLS context", why, why_len);
		free(t);
		return NULL;
	}
	/* RFC 8996: TLS 1.0 and 1.1 are deprecated. */
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		openssl_why("cannot require TLS 1.2", why, why_len);
		tls_client_free(t);
		return NULL;
	}
	if (verify) {
		int loaded = ca_file != NULL ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL)
		                             : SSL_CTX_set_default_verify_paths(t->ctx);
		if (loaded != 1) {
			openssl_why(ca_file != NULL ? "cannot load ca_file"
			                            : "cannot load the system's CA store",
			            why, why_len);
			tls_client_free(t);
			return NULL;
		}
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, tls_verify_cb);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	}
	return t;
}

void tls_client_free(struct tls_client *t)
{
	if (t == NULL)
		return;
	/* Connections still open hold their own reference to the context. */
	SSL_CTX_free(t->ctx);
	free(t);
}

int tls_client_check_ca_file(const char *path, char *why, size_t why_len)
{
	X509_STORE *store = X509_STORE_new();
	X509_LOOKUP *lookup =
	    store != NULL ? X509_STORE_add_lookup(store, X509_LOOKUP_file()) : NULL;
	int n = lookup != NULL ? X509_load_cert_file(lookup, path, X509_FILETYPE_PEM) : 0;
	if (n <= 0)
		openssl_why("no PEM certificate can be loaded from it", why, why_len);
	X509_STORE_free(store);
	return n > 0 ? 0 : -1;
}

static int host_is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static SSL *tls_client_ssl(struct tls_client *t, const char *host, struct tls_attempt *attempt)
{
	SSL *ssl = SSL_new(t->ctx);
	if (ssl == NULL)
		return NULL;
	SSL_set_app_data(ssl, attempt);
	int ok = 1;
	if (!host_is_address(host)) {
		ok = SSL_set_tlsext_host_name(ssl, host) == 1;
		if (ok && t->verify) {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			ok = SSL_set1_host(ssl, host) == 1;
		}
	} else if (t->verify) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
	}
	if (!ok) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	return ssl;
}

struct bufferevent *tls_client_bufferevent(struct tls_client *t, struct event_base *base,
                                           const char *host, struct tls_attempt *attempt)
{
	memset(attempt, 0, sizeof(*attempt));
	SSL *ssl = tls_client_ssl(t, host, attempt);
	if (ssl == NULL)
		return NULL;
	/* Deferred callbacks, as evhttp expects of the bufferevent it is given. */
	struct bufferevent *bev =
	    bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                   BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Many receivers close without close_notify once they answered: the answer was whole
	 * (Content-Length) by then, so that is no error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int tls_client_failure(struct bufferevent *bev, const struct tls_attempt *attempt, char *buf,
                       size_t len)
{
	if (attempt->verify_error != 0) {
		snprintf(buf, len, "certificate verify failed: %s",
		         X509_verify_cert_error_string(attempt->verify_error));
		return 1;
	}
	unsigned long e, first = 0;
	while (bev != NULL && (e = bufferevent_get_openssl_error(bev)) != 0)
		if (first == 0)
			first = e;
	if (first == 0)
		return 0;
	const char *reason = ERR_reason_error_string(first);
	snprintf(buf, len, "TLS handshake failed: %s", reason != NULL ? reason : "unknown error");
	return 1;
}
