/* Losses and metrics with Keras semantics (see include/cltrain/loss.h for the
 * formulas). One work-group reduces a whole batch: each work-item takes rows
 * r = lid, lid + lsize, ..., sums their per-sample values in a fixed order,
 * and a tree in local memory adds the partial sums (group_sum_1d in
 * cl/reduce.cl), so results are deterministic without atomics. Work-item 0
 * adds the batch total to a Kahan-compensated accumulator (sum,
 * compensation) in global memory.
 *
 * NaN inputs must stay visible (the trainer's NaN guard reads the epoch
 * loss), so comparisons are written to let NaN through where fmin/fmax/sign
 * would swallow it. */

/* ct_loss (include/cltrain/experiment.h) */
#define LOSS_MSE 0
#define LOSS_MAE 1
#define LOSS_BINARY_CROSSENTROPY 2
#define LOSS_CATEGORICAL_CROSSENTROPY 3
#define LOSS_SPARSE_CATEGORICAL_CROSSENTROPY 4

/* ct_metric (include/cltrain/experiment.h); ACCURACY (3) is resolved on the host. */
#define METRIC_RMSE 0
#define METRIC_MSE 1
#define METRIC_MAE 2
#define METRIC_BINARY_ACCURACY 4
#define METRIC_CATEGORICAL_ACCURACY 5
#define METRIC_SPARSE_CATEGORICAL_ACCURACY 6

/* keras.config.epsilon() and tf.clip_by_value(p, eps, 1 - eps) in float32. */
#define CLIP_LO 1e-7f
#define CLIP_HI (1.0f - 1e-7f)

/* NaN passes through (both comparisons are false). */
inline float clip_probability(float p) { return p < CLIP_LO ? CLIP_LO : (p > CLIP_HI ? CLIP_HI : p); }
/* tf.clip_by_value passes no gradient where the input was outside the range. */
inline int clipped(float p) { return p < CLIP_LO || p > CLIP_HI; }

inline float sign_keeping_nan(float e) { return e > 0.0f ? 1.0f : (e < 0.0f ? -1.0f : e); }

inline float stable_sigmoid(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + exp(-x));
    const float e = exp(x); /* NaN lands here and stays NaN */
    return e / (1.0f + e);
}

/* max_j x_j + log sum_j exp(x_j - max): finite for any finite logits. */
inline float log_sum_exp(__global const float *x, uint c)
{
    float m = x[0];
    for (uint j = 1; j < c; j++)
        m = x[j] > m ? x[j] : m;
    float s = 0.0f;
    for (uint j = 0; j < c; j++)
        s += exp(x[j] - m);
    return m + log(s);
}

/* Keras' label_smoothing for the binary and categorical crossentropies:
 * t * (1 - label_smoothing) + label_smoothing * base, base 0.5 (binary) or
 * 1 / classes (categorical); keep = 1 - label_smoothing and add =
 * label_smoothing * base come from the kernel (1 and 0: t itself, exactly). */
#define SMOOTH(tj) ((tj) * keep + add)

/* Each row function returns the sample's loss and, when grad is set, writes
 * d[j] = scale * d(sample loss)/d(p_j), with scale = 1/N for the batch mean.
 * d may be p itself: every value of p a row needs is read before its d is written. */

float mse_row(__global const float *p, __global const float *t, uint c, float scale, int grad, __global float *d)
{
    float sum = 0.0f;
    const float k = 2.0f * scale / (float)c;
    for (uint j = 0; j < c; j++) {
        const float e = p[j] - t[j];
        sum += e * e;
        if (grad)
            d[j] = k * e;
    }
    return sum / (float)c;
}

float mae_row(__global const float *p, __global const float *t, uint c, float scale, int grad, __global float *d)
{
    float sum = 0.0f;
    const float k = scale / (float)c;
    for (uint j = 0; j < c; j++) {
        const float e = p[j] - t[j];
        sum += fabs(e);
        if (grad) /* tf.sign(0) = 0 */
            d[j] = k * sign_keeping_nan(e);
    }
    return sum / (float)c;
}

float binary_crossentropy_row(__global const float *p, __global const float *t, uint c, float scale, int grad,
                              float keep, float add, __global float *d)
{
    float sum = 0.0f;
    const float k = scale / (float)c;
    for (uint j = 0; j < c; j++) {
        const float q = clip_probability(p[j]);
        sum -= SMOOTH(t[j]) * log(q) + (1.0f - SMOOTH(t[j])) * log(1.0f - q);
        if (grad) /* d/dq of the above: (q - t) / (q (1 - q)) */
            d[j] = clipped(p[j]) ? 0.0f : k * (q - SMOOTH(t[j])) / (q * (1.0f - q));
    }
    return sum / (float)c;
}

/* tf.nn.sigmoid_cross_entropy_with_logits: max(x, 0) - x t + log1p(exp(-|x|)). */
float binary_crossentropy_logits_row(__global const float *x, __global const float *t, uint c, float scale, int grad,
                                     float keep, float add, __global float *d)
{
    float sum = 0.0f;
    const float k = scale / (float)c;
    for (uint j = 0; j < c; j++) {
        const float xj = x[j];
        sum += (xj > 0.0f ? xj : 0.0f) - xj * SMOOTH(t[j]) + log1p(exp(-fabs(xj)));
        if (grad)
            d[j] = k * (stable_sigmoid(xj) - SMOOTH(t[j]));
    }
    return sum / (float)c;
}

/* Keras renormalises p = o / sum(o) before clipping. With g_j = d(loss)/d(p_j)
 * = -t_j / p_j where p_j is inside the clip range (else 0),
 * d(loss)/d(o_k) = (g_k - sum_j g_j p_j) / sum(o), and g_j p_j = -t_j. */
float categorical_crossentropy_row(__global const float *o, __global const float *t, uint c, float scale, int grad,
                                   float keep, float add, __global float *d)
{
    float total = 0.0f;
    for (uint j = 0; j < c; j++)
        total += o[j];
    float loss = 0.0f, gp = 0.0f;
    for (uint j = 0; j < c; j++) {
        const float p = o[j] / total;
        loss -= SMOOTH(t[j]) * log(clip_probability(p));
        if (!clipped(p))
            gp -= SMOOTH(t[j]);
    }
    if (grad)
        for (uint j = 0; j < c; j++) {
            const float p = o[j] / total;
            const float g = clipped(p) ? 0.0f : -SMOOTH(t[j]) / p;
            d[j] = scale * (g - gp) / total;
        }
    return loss;
}

/* tf.nn.softmax_cross_entropy_with_logits. The gradient is the exact one,
 * sum(t) softmax(x) - t, which is TensorFlow's softmax - t for targets that
 * sum to 1. */
float categorical_crossentropy_logits_row(__global const float *x, __global const float *t, uint c, float scale,
                                          int grad, float keep, float add, __global float *d)
{
    const float lse = log_sum_exp(x, c);
    float loss = 0.0f, t_sum = 0.0f;
    for (uint j = 0; j < c; j++) {
        loss += SMOOTH(t[j]) * (lse - x[j]);
        t_sum += SMOOTH(t[j]);
    }
    if (grad)
        for (uint j = 0; j < c; j++)
            d[j] = scale * (t_sum * exp(x[j] - lse) - SMOOTH(t[j]));
    return loss;
}

/* The class id as an index, or -1 when it is not one of 0..c-1 (NaN included). */
inline int class_index(float label, uint c) { return label >= 0.0f && label < (float)c ? (int)label : -1; }

inline float nan_row(uint c, int grad, __global float *d)
{
    if (grad)
        for (uint j = 0; j < c; j++)
            d[j] = NAN;
    return NAN;
}

/* Keras: z = log(clip(p)), then a sparse softmax crossentropy of z:
 * loss = log(sum_j clip(p_j)) - log(clip(p_y));
 * d/dp_j = 1/sum - [j == y] / clip(p_y), 0 where p_j was clipped. */
float sparse_categorical_crossentropy_row(__global const float *p, float label, uint c, float scale, int grad,
                                          __global float *d)
{
    const int y = class_index(label, c);
    if (y < 0)
        return nan_row(c, grad, d);
    float total = 0.0f;
    for (uint j = 0; j < c; j++)
        total += clip_probability(p[j]);
    const float qy = clip_probability(p[y]);
    if (grad)
        for (uint j = 0; j < c; j++)
            d[j] = clipped(p[j]) ? 0.0f : scale * (1.0f / total - ((int)j == y ? 1.0f / qy : 0.0f));
    return log(total) - log(qy);
}

/* tf.nn.sparse_softmax_cross_entropy_with_logits: logsumexp(x) - x_y. */
float sparse_categorical_crossentropy_logits_row(__global const float *x, float label, uint c, float scale, int grad,
                                                 __global float *d)
{
    const int y = class_index(label, c);
    if (y < 0)
        return nan_row(c, grad, d);
    const float lse = log_sum_exp(x, c), loss = lse - x[y]; /* before d (which may be x) is written */
    if (grad)
        for (uint j = 0; j < c; j++)
            d[j] = scale * (exp(x[j] - lse) - ((int)j == y ? 1.0f : 0.0f));
    return loss;
}

float loss_row(int kind, int from_logits, float label_smoothing, __global const float *p, __global const float *t,
               uint c, float scale, int grad, __global float *d)
{
    const float keep = 1.0f - label_smoothing;
    const float add = kind == LOSS_BINARY_CROSSENTROPY ? 0.5f * label_smoothing : label_smoothing / (float)c;
    switch (kind) {
    case LOSS_MSE:
        return mse_row(p, t, c, scale, grad, d);
    case LOSS_MAE:
        return mae_row(p, t, c, scale, grad, d);
    case LOSS_BINARY_CROSSENTROPY:
        return from_logits ? binary_crossentropy_logits_row(p, t, c, scale, grad, keep, add, d)
                           : binary_crossentropy_row(p, t, c, scale, grad, keep, add, d);
    case LOSS_CATEGORICAL_CROSSENTROPY:
        return from_logits ? categorical_crossentropy_logits_row(p, t, c, scale, grad, keep, add, d)
                           : categorical_crossentropy_row(p, t, c, scale, grad, keep, add, d);
    case LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
        return from_logits ? sparse_categorical_crossentropy_logits_row(p, t[0], c, scale, grad, d)
                           : sparse_categorical_crossentropy_row(p, t[0], c, scale, grad, d);
    default:
        return nan_row(c, grad, d);
    }
}

/* acc[0] += value with Kahan compensation kept in acc[1] (true sum = acc[0] - acc[1]). */
void kahan_add(__global float *acc, float value)
{
    const float sum = acc[0];
    const float y = value - acc[1];
    const float t = sum + y;
    acc[1] = (t - sum) - y;
    acc[0] = t;
}

/* ------------------------------------------------------------------ metrics */

/* First index of the largest value (ties: the first, as numpy.argmax). */
inline uint argmax_first(__global const float *x, uint c)
{
    uint best = 0;
    for (uint j = 1; j < c; j++)
        if (x[j] > x[best])
            best = j;
    return best;
}

float metric_row(uint kind, __global const float *p, __global const float *t, uint c, float threshold)
{
    float sum = 0.0f;
    switch (kind) {
    case METRIC_RMSE:
    case METRIC_MSE:
        for (uint j = 0; j < c; j++)
            sum += (p[j] - t[j]) * (p[j] - t[j]);
        return sum / (float)c;
    case METRIC_MAE:
        for (uint j = 0; j < c; j++)
            sum += fabs(p[j] - t[j]);
        return sum / (float)c;
    case METRIC_BINARY_ACCURACY:
        for (uint j = 0; j < c; j++)
            sum += (p[j] > threshold ? 1.0f : 0.0f) == t[j] ? 1.0f : 0.0f;
        return sum / (float)c;
    case METRIC_CATEGORICAL_ACCURACY:
        return argmax_first(p, c) == argmax_first(t, c) ? 1.0f : 0.0f;
    case METRIC_SPARSE_CATEGORICAL_ACCURACY:
        return (float)argmax_first(p, c) == t[0] ? 1.0f : 0.0f;
    default:
        return NAN;
    }
}

/* Adds the batch to n_metrics accumulators; metric m's kind is bits
 * 4m..4m+3 of kinds, its accumulator acc[2m .. 2m + 1]. */
void add_metrics(uint n_metrics, uint kinds, float threshold, uint n, uint c, uint target_stride,
                 __global const float *pred, __global const float *target, __global float *acc,
                 __local float *scratch)
{
    const uint lid = get_local_id(0), lsize = get_local_size(0);
    for (uint m = 0; m < n_metrics; m++) {
        const uint kind = (kinds >> (4 * m)) & 15u;
        float part = 0.0f;
        for (uint r = lid; r < n; r += lsize)
            part += metric_row(kind, pred + (ulong)r * c, target + (ulong)r * target_stride, c, threshold);
        const float total = group_sum_1d(scratch, part);
        if (lid == 0)
            kahan_add(acc + 2 * m, total);
    }
}

/* One work-group adds the batch to the metric accumulators (add_metrics). */
__kernel void metrics_update(uint n_metrics, uint kinds, float threshold, uint n, uint c, uint target_stride,
                             __global const float *pred, ulong pred_off, __global const float *target,
                             ulong target_off, __global float *acc, ulong acc_off, __local float *scratch)
{
    add_metrics(n_metrics, kinds, threshold, n, c, target_stride, pred + pred_off, target + target_off,
                acc + acc_off, scratch);
}

/* One work-group. Targets are (n, c), or (n) class ids for the sparse loss.
 * write_grad = 0: dpred is not touched; accumulate = 0: acc is not touched.
 * n_metrics > 0: the batch is also added to the metric accumulators, as
 * metrics_update does, so training and evaluation read the predictions once
 * per batch in one launch. The metrics come first: with dpred == pred (in
 * place) they must see the predictions, and each work-item handles the same
 * rows in both loops, so no barrier is needed between them. */
/* Keras' class_weight (fit's class_weight, as sample weights): row r's loss
 * and gradient are scaled by class_weight[class of r], the class being the
 * class id (sparse), the rounded target (one output) or the target's argmax
 * (first maximum); a class outside the n_class_weights given gives NaN. No
 * weights (n_class_weights 0): 1, the row unchanged. */
inline float row_weight(int kind, __global const float *t, uint c, __global const float *class_weight,
                        uint n_class_weights)
{
    if (n_class_weights == 0)
        return 1.0f;
    int k;
    if (kind == LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        k = t[0] >= 0.0f ? (int)t[0] : -1;
    } else if (c == 1) {
        k = t[0] >= 0.0f ? (int)rint(t[0]) : -1;
    } else {
        k = 0;
        for (uint j = 1; j < c; j++)
            k = t[j] > t[k] ? (int)j : k;
    }
    return k >= 0 && (uint)k < n_class_weights ? class_weight[k] : NAN;
}

__kernel void loss_forward_backward(int kind, int from_logits, float label_smoothing, uint n, uint c,
                                    __global const float *class_weight, ulong class_weight_off, uint n_class_weights,
                                    __global const float *pred, ulong pred_off, __global const float *target,
                                    ulong target_off, int write_grad, __global float *dpred, ulong dpred_off,
                                    int accumulate, __global float *acc, ulong acc_off, uint n_metrics,
                                    uint metric_kinds, float threshold, __global float *metric_acc,
                                    ulong metric_acc_off, __local float *scratch)
{
    const uint lid = get_local_id(0), lsize = get_local_size(0);
    const uint target_stride = kind == LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : c;
    add_metrics(n_metrics, metric_kinds, threshold, n, c, target_stride, pred + pred_off, target + target_off,
                metric_acc + metric_acc_off, scratch);
    const float scale = 1.0f / (float)n;
    float part = 0.0f;
    for (uint r = lid; r < n; r += lsize) {
        __global const float *t = target + target_off + (ulong)r * target_stride;
        const float w = row_weight(kind, t, c, class_weight + class_weight_off, n_class_weights);
        part += w * loss_row(kind, from_logits, label_smoothing, pred + pred_off + (ulong)r * c, t, c, scale * w,
                             write_grad, dpred + dpred_off + (ulong)r * c);
    }
    const float total = group_sum_1d(scratch, part);
    if (accumulate && lid == 0)
        kahan_add(acc + acc_off, total);
}

/* kernel_regularizer (Keras' L1, L2, L1L2) of one kernel tensor w of n
 * floats, one work-group: adds l1 sign(w) + 2 l2 w to its gradient g
 * (write_grad) and rows * (l1 sum|w| + l2 sum w^2) to the loss accumulator
 * (accumulate), so that the penalty joins the batch's mean loss, as Keras
 * adds model.losses to it. sign(0) = 0, as tf.sign. */
__kernel void regularize(ulong n, __global const float *w, ulong w_off, __global float *g, ulong g_off, float l1,
                         float l2, int write_grad, int accumulate, __global float *acc, ulong acc_off, uint rows,
                         __local float *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    w += w_off, g += g_off;
    float l1_sum = 0.0f, l2_sum = 0.0f;
    for (ulong i = lid; i < n; i += lsize) {
        const float wi = w[i];
        l1_sum += fabs(wi);
        l2_sum += wi * wi;
        if (write_grad)
            g[i] += l1 * sign(wi) + 2.0f * l2 * wi;
    }
    const float penalty = l1 * group_sum_1d(scratch, l1_sum) + l2 * group_sum_1d(scratch, l2_sum);
    if (accumulate && lid == 0)
        kahan_add(acc + acc_off, penalty * (float)rows);
}
