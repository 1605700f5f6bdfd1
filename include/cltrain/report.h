/* Writers of the run directory: atomic files, the per-epoch history
 * (history.csv), the weights and checkpoint files, a small YAML emitter for
 * summary.yaml and the input columns of a CSV model (features.csv, also read
 * back here).
 *
 * Everything here works on host memory and files only (no OpenCL). Every
 * file is written through ct_atomic_open/ct_atomic_commit, so a crash or a
 * full disk leaves either the previous complete file or the new complete
 * file, never a partial one. */
#ifndef CLTRAIN_REPORT_H
#define CLTRAIN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/monitor.h" /* ct_monitor_mode */
#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================ atomic files
 * ct_atomic_open creates a temporary file beside `path` (same folder, so the
 * final rename cannot cross file systems), named ".NAME.PID-N.tmp", with the
 * permissions a plain fopen would give. Write to ct_atomic_stream(); then
 *   ct_atomic_commit: flush, fsync, close, rename over `path`, fsync the
 *                     folder so the rename itself survives a power cut;
 *   ct_atomic_commit_unsynced: flush, close, rename, no fsync: readers and a
 *                     killed process still see a whole file, the previous
 *                     or the new one, but a power cut may lose the newest
 *                     (for files rewritten often, synced now and then);
 *   ct_atomic_abort:  close and delete the temporary file; `path` untouched.
 * All three release the handle, whatever happens; exactly one of them must be
 * called. Write errors on the stream (a full disk) are reported by commit. */
typedef struct ct_atomic_file ct_atomic_file;

ct_status ct_atomic_open(const char *path, ct_atomic_file **out);
FILE *ct_atomic_stream(ct_atomic_file *file);
ct_status ct_atomic_commit(ct_atomic_file *file);
ct_status ct_atomic_commit_unsynced(ct_atomic_file *file);
/* Removes the temporary files (".NAME.PID-N.tmp") that writers in dir left
 * when they were killed: those whose process no longer exists. A live
 * writer's file, any other file, and anything not a plain file (a folder, a
 * link) of that name, is left alone. *removed (may be NULL)
 * counts them. A folder that cannot be read is an error naming it. */
ct_status ct_atomic_remove_stale(const char *dir, size_t *removed);
void ct_atomic_abort(ct_atomic_file *file); /* NULL is fine */

/* ================================================================= history
 * One row per epoch, one column per logged quantity, in Keras' names and in
 * the order given at creation: loss, root_mean_squared_error, val_loss,
 * val_root_mean_squared_error, ..., seconds. Rows carry their epoch number
 * (from 0, as Keras' CSVLogger writes it).
 *
 * history.csv: a header "epoch,<columns...>", then one line per row; numbers
 * in the shortest form that reads back to the same double ("0.1", "nan",
 * "inf"). The reader also takes Keras CSVLogger's "NA" (and an empty field)
 * as NaN. Column names may not contain ',', '"' or line breaks. */
typedef struct ct_history ct_history;

/* An empty table with these columns (not counting "epoch", which every
 * history has). Names are copied; they must be unique and non-empty.
 * CT_ERR_INVALID_ARGUMENT naming the bad column. */
ct_status ct_history_create(const char *const *columns, size_t n, ct_history **out);
void ct_history_free(ct_history *history); /* NULL is fine */

/* Append one epoch: values[i] belongs to column i and n must equal the
 * column count. The epoch number is the previous row's plus one (0 first). */
ct_status ct_history_append(ct_history *history, const double *values, size_t n);

size_t ct_history_rows(const ct_history *history);
size_t ct_history_columns(const ct_history *history); /* without "epoch" */
const char *ct_history_column_name(const ct_history *history, size_t column);
int ct_history_epoch(const ct_history *history, size_t row);
double ct_history_value(const ct_history *history, size_t row, size_t column); /* NaN if out of range */

/* Index of the column called `name`; CT_ERR_NOT_FOUND listing the columns. */
ct_status ct_history_find_column(const ct_history *history, const char *name, size_t *column);

/* Best value of a column and its epoch: lowest (min) or highest (max); auto
 * decides from the name as early stopping does (ct_monitor_maximizes). NaN
 * rows are skipped; of equal values the first wins. CT_ERR_NOT_FOUND when
 * the column does not exist or holds no number. */
ct_status ct_history_best(const ct_history *history, const char *column, ct_monitor_mode mode,
                          int *epoch, double *value);

/* Write the whole table atomically (the runner rewrites it every epoch);
 * `durable` false skips the fsyncs (see ct_atomic_commit_unsynced). */
ct_status ct_history_write_csv(const ct_history *history, const char *path);
ct_status ct_history_write_csv_durability(const ct_history *history, const char *path, bool durable);

/* Read a history.csv back. Errors say "PATH:LINE: ..." and, for a bad value,
 * which column (CT_ERR_PARSE), or CT_ERR_IO when the file cannot be read. */
ct_status ct_history_read_csv(const char *path, ct_history **out);

/* ================================================================= weights
 * The weights file ("weights.bin" in a run directory). All integers are
 * unsigned little-endian; floats are IEEE-754 binary32, little-endian.
 *
 *   offset  size        field
 *   0       8           magic "CLTRAINW" (ASCII, no terminator)
 *   8       4           u32 format version = CT_WEIGHTS_VERSION (1)
 *   12      4           u32 tensor count T
 *   then T tensors, each:
 *           4           u32 name length L (1 .. CT_WEIGHTS_MAX_NAME)
 *           L           name, UTF-8, no terminator ("dense_1/kernel")
 *           4           u32 ndim (0 .. CT_WEIGHTS_MAX_DIMS; 0 is a scalar)
 *           8 * ndim    u64 shape, outermost first (row-major, Keras' order)
 *           4 * count   f32 data, count = product of the shape (1 if ndim 0)
 *   last    4           u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every
 *                       byte before it
 *
 * Nothing follows the checksum. In Python:
 *   zlib.crc32(data[:-4]) == struct.unpack("<I", data[-4:])[0]
 * A reader must reject what it does not understand: another magic, a newer
 * version, sizes beyond the file's end, a wrong checksum, trailing bytes. */
#define CT_WEIGHTS_MAGIC "CLTRAINW"
#define CT_WEIGHTS_VERSION 1u
#define CT_WEIGHTS_MAX_DIMS 8
#define CT_WEIGHTS_MAX_NAME 1024

/* One host tensor. For writing the caller owns everything; tensors from
 * ct_weights_read are owned by the array and freed by ct_weights_free. */
typedef struct {
    char *name;
    int ndim;                          /* 0 .. CT_WEIGHTS_MAX_DIMS */
    size_t shape[CT_WEIGHTS_MAX_DIMS]; /* first ndim entries used */
    float *data;                       /* ct_named_tensor_count() values, row-major */
} ct_named_tensor;

/* Product of the shape (1 for ndim 0); SIZE_MAX when it overflows. */
size_t ct_named_tensor_count(const ct_named_tensor *tensor);

/* Write n tensors (n may be 0) atomically. CT_ERR_INVALID_ARGUMENT for a
 * tensor the format cannot hold (no name, name too long, bad ndim, NULL
 * data), CT_ERR_IO for file errors. */
ct_status ct_weights_write(const char *path, const ct_named_tensor *tensors, size_t n);

/* Read a weights file: *out is a new array of *n tensors (NULL when n is 0).
 * Every size is checked against the bytes left in the file before anything
 * is allocated. Errors: CT_ERR_IO (cannot read), CT_ERR_PARSE ("not a
 * cltrain weights file", empty, truncated or corrupt: the message names the
 * tensor and offset), CT_ERR_UNSUPPORTED (newer version), CT_ERR_CHECKSUM. */
ct_status ct_weights_read(const char *path, ct_named_tensor **out, size_t *n);

void ct_weights_free(ct_named_tensor *tensors, size_t n); /* NULL is fine */

/* CT_ERR_NUMERIC naming the first tensor that holds a NaN or infinite
 * value, with how many and the first index (a diverged run's weights:
 * evaluate and predict refuse them rather than print NaN or garbage with
 * success). path names the file in the message. */
ct_status ct_weights_check_finite(const char *path, const ct_named_tensor *tensors, size_t n);

/* CRC-32 (IEEE, reflected, as zlib): start with crc = 0, feed chunks in
 * order, each call returning the running value. */
uint32_t ct_crc32(uint32_t crc, const void *data, size_t size);

/* ============================================================== checkpoint
 * The checkpoint file ("checkpoint.bin" in a run directory): everything a
 * run needs to continue exactly where it stopped, as named arrays. Same
 * conventions as weights.bin (unsigned little-endian integers, IEEE-754
 * little-endian floats, zlib's CRC-32):
 *
 *   offset  size        field
 *   0       8           magic "CLTRAINC"
 *   8       4           u32 format version = CT_CHECKPOINT_VERSION (1)
 *   12      4           u32 record count R
 *   then R records, each:
 *           4           u32 name length L (1 .. CT_CHECKPOINT_MAX_NAME)
 *           L           name, ASCII, no terminator ("optimizer/state")
 *           4           u32 type: 1 f32, 2 f64, 3 i64 (two's complement), 4 text (UTF-8)
 *           8           u64 count of values (bytes for text)
 *           count * 4, 8, 8 or 1 bytes of values
 *   last    4           u32 CRC-32 of every byte before it
 *
 * Nothing follows the checksum; a reader rejects another magic, a newer
 * version, a wrong checksum, sizes beyond the end and trailing bytes. Record
 * order does not matter; a reader ignores records it does not know, so later
 * versions may add some without a new version number.
 *
 * The records of a run (src/run/checkpoint_io.c), epochs counted from 0:
 *   experiment                text  the effective configuration (config.yaml's text)
 *   position                  i64[2] epoch in progress or next; batches of it done
 *                                   (0: the checkpoint is at an epoch's end)
 *   finished                  i64   1 when training has ended (all epochs, early
 *                                   stopping), 0 when it can continue
 *   rng/seed                  i64   the experiment's seed
 *   rng/shuffle_epoch         i64   the epoch whose sample order is in use (-1: none)
 *   rng/dropout_step          i64   training forwards so far (dropout masks)
 *   model/tensors             text  the model's tensor names, one per line, weights.bin's order
 *   model/NAME                f32[] that tensor's values ("model/dense_1/kernel")
 *   model/NAME/shape          i64[] its shape
 *   optimizer/state           f32[] moments or velocities (empty for plain SGD)
 *   optimizer/iterations      i64   optimizer steps taken
 *   optimizer/learning_rate   f64   the learning rate in force
 *   accumulators/loss         f32[2] the epoch's loss sum and its compensation
 *   accumulators/loss_count   i64   samples in it
 *   accumulators/metrics      f32[] (sum, compensation) per metric
 *   accumulators/metric_samples i64
 *   early_stopping            f64[6] wait, best, best_epoch, weights_epoch,
 *                                   stopped_epoch, last_epoch (-1: none)
 *   early_stopping/best_weights f32[] restore_best_weights' copy (only once taken), the
 *                                   model/NAME arrays one after the other
 *   model_checkpoint          f64[6] as early_stopping, for model_checkpoint's best
 *   history/columns           text  the history's column names, comma-separated
 *   history/values            f64[] rows x columns, row-major (history.csv's numbers)
 *   seconds/training          f64   training time so far */
#define CT_CHECKPOINT_MAGIC "CLTRAINC"
#define CT_CHECKPOINT_VERSION 1u
#define CT_CHECKPOINT_MAX_NAME 255

typedef enum { CT_RECORD_F32 = 1, CT_RECORD_F64 = 2, CT_RECORD_I64 = 3, CT_RECORD_TEXT = 4 } ct_record_type;

/* A set of named records in host memory. put copies the data; a name may be
 * given once. get returns a pointer into the set (valid until it is freed). */
typedef struct ct_checkpoint ct_checkpoint;

ct_status ct_checkpoint_create(ct_checkpoint **out);
void ct_checkpoint_free(ct_checkpoint *checkpoint); /* NULL is fine */
ct_status ct_checkpoint_put(ct_checkpoint *c, const char *name, ct_record_type type, const void *data,
                            uint64_t count);
ct_status ct_checkpoint_put_i64(ct_checkpoint *c, const char *name, int64_t value);
ct_status ct_checkpoint_put_text(ct_checkpoint *c, const char *name, const char *text);
/* CT_ERR_NOT_FOUND when missing, CT_ERR_PARSE for another type. */
ct_status ct_checkpoint_get(const ct_checkpoint *c, const char *name, ct_record_type type, const void **data,
                            uint64_t *count);
/* Copies exactly count values; CT_ERR_SHAPE for another count. */
ct_status ct_checkpoint_get_array(const ct_checkpoint *c, const char *name, ct_record_type type, void *out,
                                  uint64_t count);
ct_status ct_checkpoint_get_i64(const ct_checkpoint *c, const char *name, int64_t *value);

/* Written atomically (ct_atomic_commit, or ct_atomic_commit_unsynced when
 * durable is false): a crash at any instant leaves the previous complete
 * checkpoint or the new one. */
ct_status ct_checkpoint_write(const ct_checkpoint *c, const char *path, bool durable);
/* CT_ERR_NOT_FOUND when the file does not exist, CT_ERR_IO, CT_ERR_PARSE,
 * CT_ERR_UNSUPPORTED (newer version), CT_ERR_CHECKSUM. */
ct_status ct_checkpoint_read(const char *path, ct_checkpoint **out);

/* The weights a run directory offers: weights.bin when training finished;
 * for a run that did not finish (no weights.bin, or a checkpoint.bin that
 * says training is under way again after a resume with more epochs),
 * best.weights.bin (model_checkpoint), else early stopping's kept weights in
 * checkpoint.bin, else the last checkpoint's. *source (size bytes) says which, for the user: "RUN/
 * checkpoint.bin: the last checkpoint (after epoch 4) of a run that did not
 * finish"; *final is true for weights.bin. CT_ERR_IO when there is none of
 * them. */
ct_status ct_run_weights_read(const char *run_dir, ct_named_tensor **out, size_t *n, bool *final, char *source,
                              size_t size);

/* ===================================================================== YAML
 * A thin layer over libyaml's emitter for summary.yaml: block mappings and
 * sequences of scalars. libyaml does the quoting and escaping; strings that
 * a YAML reader would take for something else ("123", "true", "null", "")
 * are quoted so they read back as strings. Doubles are written so that
 * they read back as floats with the same value (1 -> "1.0", NaN -> ".nan",
 * infinity -> ".inf").
 *
 *     ct_yaml_writer *w;
 *     CT_TRY(ct_yaml_writer_open(stream, &w));
 *     ct_yaml_begin_map(w);
 *     ct_yaml_key(w, "best_epoch");  ct_yaml_value_int(w, 21);
 *     ct_yaml_key(w, "test");        ct_yaml_begin_map(w);
 *       ct_yaml_key(w, "loss");      ct_yaml_value_double(w, 3.2);
 *     ct_yaml_end_map(w);
 *     ct_yaml_end_map(w);
 *     CT_TRY(ct_yaml_writer_close(w));
 *
 * The first error sticks: later calls do nothing and return it again, and
 * ct_yaml_writer_close reports it, so the calls in between need no checks.
 * Close always frees the writer; it flushes to the stream but does not
 * close it. */
typedef struct ct_yaml_writer ct_yaml_writer;

ct_status ct_yaml_writer_open(FILE *stream, ct_yaml_writer **out);
ct_status ct_yaml_begin_map(ct_yaml_writer *w);
ct_status ct_yaml_end_map(ct_yaml_writer *w);
ct_status ct_yaml_begin_list(ct_yaml_writer *w);
ct_status ct_yaml_end_list(ct_yaml_writer *w);
ct_status ct_yaml_key(ct_yaml_writer *w, const char *key);
ct_status ct_yaml_value_str(ct_yaml_writer *w, const char *value); /* NULL writes null */
ct_status ct_yaml_value_double(ct_yaml_writer *w, double value);
ct_status ct_yaml_value_int(ct_yaml_writer *w, int64_t value);
ct_status ct_yaml_value_bool(ct_yaml_writer *w, bool value);
ct_status ct_yaml_value_null(ct_yaml_writer *w);
ct_status ct_yaml_writer_close(ct_yaml_writer *w);

/* ============================================================ features.csv
 * The input columns of a CSV model, `feature,mean,scale` per column in input
 * order, so that `cltrain predict` prepares new rows exactly as training
 * did. mean NULL writes 0 and scale NULL writes 1 (no standardisation). */
typedef struct {
    char **names;
    double *mean, *scale;
    size_t count;
} ct_feature_columns;

ct_status ct_features_write(const char *path, const char *const *names, const double *mean, const double *scale,
                            size_t count);
/* CT_ERR_PARSE naming path:line for a malformed file; release with
 * ct_feature_columns_free (also after a failure, harmlessly). */
ct_status ct_features_read(const char *path, ct_feature_columns *out);
void ct_feature_columns_free(ct_feature_columns *c);

#ifdef __cplusplus
}
#endif
#endif
