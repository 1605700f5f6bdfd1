/* Image augmentation on the device (cl/augment.cl): Keras 3's RandomFlip,
 * RandomTranslation, RandomRotation, RandomZoom and RandomCrop as one
 * per-sample inverse affine map with bilinear or nearest sampling and
 * Keras' fill modes, forward and backward (the map's transpose). */
#ifndef CLTRAIN_OPS_AUGMENT_H
#define CLTRAIN_OPS_AUGMENT_H

#include <stdint.h>

#include "cltrain/model_spec.h"
#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_AUGMENT_FLIP,        /* RandomFlip */
    CT_AUGMENT_TRANSLATION, /* RandomTranslation */
    CT_AUGMENT_ROTATION,    /* RandomRotation */
    CT_AUGMENT_ZOOM,        /* RandomZoom */
    CT_AUGMENT_CROP,        /* RandomCrop in training, input larger than the output both ways: a random window */
    CT_AUGMENT_CENTER_CROP, /* RandomCrop otherwise: the central window of the output's aspect ratio, resized */
    CT_AUGMENT_KIND_COUNT
} ct_augment_kind;

typedef struct {
    ct_augment_kind kind;
    ct_flip_mode flip;              /* FLIP */
    /* Factor ranges [lower, upper], [0] height, [1] width: TRANSLATION
     * (fractions of the size), ZOOM (zoom - 1); ROTATION: [0], fractions
     * of a full turn. */
    float lower[2], upper[2];
    int same_zoom;                  /* ZOOM: the width zoom is the height's (no width_factor) */
    ct_fill_mode fill_mode;         /* TRANSLATION, ROTATION, ZOOM */
    float fill_value;               /* fill_mode constant */
    ct_interpolation interpolation; /* TRANSLATION, ROTATION, ZOOM */
    uint64_t seed;                  /* Philox key */
    uint32_t layer_id;              /* distinct per layer */
    uint32_t step;                  /* training step: a new draw per batch */
    uint32_t first;                 /* the sample index of x[0]: a batch split over data-parallel
                                     * replicas draws what one device would */
} ct_augment_params;

/* Forward: y (n, out_h, out_w, C) from x (n, H, W, C); out_h, out_w = H, W
 * except for the crops. transforms: scratch of at least 6 n floats, which
 * receives each sample's map (kept for nothing: backward redraws it). */
ct_status ct_augment_forward(ct_context *ctx, const ct_augment_params *p, const ct_tensor *x,
                             ct_tensor *transforms, ct_tensor *y);

/* Backward: dx (n, H, W, C) = the transpose of the forward map applied to
 * dy (n, out_h, out_w, C), for the same parameters (the draws are pure
 * functions of them). Overwrites dx; deterministic (no atomics). */
ct_status ct_augment_backward(ct_context *ctx, const ct_augment_params *p, const ct_tensor *dy,
                              ct_tensor *transforms, ct_tensor *dx);

/* RandomCrop's central window (Keras 3): the largest box of the output's
 * aspect ratio in an in_h x in_w image, centred; whole pixels. */
void ct_augment_center_window(size_t in_h, size_t in_w, size_t out_h, size_t out_w, size_t *y0, size_t *x0,
                              size_t *h, size_t *w);

#ifdef __cplusplus
}
#endif
#endif
