/* Status codes shared by every cltrain function.
 *
 * Library code never prints and never exits: it returns a ct_status and, on
 * failure, leaves a human-readable detail string (naming the file, field or
 * device involved) that the caller fetches with ct_last_error(). */
#ifndef CLTRAIN_STATUS_H
#define CLTRAIN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(enum, name, message) — the one table behind the enum and both lookups. */
#define CT_STATUS_TABLE(X)                                                              \
    X(CT_OK, "ok", "success")                                                           \
    X(CT_ERR_NO_MEMORY, "no_memory", "out of host memory")                              \
    X(CT_ERR_INVALID_ARGUMENT, "invalid_argument", "invalid argument")                  \
    X(CT_ERR_NO_PLATFORM, "no_platform", "no OpenCL platform found")                    \
    X(CT_ERR_NO_DEVICE, "no_device", "no matching OpenCL device")                       \
    X(CT_ERR_OPENCL, "opencl", "OpenCL call failed")                                    \
    X(CT_ERR_BUILD, "build", "OpenCL program failed to build")                          \
    X(CT_ERR_UNSUPPORTED, "unsupported", "operation not supported on this device")      \
    X(CT_ERR_IO, "io", "file input/output failed")                                      \
    X(CT_ERR_PARSE, "parse", "invalid input file")                                      \
    X(CT_ERR_CONFIG, "config", "invalid configuration")                                 \
    X(CT_ERR_SHAPE, "shape", "tensor shapes do not match")                              \
    X(CT_ERR_DATA, "data", "invalid data")                                              \
    X(CT_ERR_NOT_FOUND, "not_found", "not found")                                       \
    X(CT_ERR_CHECKSUM, "checksum", "checksum mismatch")                                 \
    X(CT_ERR_NETWORK, "network", "download failed")                                     \
    X(CT_ERR_NUMERIC, "numeric", "non-finite value (NaN or Inf)")                       \
    X(CT_ERR_BLAS, "blas", "CLBlast call failed")                                       \
    X(CT_ERR_INTERNAL, "internal", "internal error")

typedef enum {
#define CT_STATUS_ENUM(e, name, msg) e,
    CT_STATUS_TABLE(CT_STATUS_ENUM)
#undef CT_STATUS_ENUM
        CT_STATUS_COUNT
} ct_status;

/* Short identifier such as "no_device"; "unknown" for out-of-range values. */
const char *ct_status_name(ct_status s);
/* One-line generic message such as "no matching OpenCL device". */
const char *ct_status_message(ct_status s);

/* Detail of the most recent failure on this thread ("" if none). The string
 * is owned by the library and valid until the next failing call. */
const char *ct_last_error(void);
void ct_clear_error(void);

/* Record a failure detail (printf-style) and return s, so failing paths read
 * `return ct_fail(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));` */
ct_status ct_fail(ct_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prefix the current detail with more context ("loading weights: ..."). */
ct_status ct_fail_context(ct_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define CT_TRY(expr)                          \
    do {                                      \
        ct_status ct_try_status_ = (expr);    \
        if (ct_try_status_ != CT_OK)          \
            return ct_try_status_;            \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
