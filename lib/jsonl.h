/* A small reader for JSON Lines records such as esatlsd's own: finds the top-level members of
 * one object by name, in one pass, without allocating. Values come back as spans over the
 * line: strings still escaped (jsonl_unescape decodes them), numbers and literals as written.
 * The whole line is checked to be one well-formed object (nesting bounded by JSONL_DEPTH_MAX);
 * strings are not checked for valid UTF-8. Pure. */
#ifndef ESATLS_JSONL_H
#define ESATLS_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define JSONL_DEPTH_MAX 64

enum jsonl_type {
	JSONL_ABSENT,
	JSONL_STRING, /* raw: between the quotes, escapes kept */
	JSONL_NUMBER,
	JSONL_TRUE,
	JSONL_FALSE,
	JSONL_NULL,
	JSONL_OBJECT, /* raw: from { to } */
	JSONL_ARRAY   /* raw: from [ to ] */
};

struct jsonl_value {
	enum jsonl_type type;
	struct span raw;
};

/* Reads line[0..len) (surrounding white space allowed, a final "\n" too) as one JSON object
 * and fills vals[i] with the top-level member named keys[i] (JSONL_ABSENT when missing; the
 * first wins when a name repeats; names compare as written, escapes not decoded). Returns 0,
 * or -1 when the line is not one well-formed object (vals then undefined). */
int jsonl_fields(const char *line, size_t len, const char *const *keys, size_t n_keys,
                 struct jsonl_value *vals);

/* Decodes the escapes of a string value's raw span into buf[0..cap) (\uXXXX to UTF-8,
 * surrogate pairs joined, a lone surrogate to U+FFFD). Returns the length, or -1 when it does
 * not fit or an escape is malformed. No NUL is added. */
long jsonl_unescape(struct span raw, char *buf, size_t cap);

/* A JSONL_NUMBER that is a non-negative integer up to UINT64_MAX: 0 and *out, else -1. */
int jsonl_u64(const struct jsonl_value *v, uint64_t *out);

/* Whether v is the string `s` exactly (compared escaped: for plain ASCII names). */
int jsonl_is(const struct jsonl_value *v, const char *s);

#endif
