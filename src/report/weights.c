/* The weights file: named float32 tensors with a checksum.
 *
 * Format, version 1 (also in cltrain/report.h). Integers unsigned
 * little-endian, floats IEEE-754 binary32 little-endian:
 *
 *   magic    8 bytes  "CLTRAINW"
 *   version  u32      1
 *   count    u32      number of tensors T
 *   T times:
 *     name_length  u32         1 .. 1024
 *     name         name_length bytes of UTF-8, no terminator
 *     ndim         u32         0 .. 8 (0: a scalar holding one value)
 *     shape        ndim x u64  outermost first
 *     data         f32 x product(shape), row-major
 *   crc      u32      CRC-32 (zlib's) of every byte before it
 *
 * The writer streams through an atomic file and computes the CRC as it
 * goes. The reader streams too, and checks every size against the bytes
 * the file still has before allocating: a corrupt header can make it fail,
 * never allocate gigabytes. The checksum is checked at the end; a corrupt
 * size field usually shows up earlier, as a size that cannot be. */
#include "cltrain/report.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC_SIZE 8
#define HEADER_SIZE (MAGIC_SIZE + 4 + 4)
#define CHECKSUM_SIZE 4
/* Smallest tensor record: name length, a 1-byte name, ndim 0, one float. */
#define MIN_TENSOR_SIZE (4 + 1 + 4 + 4)
/* Floats converted per chunk while writing and reading. */
#define FLOAT_CHUNK 1024

/* ------------------------------------------------------------ CRC-32 */

/* The reflected polynomial 0xEDB88320, eight bytes at a time ("slicing by
 * 8", as zlib does): a checkpoint of a few hundred kilobytes is written
 * after every epoch, and a byte-at-a-time CRC would take as long as a small
 * net's epoch. The tables are built once, on first use. */
static uint32_t crc_tables[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void build_crc_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
        crc_tables[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tables[t][i] = (crc_tables[t - 1][i] >> 8) ^ crc_tables[0][crc_tables[t - 1][i] & 0xff];
}

uint32_t ct_crc32(uint32_t crc, const void *data, size_t size)
{
    pthread_once(&crc_once, build_crc_tables);
    const unsigned char *p = data;
    crc = ~crc;
    for (; size >= 8; size -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_tables[7][lo & 0xff] ^ crc_tables[6][(lo >> 8) & 0xff] ^ crc_tables[5][(lo >> 16) & 0xff] ^
              crc_tables[4][lo >> 24] ^ crc_tables[3][hi & 0xff] ^ crc_tables[2][(hi >> 8) & 0xff] ^
              crc_tables[1][(hi >> 16) & 0xff] ^ crc_tables[0][hi >> 24];
    }
    while (size--)
        crc = (crc >> 8) ^ crc_tables[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* ------------------------------------------------------------ little-endian */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

size_t ct_named_tensor_count(const ct_named_tensor *tensor)
{
    size_t count = 1;
    for (int d = 0; d < tensor->ndim; d++) {
        if (tensor->shape[d] && count > SIZE_MAX / tensor->shape[d])
            return SIZE_MAX;
        count *= tensor->shape[d];
    }
    return count;
}

/* ------------------------------------------------------------ writing */

typedef struct {
    FILE *stream;
    uint32_t crc;
} weights_writer;

/* Write errors are left in the stream and reported by ct_atomic_commit. */
static void put_bytes(weights_writer *w, const void *bytes, size_t size)
{
    w->crc = ct_crc32(w->crc, bytes, size);
    fwrite(bytes, 1, size, w->stream);
}

static void put_u32_field(weights_writer *w, uint32_t v)
{
    unsigned char bytes[4];
    put_u32(bytes, v);
    put_bytes(w, bytes, sizeof bytes);
}

static void put_floats(weights_writer *w, const float *data, size_t count)
{
    unsigned char chunk[FLOAT_CHUNK * 4];
    while (count > 0) {
        size_t n = count < FLOAT_CHUNK ? count : FLOAT_CHUNK;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &data[i], sizeof bits);
            put_u32(chunk + 4 * i, bits);
        }
        put_bytes(w, chunk, 4 * n);
        data += n;
        count -= n;
    }
}

static void put_tensor(weights_writer *w, const ct_named_tensor *t)
{
    size_t name_length = strlen(t->name);
    put_u32_field(w, (uint32_t)name_length);
    put_bytes(w, t->name, name_length);
    put_u32_field(w, (uint32_t)t->ndim);
    for (int d = 0; d < t->ndim; d++) {
        unsigned char bytes[8];
        put_u64(bytes, (uint64_t)t->shape[d]);
        put_bytes(w, bytes, sizeof bytes);
    }
    put_floats(w, t->data, ct_named_tensor_count(t));
}

/* What the format can hold; checked before the file is created. */
static ct_status check_tensor(const ct_named_tensor *t, size_t index)
{
    if (!t->name || !*t->name)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "weights: tensor %zu has no name", index);
    if (strlen(t->name) > CT_WEIGHTS_MAX_NAME)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "weights: tensor %zu: name longer than %d bytes",
                       index, CT_WEIGHTS_MAX_NAME);
    if (t->ndim < 0 || t->ndim > CT_WEIGHTS_MAX_DIMS)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "weights: tensor '%s': ndim %d not in 0..%d",
                       t->name, t->ndim, CT_WEIGHTS_MAX_DIMS);
    size_t count = ct_named_tensor_count(t);
    if (count == SIZE_MAX || count > SIZE_MAX / 4)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "weights: tensor '%s': shape too large", t->name);
    if (count && !t->data)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "weights: tensor '%s' has no data", t->name);
    return CT_OK;
}

ct_status ct_weights_write(const char *path, const ct_named_tensor *tensors, size_t n)
{
    if (!path || (n && !tensors))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_weights_write: NULL argument");
    if (n > UINT32_MAX)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "weights: %zu tensors, at most %u fit", n,
                       UINT32_MAX);
    for (size_t i = 0; i < n; i++)
        CT_TRY(check_tensor(&tensors[i], i));

    ct_atomic_file *file;
    CT_TRY(ct_atomic_open(path, &file));
    weights_writer w = {.stream = ct_atomic_stream(file), .crc = 0};
    unsigned char header[HEADER_SIZE];
    /* The magic is 8 bytes on disk with no terminator after it. */
    memcpy(header, CT_WEIGHTS_MAGIC, MAGIC_SIZE); /* NOLINT(bugprone-not-null-terminated-result) */
    put_u32(header + MAGIC_SIZE, CT_WEIGHTS_VERSION);
    put_u32(header + MAGIC_SIZE + 4, (uint32_t)n);
    put_bytes(&w, header, sizeof header);
    for (size_t i = 0; i < n; i++)
        put_tensor(&w, &tensors[i]);
    unsigned char checksum[CHECKSUM_SIZE];
    put_u32(checksum, w.crc);
    fwrite(checksum, 1, sizeof checksum, w.stream);
    return ct_atomic_commit(file);
}

/* ------------------------------------------------------------ reading */

typedef struct {
    const char *path;
    FILE *stream;
    uint64_t size;   /* of the file */
    uint64_t offset; /* bytes read so far */
    uint32_t crc;    /* of those bytes */
    /* What is being read, for messages: "header", or tensor index/name. */
    size_t tensor_index, tensor_count;
    const char *tensor_name;
} weights_reader;

/* Bytes left before the checksum. */
static uint64_t bytes_left(const weights_reader *r)
{
    uint64_t end = r->size >= CHECKSUM_SIZE ? r->size - CHECKSUM_SIZE : 0;
    return r->offset < end ? end - r->offset : 0;
}

/* "tensor 2 of 4 ('dense_1/kernel')" or "tensor 2 of 4" before its name. */
static const char *where(const weights_reader *r, char *buf, size_t size)
{
    if (r->tensor_name)
        snprintf(buf, size, "tensor %zu of %zu ('%s')", r->tensor_index + 1, r->tensor_count,
                 r->tensor_name);
    else
        snprintf(buf, size, "tensor %zu of %zu", r->tensor_index + 1, r->tensor_count);
    return buf;
}

static ct_status truncated(const weights_reader *r, const char *field, uint64_t needed)
{
    char place[CT_WEIGHTS_MAX_NAME + 64];
    return ct_fail(CT_ERR_PARSE,
                   "%s: truncated or corrupt weights file: %s: %s needs %llu bytes at offset "
                   "%llu, only %llu left before the checksum",
                   r->path, where(r, place, sizeof place), field, (unsigned long long)needed,
                   (unsigned long long)r->offset, (unsigned long long)bytes_left(r));
}

/* Read exactly `size` bytes, which the caller has checked are there. */
static ct_status get_bytes(weights_reader *r, void *bytes, size_t size)
{
    if (size && fread(bytes, 1, size, r->stream) != size) {
        if (ferror(r->stream))
            return ct_fail(CT_ERR_IO, "reading %s: %s", r->path, strerror(errno));
        return ct_fail(CT_ERR_IO, "reading %s: the file shrank while being read", r->path);
    }
    r->crc = ct_crc32(r->crc, bytes, size);
    r->offset += size;
    return CT_OK;
}

/* A field of `size` bytes within the tensors' part of the file. */
static ct_status get_field(weights_reader *r, const char *field, void *bytes, size_t size)
{
    if (size > bytes_left(r))
        return truncated(r, field, size);
    return get_bytes(r, bytes, size);
}

static ct_status get_u32_field(weights_reader *r, const char *field, uint32_t *v)
{
    unsigned char bytes[4];
    CT_TRY(get_field(r, field, bytes, sizeof bytes));
    *v = get_u32(bytes);
    return CT_OK;
}

static ct_status read_header(weights_reader *r, uint32_t *tensor_count)
{
    unsigned char header[HEADER_SIZE];
    if (r->size == 0)
        return ct_fail(CT_ERR_PARSE, "%s: empty file, not a cltrain weights file", r->path);
    if (r->size < MAGIC_SIZE) {
        return ct_fail(CT_ERR_PARSE, "%s: not a cltrain weights file (%llu bytes, too short)",
                       r->path, (unsigned long long)r->size);
    }
    CT_TRY(get_bytes(r, header, MAGIC_SIZE));
    if (memcmp(header, CT_WEIGHTS_MAGIC, MAGIC_SIZE) != 0)
        return ct_fail(CT_ERR_PARSE, "%s: not a cltrain weights file (no \"%s\" magic)", r->path,
                       CT_WEIGHTS_MAGIC);
    if (r->size < HEADER_SIZE + CHECKSUM_SIZE)
        return ct_fail(CT_ERR_PARSE, "%s: truncated weights file: %llu bytes, the header and "
                       "checksum alone take %d", r->path, (unsigned long long)r->size,
                       HEADER_SIZE + CHECKSUM_SIZE);
    CT_TRY(get_bytes(r, header + MAGIC_SIZE, HEADER_SIZE - MAGIC_SIZE));
    uint32_t version = get_u32(header + MAGIC_SIZE);
    if (version != CT_WEIGHTS_VERSION)
        return ct_fail(CT_ERR_UNSUPPORTED,
                       "%s: weights format version %u; this cltrain reads version %u", r->path,
                       version, CT_WEIGHTS_VERSION);
    *tensor_count = get_u32(header + MAGIC_SIZE + 4);
    if (*tensor_count > bytes_left(r) / MIN_TENSOR_SIZE)
        return ct_fail(CT_ERR_PARSE,
                       "%s: truncated or corrupt weights file: %u tensors cannot fit in %llu "
                       "bytes", r->path, *tensor_count, (unsigned long long)bytes_left(r));
    return CT_OK;
}

static ct_status read_name(weights_reader *r, ct_named_tensor *t)
{
    uint32_t length;
    CT_TRY(get_u32_field(r, "the name length", &length));
    if (length == 0 || length > CT_WEIGHTS_MAX_NAME) {
        char place[64];
        return ct_fail(CT_ERR_PARSE, "%s: corrupt weights file: %s: name length %u not in 1..%d",
                       r->path, where(r, place, sizeof place), length, CT_WEIGHTS_MAX_NAME);
    }
    if (length > bytes_left(r))
        return truncated(r, "the name", length);
    t->name = malloc((size_t)length + 1);
    if (!t->name)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", r->path);
    CT_TRY(get_bytes(r, t->name, length));
    t->name[length] = '\0';
    if (strlen(t->name) != length) {
        char place[64];
        return ct_fail(CT_ERR_PARSE, "%s: corrupt weights file: %s: name holds a NUL byte",
                       r->path, where(r, place, sizeof place));
    }
    r->tensor_name = t->name;
    return CT_OK;
}

static ct_status read_shape(weights_reader *r, ct_named_tensor *t, size_t *count)
{
    char place[CT_WEIGHTS_MAX_NAME + 64];
    uint32_t ndim;
    CT_TRY(get_u32_field(r, "ndim", &ndim));
    if (ndim > CT_WEIGHTS_MAX_DIMS)
        return ct_fail(CT_ERR_PARSE, "%s: corrupt weights file: %s: ndim %u not in 0..%d",
                       r->path, where(r, place, sizeof place), ndim, CT_WEIGHTS_MAX_DIMS);
    t->ndim = (int)ndim;
    /* The product must stay a byte count we can compute; whether the data
     * is really there is read_floats' check, before it allocates. */
    const uint64_t max_count = SIZE_MAX / sizeof(float);
    uint64_t product = 1;
    for (uint32_t d = 0; d < ndim; d++) {
        unsigned char bytes[8];
        CT_TRY(get_field(r, "the shape", bytes, sizeof bytes));
        uint64_t dim = get_u64(bytes);
        if (dim > max_count || (dim && product > max_count / dim))
            return ct_fail(CT_ERR_PARSE,
                           "%s: corrupt weights file: %s: shape dimension %u (%llu) makes the "
                           "tensor too large", r->path, where(r, place, sizeof place), d,
                           (unsigned long long)dim);
        t->shape[d] = (size_t)dim;
        product *= dim;
    }
    *count = (size_t)product;
    return CT_OK;
}

static ct_status read_floats(weights_reader *r, ct_named_tensor *t, size_t count)
{
    if ((uint64_t)count * 4 > bytes_left(r))
        return truncated(r, "the data", (uint64_t)count * 4);
    t->data = malloc(count ? count * sizeof(float) : 1);
    if (!t->data)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory for tensor '%s' (%zu values)",
                       r->path, t->name, count);
    /* Raw bytes straight into the array, then into host order in place. */
    unsigned char *bytes = (unsigned char *)t->data;
    CT_TRY(get_bytes(r, bytes, count * 4));
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = get_u32(bytes + 4 * i);
        memcpy(&t->data[i], &bits, sizeof bits);
    }
    return CT_OK;
}

static ct_status read_tensor(weights_reader *r, ct_named_tensor *t)
{
    size_t count = 0;
    CT_TRY(read_name(r, t));
    CT_TRY(read_shape(r, t, &count));
    return read_floats(r, t, count);
}

/* The stored CRC against the computed one, and nothing after it. */
static ct_status check_trailer(weights_reader *r)
{
    if (bytes_left(r) > 0)
        return ct_fail(CT_ERR_PARSE,
                       "%s: corrupt weights file: %llu unexpected bytes after the last tensor",
                       r->path, (unsigned long long)bytes_left(r));
    uint32_t computed = r->crc;
    unsigned char bytes[CHECKSUM_SIZE];
    CT_TRY(get_bytes(r, bytes, sizeof bytes));
    uint32_t stored = get_u32(bytes);
    if (stored != computed)
        return ct_fail(CT_ERR_CHECKSUM,
                       "%s: checksum mismatch (stored CRC-32 %08x, computed %08x): the file is "
                       "corrupt", r->path, stored, computed);
    return CT_OK;
}

static ct_status read_all(weights_reader *r, ct_named_tensor **out, size_t *n)
{
    uint32_t count = 0;
    CT_TRY(read_header(r, &count));
    ct_named_tensor *tensors = count ? calloc(count, sizeof *tensors) : NULL;
    if (count && !tensors)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", r->path);
    r->tensor_count = count;
    ct_status s = CT_OK;
    for (uint32_t i = 0; i < count && s == CT_OK; i++) {
        r->tensor_index = i;
        r->tensor_name = NULL;
        s = read_tensor(r, &tensors[i]);
    }
    if (s == CT_OK)
        s = check_trailer(r);
    if (s != CT_OK) {
        ct_weights_free(tensors, count);
        return s;
    }
    *out = tensors;
    *n = count;
    return CT_OK;
}

ct_status ct_weights_read(const char *path, ct_named_tensor **out, size_t *n)
{
    if (!path || !out || !n)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_weights_read: NULL argument");
    *out = NULL;
    *n = 0;
    weights_reader r = {.path = path};
    r.stream = fopen(path, "rb");
    if (!r.stream)
        return ct_fail(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r.stream), &st) != 0) {
        int err = errno;
        fclose(r.stream);
        return ct_fail(CT_ERR_IO, "cannot read %s: %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(r.stream);
        return ct_fail(CT_ERR_IO, "cannot read %s: not a regular file", path);
    }
    r.size = (uint64_t)st.st_size;
    ct_status s = read_all(&r, out, n);
    fclose(r.stream);
    return s;
}

void ct_weights_free(ct_named_tensor *tensors, size_t n)
{
    if (!tensors)
        return;
    for (size_t i = 0; i < n; i++) {
        free(tensors[i].name);
        free(tensors[i].data);
    }
    free(tensors);
}

ct_status ct_weights_check_finite(const char *path, const ct_named_tensor *tensors, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t count = ct_named_tensor_count(&tensors[i]), bad = 0, first = 0;
        for (size_t k = 0; k < count; k++)
            if (!isfinite(tensors[i].data[k]) && bad++ == 0)
                first = k;
        if (bad)
            return ct_fail(CT_ERR_NUMERIC,
                           "%s: tensor '%s' holds %zu NaN or infinite value%s of %zu (the first at index %zu): "
                           "the run diverged; train again, e.g. with a lower learning rate",
                           path, tensors[i].name, bad, bad == 1 ? "" : "s", count, first);
    }
    return CT_OK;
}
