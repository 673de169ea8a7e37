/* The client side of TLS for https webhooks: one OpenSSL context per hook (the CA store to
 * trust and whether to check at all) and, per connection, a libevent bufferevent that connects,
 * sends SNI and checks the certificate's name against the URL's host. TLS 1.2 at least. The
 * rest of the daemon sees bufferevents and sentences, never OpenSSL types. */
#ifndef ESATLSD_TLS_CLIENT_H
#define ESATLSD_TLS_CLIENT_H

#include <stddef.h>

struct bufferevent;
struct event_base;
struct tls_client;

/* What one connection's certificate check found: filled while the handshake runs, read once it
 * failed. Zeroed by tls_client_bufferevent; owned by the caller, who must keep it until the
 * bufferevent is freed. */
struct tls_attempt {
	long verify_error; /* the first X509_V_ERR_* met, 0 when none */
	int depth;         /* where in the chain: 0 is the server's own certificate */
};

/* A context that trusts ca_file (PEM certificates; only those) or, when ca_file is NULL, the
 * system's store; with verify 0 nothing is checked at all. NULL when it cannot be made, with
 * why in why[0..why_len). Free with tls_client_free. */
struct tls_client *tls_client_new(const char *ca_file, int verify, char *why, size_t why_len);

void tls_client_free(struct tls_client *t);

/* Whether path holds at least one PEM certificate OpenSSL can load (the configuration check).
 * Returns 0, or -1 with why in why[0..why_len). */
int tls_client_check_ca_file(const char *path, char *why, size_t why_len);

/* A bufferevent, not yet connected (fd -1), that does TLS to host as the client: SNI and the
 * name check for a DNS name, the address check for a numeric one (no SNI, RFC 6066 section 3).
 * It frees its TLS state when freed. NULL when memory ran out. */
struct bufferevent *tls_client_bufferevent(struct tls_client *t, struct event_base *base,
                                           const char *host, struct tls_attempt *attempt);

/* Why the TLS side of bev failed, as a short sentence ("certificate verify failed: certificate
 * has expired", "TLS handshake failed: wrong version number") into buf. Returns 1, or 0 when
 * TLS reported nothing (the failure was elsewhere: connect, DNS). */
int tls_client_failure(struct bufferevent *bev, const struct tls_attempt *attempt, char *buf,
                       size_t len);

#endif
