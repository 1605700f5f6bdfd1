/* A scratch folder per test and process under $CLTRAIN_TEST_TMPDIR (else
 * /tmp): SUITE-WHAT-PID. Header-only so each test program stays one file. */
#ifndef CLTRAIN_TEST_TMP_H
#define CLTRAIN_TEST_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void test_tmp_make(char *dir, size_t size, const char *suite, const char *what)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    snprintf(dir, size, "%s", base && *base ? base : "/tmp");
    mkdir(dir, 0755);
    size_t len = strlen(dir);
    snprintf(dir + len, size - len, "/%s-%s-%ld", suite, what, (long)getpid());
    mkdir(dir, 0755);
}

#endif
