/* test.h: a minimal check framework for dlcc's C unit tests. */
#ifndef DLCC_TEST_H
#define DLCC_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                                   \
            fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,            \
                    _b ? _b : "(null)", _a ? _a : "(null)");                                       \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define TEST_MAIN_END()                                                                            \
    do {                                                                                           \
        if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures);                 \
        return test_failures ? 1 : 0;                                                              \
    } while (0)

#endif
