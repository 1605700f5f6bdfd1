/* devbench's measurement kernels (tools/devbench): memory copy, FMA chains,
 * an empty kernel. Each result is written to global memory, so no compiler
 * can drop the work, and each is checkable on the host. */

/* The copy and FMA sweeps run every width from 1 to 16 on every device on
 * purpose: they are how devbench finds a device's best width. On a device
 * whose vectors are narrower (CT_VW, cl/common.cl: an AVX2 CPU) the 16-wide
 * kernels pass float16 through builtins, which clang flags as a change of
 * calling convention (-Wpsabi); here that is the thing being measured. */
#if CT_VW < 16
#pragma clang diagnostic ignored "-Wpsabi"
#endif

/* ---------------------------------------------------------------- copy
 * out[i] = in[i], one element of width W per work-item. Bandwidth counts
 * the bytes read plus the bytes written. */
#define DB_COPY(W, T)                                                                      \
    __kernel void db_copy_##W(__global const T *restrict in, __global T *restrict out)    \
    {                                                                                      \
        const size_t i = get_global_id(0);                                                 \
        out[i] = in[i];                                                                    \
    }

DB_COPY(1, float)
DB_COPY(2, float2)
DB_COPY(4, float4)
DB_COPY(8, float8)
DB_COPY(16, float16)

/* ---------------------------------------------------------------- FMA chains
 * Eight independent chains x = fma(x, a, b) per work-item, each W lanes
 * wide: enough independent work to cover the FMA latency of a CPU's vector
 * units (2 units x 4 cycles = 8 chains) and, on a GPU, with the other
 * work-items. a and b are kernel arguments and the start values depend on the
 * work-item, so nothing folds at compile time. fma() (not mad()) is
 * correctly rounded, so the host's fmaf() predicts every bit of the result:
 * the sum of the chains, added in a fixed order, written once per item.
 *
 * Start values: seed = id / 2^20 (exact), lane l adds l / W, chain j adds
 * j / 16. 2 flops per lane per chain per iteration. */
float db_hsum1(float s) { return s; }
float db_hsum2(float2 s) { return s.s0 + s.s1; }
float db_hsum4(float4 s) { return db_hsum2(s.s01) + s.s2 + s.s3; }
float db_hsum8(float8 s)
{
    float t = db_hsum4(s.s0123);
    t += s.s4;
    t += s.s5;
    t += s.s6;
    return t + s.s7;
}
float db_hsum16(float16 s)
{
    float t = db_hsum8(s.s01234567);
    t += s.s8;
    t += s.s9;
    t += s.sa;
    t += s.sb;
    t += s.sc;
    t += s.sd;
    t += s.se;
    return t + s.sf;
}

#define DB_LANES_1 0.0f
#define DB_LANES_2 (float2)(0.0f, 0.5f)
#define DB_LANES_4 (float4)(0.0f, 0.25f, 0.5f, 0.75f)
#define DB_LANES_8 (float8)(0.0f, 0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f)
#define DB_LANES_16                                                                           \
    (float16)(0.0f, 0.0625f, 0.125f, 0.1875f, 0.25f, 0.3125f, 0.375f, 0.4375f, 0.5f, 0.5625f, \
              0.625f, 0.6875f, 0.75f, 0.8125f, 0.875f, 0.9375f)

#define DB_FMA(W, T)                                                                       \
    __kernel void db_fma_##W(__global float *out, float a, float b, int iterations)       \
    {                                                                                      \
        const float seed = (float)get_global_id(0) * (1.0f / 1048576.0f);                  \
        const T va = (T)(a), vb = (T)(b);                                                  \
        T x0 = (T)(seed) + DB_LANES_##W;                                                   \
        T x1 = x0 + 0.0625f, x2 = x0 + 0.125f, x3 = x0 + 0.1875f;                          \
        T x4 = x0 + 0.25f, x5 = x0 + 0.3125f, x6 = x0 + 0.375f, x7 = x0 + 0.4375f;         \
        for (int i = 0; i < iterations; i++) {                                             \
            x0 = fma(x0, va, vb);                                                          \
            x1 = fma(x1, va, vb);                                                          \
            x2 = fma(x2, va, vb);                                                          \
            x3 = fma(x3, va, vb);                                                          \
            x4 = fma(x4, va, vb);                                                          \
            x5 = fma(x5, va, vb);                                                          \
            x6 = fma(x6, va, vb);                                                          \
            x7 = fma(x7, va, vb);                                                          \
        }                                                                                  \
        T s = x0 + x1;                                                                     \
        s += x2;                                                                           \
        s += x3;                                                                           \
        s += x4;                                                                           \
        s += x5;                                                                           \
        s += x6;                                                                           \
        s += x7;                                                                           \
        out[get_global_id(0)] = db_hsum##W(s);                                             \
    }

DB_FMA(1, float)
DB_FMA(2, float2)
DB_FMA(4, float4)
DB_FMA(8, float8)
DB_FMA(16, float16)

/* ---------------------------------------------------------------- launch
 * Nothing to do: what is left is the cost of a launch. */
__kernel void db_empty(__global float *unused)
{
    (void)unused;
}
