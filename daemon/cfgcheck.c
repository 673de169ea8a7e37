/* Value checks for the configuration sections (cfgcheck.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgcheck.h"
#include "record.h"
#include "span.h"
#include "units.h"
#include "verdict.h"

void cfg_error(struct parse *p, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yreport_verror(&p->r, line, column, fmt, ap);
	va_end(ap);
}

/* "'key' in listen entry" */
const char *cfg_subject(char buf[SUBJECT_BUF], const char *key, const char *where)
{
	snprintf(buf, SUBJECT_BUF, "'%s'%s", key, where);
	return buf;
}

/* True when n is of `kind`; otherwise reports "expected <expected> for <what>, got ...". */
int cfg_expect(struct parse *p, const struct ynode *n, enum ynode_kind kind, const char *expected,
               const char *what)
{
	char shown[YSHOWN_BUF];

	if (n->kind == kind)
		return 1;
	if (n->kind != YNODE_ALIAS)
		cfg_error(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		          ynode_show(n, shown));
	return 0;
}

/* Looks up the keys of a mapping: vals[i] is the value of keys[i] or NULL. Reports unknown and
 * duplicate keys (the first one counts). */
void cfg_map_keys(struct parse *p, const struct ynode *map, const char *where,
                  const char *const *keys, size_t n_keys, const struct ynode **vals,
                  const struct ynode **key_nodes)
{
	char shown[YSHOWN_BUF];

	for (size_t k = 0; k < n_keys; k++)
		vals[k] = key_nodes[k] = NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->items[i], *val = map->items[i + 1];
		size_t k;
		if (key->kind == YNODE_ALIAS)
			continue;
		if (key->kind != YNODE_SCALAR) {
			cfg_error(p, key->line, key->column, "expected a key name%s, got %s", where,
			          ynode_show(key, shown));
			continue;
		}
		for (k = 0; k < n_keys; k++)
			if (strlen(keys[k]) == key->len &&
			    memcmp(keys[k], key->text, key->len) == 0)
				break;
		if (k == n_keys) {
			yquote(shown, key->text, key->len, '\'');
			cfg_error(p, key->line, key->column, "unknown key %s%s", shown, where);
		} else if (vals[k] != NULL) {
			cfg_error(p, key->line, key->column,
			          "duplicate key '%s'%s (first at %u:%u)", keys[k], where,
			          key_nodes[k]->line, key_nodes[k]->column);
		} else {
			vals[k] = val;
			key_nodes[k] = key;
		}
	}
}

static int digits_only(const struct ynode *n)
{
	size_t i = n->len > 0 && n->text[0] == '-';
	if (i == n->len)
		return 0;
	for (; i < n->len; i++)
		if (n->text[i] < '0' || n->text[i] > '9')
			return 0;
	return 1;
}

int cfg_number(struct parse *p, const struct ynode *n, const char *what, unsigned long long min,
               unsigned long long max, unsigned long long *out)
{
	char shown[YSHOWN_BUF];
	unsigned long long v;

	if (!cfg_expect(p, n, YNODE_SCALAR, "a number", what))
		return -1;
	if (span_to_u64(span_make(n->text, n->len), max, &v) == 0 && v >= min) {
		*out = v;
		return 0;
	}
	if (digits_only(n))
		cfg_error(p, n->line, n->column, "%s must be between %llu and %llu, got %s", what,
		          min, max, ynode_show(n, shown));
	else
		cfg_error(p, n->line, n->column, "expected a number for %s, got %s", what,
		          ynode_show(n, shown));
	return -1;
}

/* Duration in milliseconds; `positive` refuses 0. */
int cfg_duration(struct parse *p, const struct ynode *n, const char *what, int positive,
                 uint64_t *ms)
{
	static const char expected[] = "a duration (such as 500ms, 90s, 10m, 24h, 2d)";
	char shown[YSHOWN_BUF];
	uint64_t v;

	if (!cfg_expect(p, n, YNODE_SCALAR, expected, what))
		return -1;
	if (units_parse_duration_ms(span_make(n->text, n->len), &v) != 0) {
		cfg_error(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		          ynode_show(n, shown));
		return -1;
	}
	if (positive && v == 0) {
		cfg_error(p, n->line, n->column, "%s must be more than 0, got %s", what,
		          ynode_show(n, shown));
		return -1;
	}
	*ms = v;
	return 0;
}

int cfg_size(struct parse *p, const struct ynode *n, const char *what, uint64_t min, uint64_t max,
             const char *range, uint64_t *bytes)
{
	static const char expected[] = "a size (such as 512, 64KiB, 1MiB)";
	char shown[YSHOWN_BUF];
	uint64_t v;

	if (!cfg_expect(p, n, YNODE_SCALAR, expected, what))
		return -1;
	if (units_parse_size(span_make(n->text, n->len), &v) != 0) {
		cfg_error(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		          ynode_show(n, shown));
		return -1;
	}
	if (v < min || v > max) {
		cfg_error(p, n->line, n->column, "%s must be %s, got %s", what, range,
		          ynode_show(n, shown));
		return -1;
	}
	*bytes = v;
	return 0;
}

static int has_control(const struct ynode *n)
{
	for (size_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->text[i];
		if (c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n->len && (unsigned char)n->text[i + 1] >= 0x80 &&
		     (unsigned char)n->text[i + 1] <= 0x9f))
			return 1;
	}
	return 0;
}

/* A copy of a scalar that is not empty and holds no control character. */
char *cfg_text(struct parse *p, const struct ynode *n, const char *expected, const char *what)
{
	char shown[YSHOWN_BUF];
	char *copy;

	if (!cfg_expect(p, n, YNODE_SCALAR, expected, what))
		return NULL;
	if (n->len == 0 || ynode_is_null(n) || has_control(n)) {
		cfg_error(p, n->line, n->column, "expected %s for %s, got %s", expected, what,
		          ynode_show(n, shown));
		return NULL;
	}
	if ((copy = strdup(n->text)) == NULL)
		cfg_error(p, n->line, n->column, "out of memory");
	return copy;
}

int cfg_text_list(struct parse *p, const struct ynode *list, const struct cfg_texts *t, char ***out,
                  size_t *n)
{
	char shown[YSHOWN_BUF], entry[SUBJECT_BUF];
	int ok = 1;

	*out = NULL;
	*n = 0;
	if (!cfg_expect(p, list, YNODE_LIST, "a list", t->what))
		return -1;
	if (list->n == 0 || list->n > t->max) {
		if (list->n == 0)
			cfg_error(p, list->line, list->column, "%s is empty: %s", t->what,
			          t->if_empty);
		else
			cfg_error(p, list->line, list->column, "at most %zu entries in %s, got %zu",
			          t->max, t->what, list->n);
		return -1;
	}
	if ((*out = calloc(list->n, sizeof(**out))) == NULL) {
		cfg_error(p, list->line, list->column, "out of memory");
		return -1;
	}
	snprintf(entry, sizeof(entry), "%s entry", t->key);
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *e = list->items[i];
		char *text = cfg_text(p, e, t->expected, entry);
		size_t j;
		if (text == NULL) {
			ok = 0;
			continue;
		}
		for (j = 0; j < i && !cfg_text_is(list->items[j], text); j++)
			;
		if (j < i) {
			cfg_error(p, e->line, e->column, "duplicate %s %s in '%s' (first at %u:%u)",
			          t->noun, ynode_show(e, shown), t->key, list->items[j]->line,
			          list->items[j]->column);
			free(text);
			ok = 0;
			continue;
		}
		(*out)[(*n)++] = text;
	}
	return ok ? 0 : -1;
}

/* ---- lists of names from a fixed set ---- */

int cfg_text_is(const struct ynode *n, const char *text)
{
	return n->kind == YNODE_SCALAR && strlen(text) == n->len &&
	       memcmp(text, n->text, n->len) == 0;
}

unsigned cfg_verdict_bit(const struct ynode *n)
{
	for (int k = 0; k < VERDICT_KIND_COUNT; k++)
		if (cfg_text_is(n, verdict_kind_name((enum verdict_kind)k)))
			return 1u << k;
	return 0;
}

unsigned cfg_record_type_bit(const struct ynode *n)
{
	for (int t = 0; t < RECORD_TYPE_COUNT; t++)
		if (cfg_text_is(n, record_type_name((enum record_type)t)))
			return 1u << t;
	return 0;
}

/* The bits of a non-empty list without repeats into *mask. */
int cfg_choice_list(struct parse *p, const struct ynode *list, const struct cfg_choices *c,
                    unsigned *mask)
{
	const struct ynode *first[32] = {NULL};
	char shown[YSHOWN_BUF], entry[SUBJECT_BUF];
	int ok = 1;

	if (!cfg_expect(p, list, YNODE_LIST, "a list", c->what))
		return -1;
	if (list->n == 0) {
		cfg_error(p, list->line, list->column, "%s is empty: %s", c->what, c->if_empty);
		return -1;
	}
	snprintf(entry, sizeof(entry), "%s entry", c->key);
	*mask = 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->items[i];
		unsigned bit;
		int k;
		if (!cfg_expect(p, n, YNODE_SCALAR, c->expected, entry)) {
			ok = 0;
			continue;
		}
		if ((bit = c->bit(n)) == 0) {
			cfg_error(p, n->line, n->column, "expected %s for %s, got %s", c->expected,
			          entry, ynode_show(n, shown));
			ok = 0;
			continue;
		}
		for (k = 0; (1u << k) != bit; k++)
			;
		if (first[k] != NULL) {
			cfg_error(p, n->line, n->column, "duplicate %s %s in '%s' (first at %u:%u)",
			          c->noun, ynode_show(n, shown), c->key, first[k]->line,
			          first[k]->column);
			ok = 0;
			continue;
		}
		first[k] = n;
		*mask |= bit;
	}
	return ok ? 0 : -1;
}

/* ---- lists of entries with a unique key ---- */

static int same_key(const struct cfg_keyed_list *kl, const void *a, const void *b)
{
	if (kl->same != NULL)
		return kl->same(a, b);
	return strcmp(*(char *const *)((const char *)a + kl->key_offset),
	              *(char *const *)((const char *)b + kl->key_offset)) == 0;
}

static void report_duplicate(struct parse *p, const struct cfg_keyed_list *kl, const void *item,
                             const struct ynode *key, const struct ynode *first)
{
	char name[YSHOWN_BUF + 32], shown[YSHOWN_BUF];

	if (kl->name != NULL)
		kl->name(item, key, name);
	else
		snprintf(name, sizeof(name), "%s %s", kl->noun, ynode_show(key, shown));
	cfg_error(p, key->line, key->column, "duplicate %s (first at %u:%u)", name, first->line,
	          first->column);
}

int cfg_keyed_list(struct parse *p, const struct ynode *list, const struct cfg_keyed_list *kl,
                   void **items, size_t *n_items)
{
	const struct ynode **keys;
	char *array;

	*items = NULL;
	*n_items = 0;
	if (!cfg_expect(p, list, YNODE_LIST, "a list", kl->what))
		return -1;
	if (list->n == 0) {
		if (kl->if_empty != NULL)
			cfg_error(p, list->line, list->column, "%s", kl->if_empty);
		return -1;
	}
	if (kl->max_items != 0 && list->n > kl->max_items) {
		cfg_error(p, list->line, list->column, "at most %zu %s, got %zu", kl->max_items,
		          kl->many, list->n);
		return -1;
	}
	array = calloc(list->n, kl->item_size);
	keys = calloc(list->n, sizeof(*keys));
	if (array == NULL || keys == NULL) {
		cfg_error(p, list->line, list->column, "out of memory");
		free(array);
		free(keys);
		return -1;
	}
	*items = array;
	for (size_t i = 0; i < list->n; i++) {
		void *item = array + i * kl->item_size;
		++*n_items;
		if ((keys[i] = kl->read(p, list->items[i], item)) == NULL)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (keys[j] != NULL && same_key(kl, array + j * kl->item_size, item)) {
				report_duplicate(p, kl, item, keys[i], keys[j]);
				break;
			}
		}
	}
	free(keys);
	return 0;
}
