/* Op families of the op-test table; registry.c lists them in ct_optest_families. */
#ifndef CLTRAIN_OPTEST_FAMILIES_H
#define CLTRAIN_OPTEST_FAMILIES_H

#include "selftest/optest.h"

extern const ct_optest_family ct_optest_family_elementwise;
extern const ct_optest_family ct_optest_family_gemm;
extern const ct_optest_family ct_optest_family_nn;
extern const ct_optest_family ct_optest_family_conv;
extern const ct_optest_family ct_optest_family_pool;
extern const ct_optest_family ct_optest_family_global_pool;
extern const ct_optest_family ct_optest_family_loss;
extern const ct_optest_family ct_optest_family_data;
extern const ct_optest_family ct_optest_family_train;
extern const ct_optest_family ct_optest_family_optim_more;
extern const ct_optest_family ct_optest_family_loss_more;
extern const ct_optest_family ct_optest_family_augment;
extern const ct_optest_family ct_optest_family_merge;

#endif
