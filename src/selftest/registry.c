/* Every op family in the op-test table. A new family: define its cases and
 * `const ct_optest_family ct_optest_family_NAME = CT_OPTEST_FAMILY("NAME", cases);`
 * in src/selftest/cases_NAME.c, declare it in families.h, list it here. */
#include "selftest/families.h"

const ct_optest_family *const ct_optest_families[] = {
    &ct_optest_family_elementwise,
    &ct_optest_family_gemm,
    &ct_optest_family_nn,
    &ct_optest_family_conv,
    &ct_optest_family_pool,
    &ct_optest_family_global_pool,
    &ct_optest_family_loss,
    &ct_optest_family_data,
    &ct_optest_family_train,
    &ct_optest_family_optim_more,
    &ct_optest_family_loss_more,
    &ct_optest_family_augment,
    &ct_optest_family_merge,
    NULL,
};
