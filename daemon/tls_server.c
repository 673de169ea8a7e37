/* OpenSSL contexts and sessions of the TLS listeners (tls_server.h). Plain OpenSSL on the
 * listener's own non-blocking socket: listen.c reads the decrypted bytes straight into the
 * connection's frame_stream, so a TLS sender is held to the same single buffer as a TCP one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_server.h"

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_session {
	SSL *ssl;
	int established;
};

static const char *const file_kind[] = {
    [TLS_FILE_CERT] = "certificate", [TLS_FILE_KEY] = "key", [TLS_FILE_CA] = "CA file"};

/* The reason of the oldest queued OpenSSL error (then the queue is emptied), or fallback. */
static const char *ssl_reason(const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r != NULL ? r : fallback;
}

static int load_error(struct tls_load_error *err, enum tls_file file, const char *path,
                      const char *what)
{
	err->file = file;
	/* The path and the reason share the line: each gets a bounded part of it. */
	snprintf(err->text, sizeof(err->text), "%s %.120s: %.100s", file_kind[file], path, what);
	ERR_clear_error();
	return -1;
}

/* As load_error, with OpenSSL's reason in parentheses when it gave one. */
static int load_ssl_error(struct tls_load_error *err, enum tls_file file, const char *path,
                          const char *what)
{
	char text[TLS_WHY_MAX];
	const char *reason = ssl_reason(NULL);
	if (reason == NULL)
		return load_error(err, file, path, what);
	snprintf(text, sizeof(text), "%.60s (%.120s)", what, reason);
	return load_error(err, file, path, text);
}

/* A file that cannot be opened says why in errno's words rather than OpenSSL's. */
static int readable(struct tls_load_error *err, enum tls_file file, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return load_error(err, file, path, strerror(errno));
	int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	return regular ? 0 : load_error(err, file, path, "not a regular file");
}

/* An encrypted key would make OpenSSL ask for a passphrase on the terminal: refuse instead. */
static int no_passphrase_cb(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

static int load_files(SSL_CTX *ctx, const struct listen_config *cfg, struct tls_load_error *err)
{
	if (readable(err, TLS_FILE_CERT, cfg->cert_file) != 0 ||
	    readable(err, TLS_FILE_KEY, cfg->key_file) != 0 ||
	    (cfg->ca_file != NULL && readable(err, TLS_FILE_CA, cfg->ca_file) != 0))
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		return load_ssl_error(err, TLS_FILE_CERT, cfg->cert_file,
		                      "no PEM certificate in it");
	/* Loading the key checks it against the certificate already: say which failed. */
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
		return load_ssl_error(err, TLS_FILE_KEY, cfg->key_file,
		                      "no unencrypted PEM private key in it");
	if (SSL_CTX_check_private_key(ctx) != 1)
		return load_error(err, TLS_FILE_KEY, cfg->key_file,
		                  "does not match the certificate in cert_file");
	if (cfg->ca_file == NULL)
		return 0;
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
	if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1 || names == NULL) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		return load_ssl_error(err, TLS_FILE_CA, cfg->ca_file, "no PEM certificate in it");
	}
	SSL_CTX_set_client_CA_list(ctx, names); /* tells the client which CAs we take */
	return 0;
}

/* allowed_names: the client certificate must name one of them as a DNS SAN or its subject CN
 * (X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT: the CN counts even when SANs are present, as the
 * certificates of relays are often made with a CN only or with both). Checked while the chain
 * is verified, so a mismatch fails the handshake with an alert. */
static int set_allowed_names(SSL_CTX *ctx, const struct listen_config *cfg)
{
	X509_VERIFY_PARAM *vpm = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_hostflags(vpm, X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT |
	                                         X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	for (size_t i = 0; i < cfg->n_allowed_names; i++)
		if (X509_VERIFY_PARAM_add1_host(vpm, cfg->allowed_names[i], 0) != 1)
			return -1;
	return 0;
}

struct tls_server *tls_server_new(const struct listen_config *cfg, struct tls_load_error *err)
{
	struct tls_server *s = calloc(1, sizeof(*s));
	ERR_clear_error();
	if (s == NULL || (s->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		free(s);
		err->file = TLS_FILE_CERT;
		snprintf(err->text, sizeof(err->text), "out of memory for a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	/* No renegotiation: a read never has to write. EOF without close_notify ends the stream
	 * like a TCP close (relays often just close). */
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	                                SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_passwd_cb(s->ctx, no_passphrase_cb);
	if (load_files(s->ctx, cfg, err) != 0) {
		tls_server_free(s);
		return NULL;
	}
	int mode = SSL_VERIFY_NONE;
	if (cfg->verify_client == TLS_VERIFY_OPTIONAL)
		mode = SSL_VERIFY_PEER;
	else if (cfg->verify_client == TLS_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(s->ctx, mode, NULL);
	if (set_allowed_names(s->ctx, cfg) != 0) {
		tls_server_free(s);
		err->file = TLS_FILE_CA;
		snprintf(err->text, sizeof(err->text), "out of memory for allowed_names");
		return NULL;
	}
	return s;
}

void tls_server_free(struct tls_server *s)
{
	if (s == NULL)
		return;
	SSL_CTX_free(s->ctx); /* sessions hold their own reference */
	free(s);
}

struct tls_session *tls_session_new(struct tls_server *s, int fd)
{
	struct tls_session *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if ((t->ssl = SSL_new(s->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	return t;
}

/* Whether a failed handshake failed on the client's certificate, with the reason. */
static enum tls_result handshake_failure(struct tls_session *t, int err, char why[TLS_WHY_MAX])
{
	long verify = SSL_get_verify_result(t->ssl);
	unsigned long e = ERR_peek_error();
	int reason = ERR_GET_REASON(e);
	if (err == SSL_ERROR_SSL && verify != X509_V_OK) {
		snprintf(why, TLS_WHY_MAX, "client certificate: %s",
		         X509_verify_cert_error_string(verify));
		ERR_clear_error();
		return TLS_REFUSED;
	}
	if (err == SSL_ERROR_SSL && reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		snprintf(why, TLS_WHY_MAX, "no client certificate");
		ERR_clear_error();
		return TLS_REFUSED;
	}
	if (err == SSL_ERROR_SSL)
		snprintf(why, TLS_WHY_MAX, "%s", ssl_reason("handshake failed"));
	else if (err == SSL_ERROR_SYSCALL && errno != 0)
		snprintf(why, TLS_WHY_MAX, "%s", strerror(errno));
	else
		snprintf(why, TLS_WHY_MAX, "closed during the handshake");
	ERR_clear_error();
	return TLS_FAILED;
}

enum tls_result tls_session_accept(struct tls_session *t, char why[TLS_WHY_MAX])
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_accept(t->ssl);
	if (r == 1) {
		t->established = 1;
		return TLS_DONE;
	}
	int err = SSL_get_error(t->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		return TLS_WANT_READ;
	if (err == SSL_ERROR_WANT_WRITE)
		return TLS_WANT_WRITE;
	return handshake_failure(t, err, why);
}

enum tls_result tls_session_read(struct tls_session *t, char *buf, size_t room, size_t *n)
{
	ERR_clear_error();
	int r = SSL_read(t->ssl, buf, room > INT_MAX ? INT_MAX : (int)room);
	if (r > 0) {
		*n = (size_t)r;
		return TLS_DONE;
	}
	int err = SSL_get_error(t->ssl, r);
	ERR_clear_error();
	switch (err) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_CLOSED;
	default:
		return TLS_FAILED;
	}
}

int tls_session_pending(const struct tls_session *t)
{
	return SSL_has_pending(t->ssl);
}

void tls_session_describe(const struct tls_session *t, char *buf, size_t size)
{
	char subject[128] = "no client certificate";
	X509 *peer = SSL_get1_peer_certificate(t->ssl);
	if (peer != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof(subject));
		X509_free(peer);
	}
	snprintf(buf, size, "%s %s, %s", SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl),
	         subject);
}

void tls_session_free(struct tls_session *t)
{
	if (t == NULL)
		return;
	if (t->established)
		SSL_shutdown(t->ssl); /* one try: the socket is closed next whatever it says */
	SSL_free(t->ssl);
	ERR_clear_error();
	free(t);
}
