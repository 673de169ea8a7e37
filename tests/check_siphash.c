/* SipHash-2-4 against the reference vectors of its paper (key 00..0f, messages 00..n-1). */
#include <check.h>
#include <stdlib.h>

#include "siphash.h"
#include "support.h"

#define K0 0x0706050403020100ull
#define K1 0x0f0e0d0c0b0a0908ull

START_TEST(reference_vectors)
{
	static const struct {
		size_t n;
		uint64_t want;
	} vectors[] = {{0, 0x726fdb47dd0e0e31ull},  {1, 0x74f839c593dc67fdull},
	               {7, 0xab0200f58b01d137ull},  {8, 0x93f5f5799a932462ull},
	               {15, 0xa129ca6149be45e5ull}, {63, 0x958a324ceb064572ull}};
	unsigned char msg[64];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		ck_assert_msg(siphash24(K0, K1, msg, vectors[i].n) == vectors[i].want, "length %zu",
		              vectors[i].n);
	/* Another key, another hash. */
	ck_assert(siphash24(K0 + 1, K1, msg, 15) != 0xa129ca6149be45e5ull);
}
END_TEST

static Suite *siphash_suite(void)
{
	Suite *s = suite_create("siphash");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, reference_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return suite_failures(siphash_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
