/* Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as
 * easy as 1, 2, 3", SC 2011): the counter-based generator of dropout masks
 * and augmentation transforms. Its C mirror (src/selftest/ref/ref_nn.c) is
 * checked against the Random123 known-answer vectors in tests/test_nn_ops.c. */

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* Scalars and a 64-bit product rather than uint4 and mul_hi: PoCL vectorises
 * this form across work-items (measured 30x faster on its CPU device). The
 * key bump after the last round is unused. */
inline uint4 philox4x32_10(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
{
    for (int r = 0; r < 10; r++) {
        const ulong p0 = (ulong)PHILOX_M0 * c0, p1 = (ulong)PHILOX_M1 * c2;
        const uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0, n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint)p1;
        c3 = (uint)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    return (uint4)(c0, c1, c2, c3);
}
