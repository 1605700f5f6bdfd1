/* Layout guard (core/kernel_abi.h) of pool_geometry_cl against
 * pool_geometry in cl/pool.cl: 16 ints in the kernel's order. pool.c
 * includes it right after the mirror. */
#include "core/kernel_abi.h"

CT_KERNEL_SIZE(pool_geometry_cl, 16 * 4);
CT_KERNEL_INT(pool_geometry_cl, n, 0);
CT_KERNEL_INT(pool_geometry_cl, h, 1);
CT_KERNEL_INT(pool_geometry_cl, w, 2);
CT_KERNEL_INT(pool_geometry_cl, c, 3);
CT_KERNEL_INT(pool_geometry_cl, oh, 4);
CT_KERNEL_INT(pool_geometry_cl, ow, 5);
CT_KERNEL_INT(pool_geometry_cl, ph, 6);
CT_KERNEL_INT(pool_geometry_cl, pw, 7);
CT_KERNEL_INT(pool_geometry_cl, sh, 8);
CT_KERNEL_INT(pool_geometry_cl, sw, 9);
CT_KERNEL_INT(pool_geometry_cl, pad_top, 10);
CT_KERNEL_INT(pool_geometry_cl, pad_left, 11);
CT_KERNEL_INT(pool_geometry_cl, unused, 12); /* unused0..unused3 */
