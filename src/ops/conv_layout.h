/* Layout guard (core/kernel_abi.h) of conv_geometry_cl against
 * conv_geometry in cl/conv_geometry.cl: 16 ints in the kernel's order.
 * conv_internal.h includes it right after the mirror. */
#include "core/kernel_abi.h"

CT_KERNEL_SIZE(conv_geometry_cl, 16 * 4);
CT_KERNEL_INT(conv_geometry_cl, images, 0);
CT_KERNEL_INT(conv_geometry_cl, h, 1);
CT_KERNEL_INT(conv_geometry_cl, w, 2);
CT_KERNEL_INT(conv_geometry_cl, cin, 3);
CT_KERNEL_INT(conv_geometry_cl, oh, 4);
CT_KERNEL_INT(conv_geometry_cl, ow, 5);
CT_KERNEL_INT(conv_geometry_cl, cout, 6);
CT_KERNEL_INT(conv_geometry_cl, kh, 7);
CT_KERNEL_INT(conv_geometry_cl, kw, 8);
CT_KERNEL_INT(conv_geometry_cl, sh, 9);
CT_KERNEL_INT(conv_geometry_cl, sw, 10);
CT_KERNEL_INT(conv_geometry_cl, pad_top, 11);
CT_KERNEL_INT(conv_geometry_cl, pad_left, 12);
CT_KERNEL_INT(conv_geometry_cl, unused, 13); /* unused0..unused2 */
