/* The TLS keys of a listen entry (config_tls.h). */
#include <stdlib.h>
#include <string.h>

#include "config_tls.h"
#include "tls_server.h"

static const char where[] = " in tls listen entry";

static int verify_choice(struct parse *p, const struct ynode *n, enum tls_verify *out)
{
	static const char *const names[] = {[TLS_VERIFY_NONE] = "none",
	                                    [TLS_VERIFY_OPTIONAL] = "optional",
	                                    [TLS_VERIFY_REQUIRED] = "required"};
	static const char expected[] = "none, optional or required";
	char what[SUBJECT_BUF], shown[YSHOWN_BUF];

	cfg_subject(what, "verify_client", where);
	if (!cfg_expect(p, n, YNODE_SCALAR, expected, what))
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (cfg_text_is(n, names[i])) {
			*out = (enum tls_verify)i;
			return 0;
		}
	}
	cfg_error(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
	          ynode_show(n, shown));
	return -1;
}

static char *file_path(struct parse *p, const struct ynode *map, const struct ynode *n,
                       const char *key)
{
	char what[SUBJECT_BUF];
	if (n == NULL) {
		cfg_error(p, map->line, map->column, "missing '%s' in tls listen entry", key);
		return NULL;
	}
	return cfg_text(p, n, "a file path", cfg_subject(what, key, where));
}

/* The client policy must be one that can be enforced: a CA to verify with, names only on
 * certificates that are verified and required. */
static int policy_consistent(struct parse *p, const struct ynode *map,
                             const struct ynode *const *vals, const struct listen_config *lc)
{
	const struct ynode *verify = vals[CT_VERIFY_CLIENT] ? vals[CT_VERIFY_CLIENT] : map;
	if (lc->verify_client != TLS_VERIFY_NONE && vals[CT_CA_FILE] == NULL) {
		cfg_error(p, verify->line, verify->column,
		          "verify_client %s needs 'ca_file' (the CA client certificates chain to)",
		          lc->verify_client == TLS_VERIFY_REQUIRED ? "required" : "optional");
		return -1;
	}
	if (lc->verify_client == TLS_VERIFY_NONE && vals[CT_CA_FILE] != NULL) {
		cfg_error(p, vals[CT_CA_FILE]->line, vals[CT_CA_FILE]->column,
		          "'ca_file' is used only with verify_client optional or required");
		return -1;
	}
	if (lc->verify_client != TLS_VERIFY_REQUIRED && vals[CT_ALLOWED_NAMES] != NULL) {
		cfg_error(p, vals[CT_ALLOWED_NAMES]->line, vals[CT_ALLOWED_NAMES]->column,
		          "'allowed_names' needs verify_client required");
		return -1;
	}
	return 0;
}

void config_tls_read(struct parse *p, const struct ynode *map, const struct ynode *const *vals,
                     struct listen_config *lc)
{
	static const struct cfg_texts names = {
	    .what = "'allowed_names' in tls listen entry",
	    .key = "allowed_names",
	    .expected = "a certificate name",
	    .noun = "name",
	    .if_empty = "no client could connect (leave it out to allow any verified one)",
	    .max = MAX_ALLOWED_NAMES};
	size_t errors = p->r.n_errors;

	lc->cert_file = file_path(p, map, vals[CT_CERT_FILE], "cert_file");
	lc->key_file = file_path(p, map, vals[CT_KEY_FILE], "key_file");
	if (vals[CT_CA_FILE] != NULL)
		lc->ca_file = file_path(p, map, vals[CT_CA_FILE], "ca_file");
	if (vals[CT_VERIFY_CLIENT] != NULL)
		verify_choice(p, vals[CT_VERIFY_CLIENT], &lc->verify_client);
	if (vals[CT_ALLOWED_NAMES] != NULL)
		cfg_text_list(p, vals[CT_ALLOWED_NAMES], &names, &lc->allowed_names,
		              &lc->n_allowed_names);
	if (p->r.n_errors != errors || policy_consistent(p, map, vals, lc) != 0)
		return;
	/* Load them as the listener will: unreadable files, PEM that is not a certificate or an
	 * unencrypted key, and a key of another certificate are found now, not at bind time. */
	struct tls_load_error err;
	struct tls_server *s = tls_server_new(lc, &err);
	if (s == NULL) {
		static const int key_of[] = {[TLS_FILE_CERT] = CT_CERT_FILE,
		                             [TLS_FILE_KEY] = CT_KEY_FILE,
		                             [TLS_FILE_CA] = CT_CA_FILE};
		const struct ynode *at = vals[key_of[err.file]] ? vals[key_of[err.file]] : map;
		cfg_error(p, at->line, at->column, "%s", err.text);
	}
	tls_server_free(s);
}

void config_tls_free(struct listen_config *lc)
{
	free(lc->cert_file);
	free(lc->key_file);
	free(lc->ca_file);
	for (size_t i = 0; i < lc->n_allowed_names; i++)
		free(lc->allowed_names[i]);
	free(lc->allowed_names);
}
