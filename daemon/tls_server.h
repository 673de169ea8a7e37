/* The server side of syslog over TLS (RFC 5425): one listener's certificate, key, CA and client
 * policy held as an OpenSSL context, and the sessions of its connections, driven step by step
 * on non-blocking sockets by listen.c. The only daemon file that includes OpenSSL. */
#ifndef ESATLSD_TLS_SERVER_H
#define ESATLSD_TLS_SERVER_H

#include <stddef.h>

#include "config.h"

struct tls_server;
struct tls_session;

/* Which configured file a loading problem is about (config errors point at its key). */
enum tls_file { TLS_FILE_CERT, TLS_FILE_KEY, TLS_FILE_CA };

#define TLS_WHY_MAX 256

struct tls_load_error {
	enum tls_file file;
	char text[TLS_WHY_MAX]; /* "cannot read /etc/x.pem: No such file or directory" */
};

/* A context for cfg's cert_file, key_file, ca_file, verify_client and allowed_names: TLS 1.2
 * at least, no renegotiation, no session resumption (each connection shows its certificate
 * again). NULL with *err filled when a file cannot be read, holds no usable PEM, or the key
 * does not match the certificate. */
struct tls_server *tls_server_new(const struct listen_config *cfg, struct tls_load_error *err);

/* Frees s; sessions made from it keep what they still need. */
void tls_server_free(struct tls_server *s);

enum tls_result {
	TLS_DONE,       /* the handshake is complete, or bytes were read */
	TLS_WANT_READ,  /* call again when the socket is readable */
	TLS_WANT_WRITE, /* call again when the socket is writable */
	TLS_CLOSED,     /* the peer ended the stream (close_notify, or EOF) */
	TLS_FAILED,     /* not TLS, a failed handshake or a bad record; a socket error */
	TLS_REFUSED     /* the handshake failed on the client's certificate: none when one is
	                 * required, not valid for ca_file, or no allowed name */
};

/* A server session on connected socket fd (still the caller's to close). NULL when memory ran
 * out. */
struct tls_session *tls_session_new(struct tls_server *s, int fd);

/* One step of the handshake. On TLS_FAILED and TLS_REFUSED, why gets a short reason. */
enum tls_result tls_session_accept(struct tls_session *t, char why[TLS_WHY_MAX]);

/* Up to room decrypted bytes into buf: TLS_DONE with *n > 0, or why not. */
enum tls_result tls_session_read(struct tls_session *t, char *buf, size_t room, size_t *n);

/* True when bytes wait inside the session that the socket will not signal again. */
int tls_session_pending(const struct tls_session *t);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384 CN=relay.example.org" for the debug log, into buf. */
void tls_session_describe(const struct tls_session *t, char *buf, size_t size);

/* Sends close_notify when the handshake was done and the socket takes it at once, then frees
 * the session. */
void tls_session_free(struct tls_session *t);

#endif
