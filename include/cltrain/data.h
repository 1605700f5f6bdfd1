/* Host-side data: CSV tables, column selection with a target shift, seeded
 * train/validation/test splits, standardisation, CIFAR-10 binaries, and
 * locating / fetching dataset files.
 *
 * Everything here runs on the host and produces plain float32 arrays
 * (row-major) that the runner uploads to the device once. Nothing here knows
 * about the experiment file: callers pass plain parameters.
 *
 * Ownership: every struct filled by a ct_* function owns its arrays and is
 * released with the matching *_free(), which also accepts a zeroed struct and
 * may be called twice. On failure, outputs are left zeroed (nothing to free). */
#ifndef CLTRAIN_DATA_H
#define CLTRAIN_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== CSV
 * A header row, then one record per line, comma-separated. Quoted fields
 * ("a,b" and "say ""hi""", also spanning lines), LF or CRLF line ends, a
 * UTF-8 byte-order mark, blank lines (skipped, like pandas) and a missing final
 * newline are all accepted. An empty header name becomes "Unnamed: K" (K the
 * 0-based column), as pandas names the index column it wrote.
 *
 * Structure errors fail the read (CT_ERR_PARSE / CT_ERR_DATA): empty file,
 * header only, ragged rows ("row 5 has 3 fields, the header has 4"),
 * duplicate column names, an unterminated quote.
 *
 * Cell values are checked later, only for the columns a caller uses (so a
 * text column that gets dropped does no harm): a cell that is not a finite
 * number reads as NaN and is listed in `problems`. ct_tabular_from_table()
 * and ct_table_require_numeric() turn problems into errors such as
 *   weather.csv: row 17, column BASEL_sunshine: expected a number, got "n/a"
 * where "row" is the 1-based line number in the file. */

typedef enum {
    CT_CELL_MISSING = 1,     /* empty, or one of pandas' NA markers: NA, N/A, n/a, NaN, nan, NULL, null, None, #N/A, <NA>, ... */
    CT_CELL_NOT_A_NUMBER = 2 /* any other text, or a number that is not finite (inf, 1e999) */
} ct_cell_problem_kind;

typedef struct {
    size_t row; /* data row (0-based, header excluded) */
    size_t col;
    ct_cell_problem_kind kind;
    char *text; /* the field as written, unquoted */
} ct_cell_problem;

typedef struct {
    char *source;     /* file path (or the name given to ct_csv_parse), used in messages */
    size_t n_rows;    /* data rows, header and blank lines excluded */
    size_t n_cols;
    char **names;     /* n_cols column names */
    double *values;   /* n_rows x n_cols, row-major; NaN where a problem is listed */
    size_t *lines;    /* n_rows: 1-based line of the file where each row starts */
    ct_cell_problem *problems; /* in file order */
    size_t n_problems;
    char **texts; /* n_rows x n_cols: for the columns ct_csv_read_keeping() keeps, each field
                     as written ("007" stays "007"); NULL elsewhere, and NULL without such columns */
} ct_table;

ct_status ct_csv_read(const char *path, ct_table *out);
/* Same, also keeping the fields of the named columns as written (texts), to
 * pass ID columns through; an unknown name is CT_ERR_NOT_FOUND with a "did
 * you mean". */
ct_status ct_csv_read_keeping(const char *path, const char *const *keep, size_t n_keep, ct_table *out);
/* Same, from memory; `source` names the text in messages. */
ct_status ct_csv_parse(const char *source, const char *text, size_t len, ct_table *out);
void ct_table_free(ct_table *t);

/* Index of an exact column name. Unknown: CT_ERR_NOT_FOUND with a
 * "did you mean" suggestion when a column name is close. */
ct_status ct_table_find_column(const ct_table *t, const char *name, size_t *index_out);

/* CT_ERR_DATA naming the first problem cell, if any (all columns checked). */
ct_status ct_table_require_numeric(const ct_table *t);

/* ======================================================= selection and target
 * Feature columns: the union of exact names, prefixes ("BASEL_") and fnmatch
 * globs ("*_temp_mean"); no include list at all means every column. Then the
 * drop list (exact names or globs) is removed. Selected columns keep file
 * order. An include or drop entry that matches nothing is an error (with a
 * "did you mean" suggestion for names), as pandas' drop(columns=...) is.
 *
 * Rows and target shift, the workshop's semantics exactly:
 *   X = data.loc[first:last]                     (pandas .loc is inclusive)
 *   y = data.loc[first+shift : last+shift][target]
 * so sample i is data row r = first+i, its features are row r, its y is the
 * target on row r+shift ("tomorrow" for shift 1), and y_today is the target
 * on row r itself (the persistence baseline "tomorrow = today").
 * The workshop's rows 0..1095 with shift 1 give 1096 samples whose y runs
 * over rows 1..1096. An explicit last_row with last_row+shift beyond the
 * file is an error; CT_LAST_ROW (the default) stops at the last row whose
 * shifted target exists.
 *
 * Missing values (cells of the used columns on the used rows: features on r,
 * target on r and r+shift): an error naming line and column, or, with
 * drop_missing, the sample is dropped (counted in n_dropped). Text that is not
 * a number (CT_CELL_NOT_A_NUMBER) is always an error: dropping rows over a
 * typo would hide a broken file. */

typedef struct {
    const char *const *names; /* exact column names */
    size_t n_names;
    const char *const *prefixes; /* "BASEL_" selects BASEL_sunshine, BASEL_temp_mean, ... */
    size_t n_prefixes;
    const char *const *globs; /* fnmatch(3) patterns: "*_temp_mean" */
    size_t n_globs;
    const char *const *drop; /* exact names or globs, removed from the selection */
    size_t n_drop;
} ct_column_selection;

#define CT_LAST_ROW SIZE_MAX

typedef struct {
    ct_column_selection features;
    size_t first_row;   /* 0-based data row, like pandas' default index label */
    size_t last_row;    /* inclusive; CT_LAST_ROW = as far as the file (and shift) allow */
    const char *target; /* target column, or NULL for features only */
    unsigned shift;     /* y of the sample on row r is target[r + shift] */
    int drop_missing;   /* drop samples with missing values instead of failing */
} ct_tabular_options;

/* Defaults: every column, every row, no target, shift 0, drop_missing 0. */
void ct_tabular_options_init(ct_tabular_options *o);

typedef struct {
    size_t n_samples;
    size_t n_features;
    char **feature_names; /* n_features, in column order of x */
    float *x;             /* n_samples x n_features, row-major */
    char *target_name;    /* NULL without a target; then y and y_today are NULL */
    unsigned shift;
    float *y;             /* n_samples: target on row + shift */
    float *y_today;       /* n_samples: target on row (the persistence prediction of y) */
    size_t *rows;         /* n_samples: data row of each sample's features (pandas index) */
    size_t *lines;        /* n_samples: 1-based file line of that row, for reports */
    size_t n_dropped;     /* samples dropped for missing values (drop_missing) */
} ct_tabular;

ct_status ct_tabular_from_table(const ct_table *t, const ct_tabular_options *o, ct_tabular *out);
void ct_tabular_free(ct_tabular *d);

/* RMSE of the persistence baseline (predict y by y_today) over the samples
 * idx[0..n) (idx NULL: all samples). Needs a target. */
ct_status ct_tabular_persistence_rmse(const ct_tabular *d, const size_t *idx, size_t n,
                                      double *rmse_out);

/* ============================================================== class labels
 * A classification target column may hold text labels ("setosa",
 * "class_0"): ct_table_encode_labels() turns them into class indices 0..K-1,
 * the classes being the column's distinct labels sorted bytewise (strcmp),
 * as sklearn's LabelEncoder and Keras' image_dataset_from_directory order
 * them. A numeric cell in such a column counts as its text ("%.15g": 3 is
 * "3"). Missing cells stay missing (drop_missing or the usual error).
 * Given a class list (*names non-NULL: the classes a model was trained on),
 * the labels are looked up in it instead, and a label outside it is an error
 * naming the line and the closest class; with *names NULL the list is
 * derived and returned (free with ct_class_names_free()). */

/* Column col holds text that is not a number (CT_CELL_NOT_A_NUMBER). */
bool ct_table_column_has_text(const ct_table *t, size_t col);
ct_status ct_table_encode_labels(ct_table *t, size_t col, char ***names, size_t *n_names);
void ct_class_names_free(char **names, size_t n);

/* Every label a class the model can output, checked before training:
 * class indices (sparse or categorical crossentropy) must be whole numbers
 * in [0, n_classes); binary labels lie in [0, 1]. The error names the file
 * line of the first bad label, and hints at labels that count from 1. */
typedef struct {
    const float *y;
    size_t n;
    size_t n_classes;     /* classes the output layer gives */
    size_t units;         /* the output layer's units (for the message) */
    bool binary;          /* binary_crossentropy: labels in [0, 1] */
    const size_t *lines;  /* n: file line of each label, or NULL */
    const char *source;   /* file, for the message */
    const char *column;   /* label column, for the message */
} ct_labels_check_args;
ct_status ct_labels_check(const ct_labels_check_args *a);

/* Class indices y[0..n) as one-hot rows (n x n_classes, malloc'd: free()),
 * the labels categorical_crossentropy compares with. */
ct_status ct_labels_one_hot(const float *y, size_t n, size_t n_classes, float **out);

/* ====================================================================== split
 * A seeded train/validation/test split of n samples into index lists.
 *
 * Sizes follow sklearn's train_test_split applied twice, as the workshop did
 * (train_test_split(test_size=validation+test), then the holdout split again
 * with test_size = test/(validation+test)):
 *   n_holdout    = ceil((validation + test) * n)
 *   n_train      = n - n_holdout
 *   n_test       = ceil(test / (validation + test) * n_holdout)
 *   n_validation = n_holdout - n_test
 * 1096 samples at 0.7/0.15/0.15 give 767/164/165, as in the workshop. (ceil
 * ignores floating-point noise below 1e-9 relative: 0.1*30 gives 3, where
 * sklearn would give 4.) Every sample lands in exactly one list.
 *
 * Shuffled (default): a Fisher-Yates permutation driven by a counter-based
 * generator keyed by the seed, identical on every machine; lists are in
 * permutation order, like sklearn's (the members differ from sklearn's, whose
 * permutation comes from numpy's Mersenne Twister). keep_order: contiguous
 * blocks train | validation | test in sample order (chronological for a time
 * series), the seed unused.
 *
 * use_random_state: sklearn's own rows, member for member and in its order:
 * p = numpy.random.RandomState(random_state).permutation(n); the holdout is
 * p[:n_holdout] and train is p[n_holdout:]; then q is the same permutation of
 * n_holdout, test is holdout[q[:n_test]] and validation holdout[q[n_test:]]
 * (sklearn returns the test part second: X_val, X_test = train_test_split(
 * X_holdout, test_size=0.5, random_state=0)). The seed is unused. */

typedef struct {
    double train, validation, test; /* fractions in [0,1], summing to 1 */
    uint64_t seed;
    int keep_order;
    int use_random_state;  /* sklearn-compatible order, see above */
    uint32_t random_state; /* numpy RandomState seed when use_random_state */
} ct_split_options;

typedef struct {
    size_t *train, n_train;
    size_t *validation, n_validation;
    size_t *test, n_test;
} ct_split;

ct_status ct_split_make(size_t n, const ct_split_options *o, ct_split *out);
void ct_split_free(ct_split *s);

/* Copy rows idx[0..n) of src (row_len floats each) into a new array *out
 * (malloc'd, n x row_len; free()). For a split's host copies. */
ct_status ct_gather_rows(const float *src, size_t row_len, const size_t *idx, size_t n,
                         float **out);

/* ============================================================ standardisation
 * Per-column mean and standard deviation (population, ddof 0, like sklearn's
 * StandardScaler) fitted on the training rows only, applied to every split:
 * x' = (x - mean) / scale. A constant column (std below 1e-12 relative to
 * its mean) gets scale 1, so it is left centred (zeros), never NaN. Save
 * mean[] and scale[] with the model to apply the same transform at predict
 * time. */

typedef struct {
    size_t n_cols;
    double *mean;  /* n_cols */
    double *std;   /* n_cols: as measured */
    double *scale; /* n_cols: the divisor used (std, or 1 for a constant column) */
} ct_standardizer;

/* Fit on rows idx[0..n) of x (n_cols floats per row). n must be > 0. */
ct_status ct_standardizer_fit(const float *x, size_t n_cols, const size_t *idx, size_t n,
                              ct_standardizer *out);
/* Transform n_rows rows of x in place. */
void ct_standardizer_apply(const ct_standardizer *s, float *x, size_t n_rows);
void ct_standardizer_free(ct_standardizer *s);

/* ================================================================== CIFAR-10
 * The official binary layout: records of 1 label byte + 3072 pixel bytes
 * (1024 red, 1024 green, 1024 blue, each 32x32 row-major). Output is Keras'
 * channels-last NHWC float32 in [0,1] (byte / 255.0), labels int32 0..9. */

#define CT_CIFAR10_SIDE 32
#define CT_CIFAR10_CHANNELS 3
#define CT_CIFAR10_PIXELS (CT_CIFAR10_SIDE * CT_CIFAR10_SIDE * CT_CIFAR10_CHANNELS) /* 3072 */
#define CT_CIFAR10_RECORD (1 + CT_CIFAR10_PIXELS)                                  /* 3073 */
#define CT_CIFAR10_CLASSES 10

typedef struct {
    size_t n;
    float *x;        /* n x 32 x 32 x 3 (NHWC), values in [0,1] */
    int32_t *labels; /* n, 0..9 */
} ct_image_set;

typedef struct {
    const char *dir;          /* folder with data_batch_N.bin, test_batch.bin, batches.meta.txt */
    unsigned train_batches;   /* read data_batch_1 .. data_batch_<this> that exist (1..5; 0 = 5) */
    size_t train_subset;      /* 0 = all; else only the first n training images (stops reading early) */
    size_t test_subset;       /* 0 = all; else the first n test images */
} ct_cifar10_options;

typedef struct {
    ct_image_set train;
    ct_image_set test;
    char *class_names[CT_CIFAR10_CLASSES]; /* from batches.meta.txt: "airplane" .. "truck" */
    unsigned train_batches_read;           /* bit k set: data_batch_<k+1>.bin was read */
} ct_cifar10;

/* Reads the training batches asked for that exist (none existing is an
 * error naming the files and folder), the test batch and the class names.
 * Errors: a missing file (named, with the folder searched), a size that is
 * not a multiple of 3073 bytes (truncated: the byte count is given), a label
 * above 9 (record and byte offset given), an empty file. */
ct_status ct_cifar10_load(const ct_cifar10_options *o, ct_cifar10 *out);
void ct_cifar10_free(ct_cifar10 *c);

/* One batch file, appended to *set (which may be zeroed or already hold
 * images). At most max_images are read (0 = all); the whole file size is
 * still validated. */
ct_status ct_cifar10_read_batch(const char *path, size_t max_images, ct_image_set *set);
void ct_image_set_free(ct_image_set *s);

/* ================================================================== images
 * ct_image_read: a PNG or JPEG file (told apart by its first bytes, not its
 * name) of any size as *rgb, a new array of width*height*3 floats in [0, 1],
 * row-major, channels last (HWC, like the model's input). Greyscale is
 * replicated to RGB, palettes are expanded, 16-bit samples are reduced, and
 * transparency is composited onto white. CT_ERR_IO when the file cannot be
 * read; CT_ERR_PARSE for another format or a corrupt image, naming the file.
 * Free *rgb with free(). */
ct_status ct_image_read(const char *path, size_t *width, size_t *height, float **rgb);
/* The same as 8-bit RGB (width*height*3 bytes, malloc'd): the decoders' own
 * output, for the image-folder cache. */
ct_status ct_image_read_rgb8(const char *path, size_t *width, size_t *height, unsigned char **rgb);

/* Resize an image (height x width x channels, row-major) with bilinear
 * interpolation, pixel centres aligned (half-pixel), antialiased when
 * shrinking (the filter widens with the scale, as PIL's BILINEAR does), so a
 * photo shrunk to 32x32 is not aliased. *out is a new array of
 * out_height*out_width*channels floats. */
ct_status ct_image_resize(const float *in, size_t width, size_t height, size_t channels,
                          size_t out_width, size_t out_height, float **out);

/* ============================================================== image folders
 * keras.utils.image_dataset_from_directory: the classes are the sorted names
 * of dir's sub-folders (hidden ones left out), and every regular file in a
 * class folder (sorted by name; files directly in dir are ignored) is an
 * image of that class, read by its first bytes as PNG or JPEG. Each image is
 * turned grey (TF's weights 0.2989, 0.5870, 0.1140) when asked, then resized
 * to height x width: bilinear (antialiased when shrinking, as PIL; Keras'
 * tf.image.resize is not) or nearest; an image of that size already is
 * copied unchanged. A file that is not a readable PNG or JPEG is an error
 * naming it, or with skip_broken it is left out and counted (n_skipped,
 * first_skipped).
 *
 * The 8-bit result is cached in cache_dir (default $CLTRAIN_CACHE_DIR/images,
 * else $XDG_CACHE_HOME/cltrain/images, else ~/.cache/cltrain/images; none
 * when CLTRAIN_NO_CACHE is set) under a key over the options and every file's path, size and mtime, so the
 * next run reads it back instead of decoding (from_cache); any change to a
 * file gives a fresh decode. */
typedef struct {
    const char *dir;
    size_t height, width;
    int grayscale;   /* 1 channel, else 3 (RGB) */
    int nearest;     /* nearest-neighbour resizing, else bilinear */
    int skip_broken; /* skip and count unreadable files instead of failing */
    const char *const *classes; /* NULL: dir's sub-folders; else these (the trained model's), which
                                   dir must have and not exceed (a test folder) */
    size_t n_classes;
    const char *cache_dir; /* NULL: the default above; "": no cache */
} ct_image_folder_options;

typedef struct {
    size_t n, height, width, channels;
    uint8_t *pixels;     /* n x height x width x channels (NHWC), 0..255 */
    int32_t *labels;     /* n class indices */
    char **class_names;  /* n_classes, sorted */
    size_t n_classes;
    size_t n_skipped;    /* skip_broken: files left out */
    char *first_skipped; /* the first of them (NULL when read from the cache) */
    int from_cache;
} ct_image_folder;

ct_status ct_image_folder_load(const ct_image_folder_options *o, ct_image_folder *out);
/* One image file prepared as the folder loader prepares each image (grey,
 * resized, 8-bit) into out (height x width x channels bytes): predict uses it
 * so a new photo meets the model exactly as the training images did. */
ct_status ct_image_prepare(const char *path, size_t height, size_t width, int grayscale, int nearest,
                           unsigned char *out);
void ct_image_folder_free(ct_image_folder *f);

/* Keras' validation_split of n images: the order is
 * numpy.random.RandomState(seed).permutation(n), as Keras shuffles its file
 * list with that seed; the last int(validation_split * n) of it validate, the
 * rest train (in that order). out->test stays empty. */
ct_status ct_image_folder_split(size_t n, double validation_split, uint32_t seed, ct_split *out);

/* ========================================================== locate and fetch
 * Find a dataset file (or folder) by name, downloading it when needed:
 *  1. the data dir: data_dir if non-empty, else $CLTRAIN_DATA_DIR; in it
 *     NAME, weather/NAME, and STEM/NAME (STEM = NAME up to its first '.');
 *  2. the cache: $CLTRAIN_CACHE_DIR/datasets, else
 *     $XDG_CACHE_HOME/cltrain/datasets, else ~/.cache/cltrain/datasets: NAME;
 *  3. download url with libcurl into the cache: to NAME.part (resumed with
 *     an HTTP Range request from its size; a server that cannot resume makes
 *     it start over), then renamed to NAME only after the SHA-256 matches.
 *     The .part is locked (flock) while in use: a second process fetching
 *     the same file fails instead of mixing its bytes in. TLS verification
 *     stays on. Protocols: https, http and file (a local mirror).
 *     When the url's file is a .tar.gz / .tgz archive whose name differs
 *     from NAME, the archive is downloaded and verified as above, then
 *     unpacked by running `tar -xzf` into a temporary folder of the cache,
 *     and its top folder NAME is renamed into place.
 * sha256 (64 hex digits, or NULL/"" to skip) is checked for every regular
 * file found or downloaded (for a folder NAME, only the archive it came
 * from). A file that exists but fails the checksum is reported with both
 * digests and never replaced. A failed download names the error and prints
 * the manual command and the exact place to put the file.
 * *path_out: malloc'd path (free()). */
ct_status ct_data_locate(const char *file_name, const char *url, const char *sha256,
                         const char *data_dir, char **path_out);

/* The cache folder ($XDG_CACHE_HOME/cltrain/datasets or
 * ~/.cache/cltrain/datasets), not created. *dir_out: malloc'd (free()). */
ct_status ct_data_cache_dir(char **dir_out);

/* SHA-256 of a file as 64 lowercase hex digits plus NUL. */
ct_status ct_sha256_file_hex(const char *path, char hex_out[65]);

#ifdef __cplusplus
}
#endif
#endif
