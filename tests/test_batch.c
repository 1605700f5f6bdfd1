/* Device shuffling and batch gathering on every device. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/batch.h"
#include "test_devices.h"

static void shuffled(ct_context *ctx, uint32_t n, uint64_t seed, uint64_t epoch, uint32_t *out)
{
    cl_int err;
    cl_mem idx = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, n * sizeof(uint32_t), NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ck_assert_msg(ct_shuffle_indices(ctx, idx, n, seed, epoch) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(clEnqueueReadBuffer(ct_context_queue(ctx), idx, CL_TRUE, 0, n * sizeof(uint32_t), out, 0, NULL,
                                         NULL),
                     CL_SUCCESS);
    clReleaseMemObject(idx);
}

START_TEST(test_shuffle_is_seeded_permutation)
{
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    const uint32_t n = 5003;
    uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    char *seen = calloc(n, 1);
    for (size_t d = 0; d < count; d++) {
        ct_context *ctx;
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        shuffled(ctx, n, 42, 0, a);
        shuffled(ctx, n, 42, 0, b);
        shuffled(ctx, n, 42, 1, c);
        memset(seen, 0, n);
        size_t fixed = 0;
        for (uint32_t i = 0; i < n; i++) {
            ck_assert_uint_lt(a[i], n);
            ck_assert_msg(!seen[a[i]], "index %u appears twice", a[i]);
            seen[a[i]] = 1;
            fixed += a[i] == i;
        }
        ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0); /* same seed and epoch: same order */
        ck_assert_int_ne(memcmp(a, c, n * sizeof *a), 0); /* next epoch: another order */
        ck_assert_uint_lt(fixed, 20);                     /* really shuffled (expected ~1 fixed point) */
        shuffled(ctx, 1, 7, 0, a);
        ck_assert_uint_eq(a[0], 0);
        ct_context_destroy(ctx);
    }
    free(a), free(b), free(c), free(seen), free(devs);
}
END_TEST

START_TEST(test_gather_rows)
{
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    for (size_t d = 0; d < count; d++) {
        ct_context *ctx;
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        enum { ROWS = 7, LEN = 3 };
        float src[ROWS * LEN], out[2 * 2 * LEN + 1];
        for (int i = 0; i < ROWS * LEN; i++)
            src[i] = (float)i;
        uint32_t order[ROWS] = {6, 0, 3, 5, 1, 2, 4};
        ct_tensor s, dst, view;
        size_t shape[2] = {ROWS, LEN}, dshape[1] = {2 * 2 * LEN + 1}, vshape[2] = {2, LEN};
        ck_assert_int_eq(ct_tensor_create(ctx, 2, shape, &s), CT_OK);
        ck_assert_int_eq(ct_tensor_zeros(ctx, 1, dshape, &dst), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &s, src), CT_OK);
        cl_int err;
        cl_mem idx = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof order,
                                    order, &err);
        ck_assert_int_eq(err, CL_SUCCESS);
        /* Rows idx[2], idx[3] = 3, 5 into dst at offset LEN. */
        ck_assert_int_eq(ct_tensor_view(&dst, LEN, 2, vshape, &view), CT_OK);
        ck_assert_msg(ct_gather_rows_device(ctx, &s, idx, 2, &view) == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_tensor_read(ctx, &dst, out), CT_OK);
        float want[2 * 2 * LEN + 1] = {0, 0, 0, 9, 10, 11, 15, 16, 17, 0, 0, 0, 0};
        for (int i = 0; i < 2 * 2 * LEN + 1; i++)
            ck_assert_float_eq(out[i], want[i]);
        clReleaseMemObject(idx);
        ct_tensor_release(&s);
        ct_tensor_release(&dst);
        ct_context_destroy(ctx);
    }
    free(devs);
}
END_TEST

/* Samples of 70 floats (more than one 64-wide work-group) and targets of 2,
 * gathered together into views at nonzero offsets; a row mismatch is refused. */
START_TEST(test_gather_batch)
{
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    enum { ROWS = 9, XLEN = 70, YLEN = 2, TAKE = 3, PAD = 5 };
    float xs[ROWS * XLEN], ys[ROWS * YLEN];
    for (int i = 0; i < ROWS * XLEN; i++)
        xs[i] = (float)i;
    for (int i = 0; i < ROWS * YLEN; i++)
        ys[i] = -1.0f - (float)i;
    uint32_t order[ROWS] = {4, 8, 0, 7, 2, 6, 1, 5, 3};
    const uint32_t first = 5;
    for (size_t d = 0; d < count; d++) {
        ct_context *ctx;
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        ct_tensor sx, sy, bx, by, vx, vy, vshort;
        size_t sxs[2] = {ROWS, XLEN}, sys[2] = {ROWS, YLEN}, bxs[1] = {PAD + TAKE * XLEN},
               bys[1] = {PAD + TAKE * YLEN}, vxs[2] = {TAKE, XLEN}, vys[2] = {TAKE, YLEN}, shorts[2] = {TAKE - 1, YLEN};
        ck_assert_int_eq(ct_tensor_create(ctx, 2, sxs, &sx), CT_OK);
        ck_assert_int_eq(ct_tensor_create(ctx, 2, sys, &sy), CT_OK);
        ck_assert_int_eq(ct_tensor_zeros(ctx, 1, bxs, &bx), CT_OK);
        ck_assert_int_eq(ct_tensor_zeros(ctx, 1, bys, &by), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &sx, xs), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &sy, ys), CT_OK);
        cl_int err;
        cl_mem idx = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof order,
                                    order, &err);
        ck_assert_int_eq(err, CL_SUCCESS);
        ck_assert_int_eq(ct_tensor_view(&bx, PAD, 2, vxs, &vx), CT_OK);
        ck_assert_int_eq(ct_tensor_view(&by, PAD, 2, vys, &vy), CT_OK);
        ck_assert_msg(ct_gather_batch_device(ctx, idx, first, &sx, &vx, &sy, &vy) == CT_OK, "%s", ct_last_error());
        float gx[PAD + TAKE * XLEN], gy[PAD + TAKE * YLEN];
        ck_assert_int_eq(ct_tensor_read(ctx, &bx, gx), CT_OK);
        ck_assert_int_eq(ct_tensor_read(ctx, &by, gy), CT_OK);
        for (int i = 0; i < PAD; i++) { /* before the views: untouched */
            ck_assert_float_eq(gx[i], 0.0f);
            ck_assert_float_eq(gy[i], 0.0f);
        }
        for (uint32_t r = 0; r < TAKE; r++) {
            uint32_t j = order[first + r];
            for (uint32_t c = 0; c < XLEN; c++)
                ck_assert_float_eq(gx[PAD + r * XLEN + c], xs[j * XLEN + c]);
            for (uint32_t c = 0; c < YLEN; c++)
                ck_assert_float_eq(gy[PAD + r * YLEN + c], ys[j * YLEN + c]);
        }
        ck_assert_int_eq(ct_tensor_view(&by, PAD, 2, shorts, &vshort), CT_OK);
        ck_assert_int_eq(ct_gather_batch_device(ctx, idx, first, &sx, &vx, &sy, &vshort), CT_ERR_SHAPE);
        ck_assert_ptr_nonnull(strstr(ct_last_error(), "3 sample rows but 2 target rows"));
        clReleaseMemObject(idx);
        ct_tensor_release(&sx);
        ct_tensor_release(&sy);
        ct_tensor_release(&bx);
        ct_tensor_release(&by);
        ct_context_destroy(ctx);
    }
    free(devs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("device batches");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_shuffle_is_seeded_permutation);
    tcase_add_test(tc, test_gather_rows);
    tcase_add_test(tc, test_gather_batch);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
