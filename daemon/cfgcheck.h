/* Checking a configuration tree (yamltree.h) value by value: each helper either stores a valid
 * value or reports why not ("expected a duration ... for 'timeout' in hooks entry, got "9x"") and
 * leaves the default. The config sections (config.c, config_hooks.c) are written with these. */
#ifndef ESATLSD_CFGCHECK_H
#define ESATLSD_CFGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "yamltree.h"

struct config;

#define SUBJECT_BUF 160

/* One parse: its problems and the config being filled. */
struct parse {
	struct yreport r;
	struct config *cfg;
};

/* Records a problem at line:column (line 0: the file as a whole). */
void cfg_error(struct parse *p, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "'key' in listen entry" into buf. */
const char *cfg_subject(char buf[SUBJECT_BUF], const char *key, const char *where);

/* True when n is of `kind`; otherwise reports "expected <expected> for <what>, got ...". */
int cfg_expect(struct parse *p, const struct ynode *n, enum ynode_kind kind, const char *expected,
               const char *what);

/* Looks up the keys of a mapping: vals[i] is the value of keys[i] or NULL, key_nodes[i] where
 * the key was written. Reports unknown and duplicate keys (the first one counts). */
void cfg_map_keys(struct parse *p, const struct ynode *map, const char *where,
                  const char *const *keys, size_t n_keys, const struct ynode **vals,
                  const struct ynode **key_nodes);

/* A whole number in [min, max]. Returns 0, or -1 after reporting. */
int cfg_number(struct parse *p, const struct ynode *n, const char *what, unsigned long long min,
               unsigned long long max, unsigned long long *out);

/* A duration in milliseconds; `positive` refuses 0. Returns 0, or -1 after reporting. */
int cfg_duration(struct parse *p, const struct ynode *n, const char *what, int positive,
                 uint64_t *ms);

/* A size in bytes in [min, max], `range` saying so in words. Returns 0, or -1 after reporting. */
int cfg_size(struct parse *p, const struct ynode *n, const char *what, uint64_t min, uint64_t max,
             const char *range, uint64_t *bytes);

/* A copy of a scalar that is not empty and holds no control character; NULL after reporting. */
char *cfg_text(struct parse *p, const struct ynode *n, const char *expected, const char *what);

/* True when n is the scalar `text`. */
int cfg_text_is(const struct ynode *n, const char *text);

/* A list of free texts: "allowed_names: [relay1.example.org, relay2.example.org]". */
struct cfg_texts {
	const char *what;     /* "'allowed_names' in listen entry" */
	const char *key;      /* "allowed_names" */
	const char *expected; /* "a certificate name", for each entry */
	const char *noun;     /* "name", for duplicates */
	const char *if_empty; /* why an empty list is refused */
	size_t max;           /* entries at most */
};

/* A non-empty list of at most t->max texts as cfg_text takes them, none twice, into *out
 * (calloc'd, *n of them; the caller frees each and the array, also after an error). Returns
 * 0, or -1 after reporting. */
int cfg_text_list(struct parse *p, const struct ynode *list, const struct cfg_texts *t, char ***out,
                  size_t *n);

/* A list whose entries each name one bit: "verdicts: [tls, no_tls]". */
struct cfg_choices {
	const char *what;                       /* "'verdicts' in outputs entry" */
	const char *key;                        /* "verdicts" */
	const char *noun;                       /* "verdict", for duplicates */
	const char *expected;                   /* "tls, tls_failed, no_tls or unknown" */
	const char *if_empty;                   /* why an empty list is refused */
	unsigned (*bit)(const struct ynode *n); /* 0 for a name outside the set */
};

/* The bits of a non-empty list without repeats into *mask. Returns 0, or -1 after reporting. */
int cfg_choice_list(struct parse *p, const struct ynode *list, const struct cfg_choices *c,
                    unsigned *mask);

/* The verdict kind a scalar names, as a bit (1u << enum verdict_kind), or 0. */
unsigned cfg_verdict_bit(const struct ynode *n);

#define CFG_VERDICT_NAMES "tls, tls_failed, no_tls or unknown"

/* The record type a scalar names, as a bit (1u << enum record_type), or 0. */
unsigned cfg_record_type_bit(const struct ynode *n);

#define CFG_RECORD_TYPE_NAMES "connection, feed, message or downgrade"

/* A list of entries, each with a key that must be unique among them (listeners: protocol and
 * address; outputs: file; hooks: name), read into an array of config structs. Invalid entries
 * are kept (the whole config is then refused) so that every duplicate among the valid ones is
 * found in the same pass. */
struct cfg_keyed_list {
	const char *what;     /* "'outputs'" */
	const char *if_empty; /* the error for an empty list; NULL: an empty list is fine */
	size_t max_items;     /* 0: no bound */
	const char *many;     /* "hooks", for "at most 64 hooks, got 70" */
	size_t item_size;     /* of one config struct */
	/* Reads entry `map` into `item` (zeroed). Returns the node where its key was given, or NULL
	 * when the key itself is missing or invalid (the entry is then not compared). */
	const struct ynode *(*read)(struct parse *p, const struct ynode *map, void *item);
	/* True when two read entries have the same key; NULL: the key is the string at key_offset
	 * in the struct, compared byte for byte. */
	int (*same)(const void *a, const void *b);
	size_t key_offset;
	/* For "duplicate <name> (first at L:C)": "listener tcp 127.0.0.1:5514"; NULL: `noun` and
	 * the key as written ("output file \"/x\""). */
	const char *(*name)(const void *item, const struct ynode *key, char buf[YSHOWN_BUF + 32]);
	const char *noun;
};

/* Reads the list into *items (calloc'd, *n_items entries, invalid ones included). Returns 0,
 * or -1 when the list itself is refused (not a list, empty, too long, out of memory). */
int cfg_keyed_list(struct parse *p, const struct ynode *list, const struct cfg_keyed_list *kl,
                   void **items, size_t *n_items);

#endif
