/* The JSON Lines reader: members found by name in one pass, every value shape, nesting, what is
 * refused as not one well-formed object, and string decoding. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "support.h"

static const char *const keys[] = {"a", "b", "c"};

static int fields(const char *line, struct jsonl_value v[3])
{
	return jsonl_fields(line, strlen(line), keys, 3, v);
}

static void expect_raw(const struct jsonl_value *v, enum jsonl_type type, const char *raw)
{
	ck_assert_int_eq(v->type, type);
	ck_assert_uint_eq(v->raw.len, strlen(raw));
	ck_assert(memcmp(v->raw.p, raw, v->raw.len) == 0);
}

START_TEST(test_members_by_name)
{
	struct jsonl_value v[3];
	ck_assert_int_eq(
	    fields("{\"x\":[1,{\"a\":9}],\"b\":\"s\\\"t\",\"a\":-1.5e3,\"c\":null}\n", v), 0);
	expect_raw(&v[0], JSONL_NUMBER, "-1.5e3"); /* the nested "a" is not a top-level member */
	expect_raw(&v[1], JSONL_STRING, "s\\\"t");
	expect_raw(&v[2], JSONL_NULL, "null");
	ck_assert_int_eq(fields(" {\"a\" : true , \"b\":false,\"a\":1} ", v), 0);
	expect_raw(&v[0], JSONL_TRUE, "true"); /* the first of a repeated name */
	expect_raw(&v[1], JSONL_FALSE, "false");
	ck_assert_int_eq(v[2].type, JSONL_ABSENT);
	ck_assert_int_eq(fields("{\"a\":{\"b\":[[],{}]},\"c\":[]}", v), 0);
	expect_raw(&v[0], JSONL_OBJECT, "{\"b\":[[],{}]}");
	expect_raw(&v[2], JSONL_ARRAY, "[]");
	ck_assert_int_eq(fields("{}", v), 0);
	ck_assert_int_eq(v[0].type, JSONL_ABSENT);
}
END_TEST

START_TEST(test_refused)
{
	static const char *const bad[] = {"",
	                                  "[]",
	                                  "{",
	                                  "{\"a\"}",
	                                  "{\"a\":}",
	                                  "{\"a\":1,}",
	                                  "{a:1}",
	                                  "{\"a\":01}",
	                                  "{\"a\":1.}",
	                                  "{\"a\":tru}",
	                                  "{\"a\":\"x}",
	                                  "{\"a\":1}x",
	                                  "{\"a\":[1,]}",
	                                  "{\"a\":[1 2]}",
	                                  "{\"a\":{\"b\"}}",
	                                  "{\"a\":\"\\x\"}",
	                                  "{\"a\":\"\\u12\"}",
	                                  "{\"a\":\"\t\"}",
	                                  "{\"a\":[}",
	                                  "{\"a\":1}}",
	                                  "{\"a\":-}",
	                                  "{\"a\":1e}"};
	struct jsonl_value v[3];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fields(bad[i], v) == -1, "accepted: %s", bad[i]);
}
END_TEST

/* Nesting deeper than JSONL_DEPTH_MAX is refused, not followed. */
START_TEST(test_depth_bound)
{
	char line[4 * JSONL_DEPTH_MAX + 16];
	struct jsonl_value v[3];
	for (int depth = JSONL_DEPTH_MAX - 1; depth <= JSONL_DEPTH_MAX + 1; depth++) {
		size_t n;
		memcpy(line, "{\"a\":", 5);
		n = 5;
		for (int i = 0; i < depth; i++)
			line[n++] = '[';
		for (int i = 0; i < depth; i++)
			line[n++] = ']';
		line[n++] = '}';
		line[n] = '\0';
		ck_assert_int_eq(fields(line, v), depth <= JSONL_DEPTH_MAX ? 0 : -1);
	}
}
END_TEST

START_TEST(test_unescape)
{
	char buf[32];
	long n = jsonl_unescape(sp("a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\ud800x"), buf,
	                        sizeof(buf));
	static const char want[] = "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx";
	ck_assert_int_eq(n, (long)sizeof(want) - 1);
	ck_assert(memcmp(buf, want, sizeof(want) - 1) == 0);
	ck_assert_int_eq(jsonl_unescape(sp("abc"), buf, 2), -1);
	ck_assert_int_eq(jsonl_unescape(sp("\\q"), buf, sizeof(buf)), -1);
	ck_assert_int_eq(jsonl_unescape(sp("\\u00"), buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(test_numbers_and_names)
{
	struct jsonl_value v[3];
	uint64_t x;
	ck_assert_int_eq(
	    fields("{\"a\":18446744073709551615,\"b\":18446744073709551616,\"c\":\"c\"}", v), 0);
	ck_assert_int_eq(jsonl_u64(&v[0], &x), 0);
	ck_assert(x == UINT64_MAX);
	ck_assert_int_eq(jsonl_u64(&v[1], &x), -1);
	ck_assert_int_eq(jsonl_u64(&v[2], &x), -1);
	ck_assert(jsonl_is(&v[2], "c"));
	ck_assert(!jsonl_is(&v[2], "cc"));
	ck_assert(!jsonl_is(&v[0], "18446744073709551615"));
}
END_TEST

static Suite *jsonl_suite(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_members_by_name);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_depth_bound);
	tcase_add_test(tc, test_unescape);
	tcase_add_test(tc, test_numbers_and_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(jsonl_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
