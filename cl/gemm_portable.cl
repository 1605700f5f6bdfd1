/* cltrain's own GEMM for devices that are not CPU-class (GPUs): C = alpha
 * op(A) op(B) + beta C, row-major, a conventional local-memory tiled kernel.
 * The CPU kernel, gemm_tile, is a program of its own (cl/gemm_tile.cl) that
 * a GPU never builds. Host side: src/gemm/gemm_own.c. */

#define INLINE static inline __attribute__((always_inline))

/* A work-group of PT x PT work-items computes a (PT*PW) x (PT*PW) tile of C,
 * each work-item PW x PW elements strided by PT (so neighbouring work-items
 * touch neighbouring addresses), staging PT*PW x PK slices of op(A) and
 * op(B) in local memory. Sizes come from the device profile (CT_GEMM_PT,
 * CT_GEMM_PW), else follow the device's work-group limit. */
#if defined(CT_GEMM_PT)
#define PT CT_GEMM_PT
#elif CT_MAX_WG >= 256
#define PT 16
#elif CT_MAX_WG >= 64
#define PT 8
#elif CT_MAX_WG >= 16
#define PT 4
#else
#define PT 1
#endif
#ifdef CT_GEMM_PW
#define PW CT_GEMM_PW
#else
#define PW 4
#endif
#define PB (PT * PW) /* tile side */
#define PK 16        /* k slice */

INLINE float load_op(__global const float *x, const int trans, const int ld, const int rows, const int cols,
                     const int i, const int j)
{
    /* Element (i, j) of op(X) (rows x cols), 0 outside. */
    if (i >= rows || j >= cols)
        return 0.0f;
    return trans ? x[(size_t)j * ld + i] : x[(size_t)i * ld + j];
}

__kernel __attribute__((reqd_work_group_size(PT, PT, 1)))
void gemm_portable(const int m, const int n, const int k, const float alpha, const float beta,
                   __global const float *a, const ulong a_off, const int lda, const int a_trans,
                   __global const float *b, const ulong b_off, const int ldb, const int b_trans,
                   __global float *c, const ulong c_off, const int ldc)
{
    __local float as[PK][PB + 1]; /* +1: avoid bank conflicts on the transposed store */
    __local float bs[PK][PB + 1];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int j_base = get_group_id(0) * PB, i_base = get_group_id(1) * PB;
    a += a_off;
    b += b_off;
    float acc[PW][PW];
    for (int u = 0; u < PW; u++)
        for (int v = 0; v < PW; v++)
            acc[u][v] = 0.0f;
    const int lid = ty * PT + tx, threads = PT * PT;
    for (int p0 = 0; p0 < k; p0 += PK) {
        for (int e = lid; e < PB * PK; e += threads) {
            const int rr = e / PK, pp = e % PK; /* consecutive work-items walk k */
            as[pp][rr] = load_op(a, a_trans, lda, m, k, i_base + rr, p0 + pp);
            const int cc = e % PB, qq = e / PB; /* consecutive work-items walk n */
            bs[qq][cc] = load_op(b, b_trans, ldb, k, n, p0 + qq, j_base + cc);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int pp = 0; pp < PK; pp++) {
            float av[PW], bv[PW];
            for (int u = 0; u < PW; u++)
                av[u] = as[pp][ty + u * PT];
            for (int v = 0; v < PW; v++)
                bv[v] = bs[pp][tx + v * PT];
            for (int u = 0; u < PW; u++)
                for (int v = 0; v < PW; v++)
                    acc[u][v] = fma(av[u], bv[v], acc[u][v]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int u = 0; u < PW; u++) {
        const int i = i_base + ty + u * PT;
        if (i >= m)
            continue;
        for (int v = 0; v < PW; v++) {
            const int j = j_base + tx + v * PT;
            if (j >= n)
                continue;
            __global float *cij = c + c_off + (size_t)i * ldc + j;
            *cij = beta != 0.0f ? fma(beta, *cij, alpha * acc[u][v]) : alpha * acc[u][v];
        }
    }
}
