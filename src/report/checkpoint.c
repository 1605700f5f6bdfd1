/* The checkpoint file: named arrays with a version and a checksum (format in
 * cltrain/report.h, beside weights.bin's).
 *
 * A checkpoint is a few hundred kilobytes to a few megabytes, so the reader
 * takes the whole file into memory, checks the checksum before it looks at
 * anything else, and only then parses, checking every size against the
 * bytes that are left. */
#include "cltrain/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC_SIZE 8
#define HEADER_SIZE (MAGIC_SIZE + 4 + 4)
#define CHECKSUM_SIZE 4
/* Smallest record: name length, 1-byte name, type, count 0. */
#define MIN_RECORD_SIZE (4 + 1 + 4 + 8)
/* A checkpoint larger than this is not one cltrain wrote (a model of 1 G
 * parameters with Adam's two moments and best weights is 16 GB). */
#define MAX_FILE_SIZE ((uint64_t)1 << 36)

typedef struct {
    char *name;
    ct_record_type type;
    uint64_t count;
    void *data; /* host order: float, double, int64_t or bytes */
} record;

struct ct_checkpoint {
    record *records;
    size_t count, capacity;
};

static size_t element_size(ct_record_type type)
{
    switch (type) {
    case CT_RECORD_F32:
        return 4;
    case CT_RECORD_F64:
    case CT_RECORD_I64:
        return 8;
    case CT_RECORD_TEXT:
        return 1;
    default:
        return 0;
    }
}

static const char *type_name(ct_record_type type)
{
    switch (type) {
    case CT_RECORD_F32:
        return "f32";
    case CT_RECORD_F64:
        return "f64";
    case CT_RECORD_I64:
        return "i64";
    case CT_RECORD_TEXT:
        return "text";
    default:
        return "unknown";
    }
}

ct_status ct_checkpoint_create(ct_checkpoint **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "checkpoint");
}

void ct_checkpoint_free(ct_checkpoint *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++) {
        free(c->records[i].name);
        free(c->records[i].data);
    }
    free(c->records);
    free(c);
}

static record *find(const ct_checkpoint *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++)
        if (!strcmp(c->records[i].name, name))
            return &c->records[i];
    return NULL;
}

ct_status ct_checkpoint_put(ct_checkpoint *c, const char *name, ct_record_type type, const void *data,
                            uint64_t count)
{
    size_t size = element_size(type);
    if (!name || !*name || strlen(name) > CT_CHECKPOINT_MAX_NAME || !size || (count && !data))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "checkpoint record '%s': bad name, type or data",
                       name ? name : "(null)");
    if (count > SIZE_MAX / size)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "checkpoint record '%s': too large", name);
    if (find(c, name))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "checkpoint record '%s' given twice", name);
    if (c->count == c->capacity) {
        size_t cap = c->capacity ? 2 * c->capacity : 16;
        record *r = realloc(c->records, cap * sizeof *r);
        if (!r)
            return ct_fail(CT_ERR_NO_MEMORY, "checkpoint");
        c->records = r;
        c->capacity = cap;
    }
    record *r = &c->records[c->count];
    r->name = strdup(name);
    r->data = malloc(count ? (size_t)count * size : 1);
    if (!r->name || !r->data) {
        free(r->name);
        free(r->data);
        return ct_fail(CT_ERR_NO_MEMORY, "checkpoint record '%s'", name);
    }
    if (count)
        memcpy(r->data, data, (size_t)count * size);
    r->type = type;
    r->count = count;
    c->count++;
    return CT_OK;
}

ct_status ct_checkpoint_put_i64(ct_checkpoint *c, const char *name, int64_t value)
{
    return ct_checkpoint_put(c, name, CT_RECORD_I64, &value, 1);
}

ct_status ct_checkpoint_put_text(ct_checkpoint *c, const char *name, const char *text)
{
    return ct_checkpoint_put(c, name, CT_RECORD_TEXT, text, strlen(text));
}

ct_status ct_checkpoint_get(const ct_checkpoint *c, const char *name, ct_record_type type, const void **data,
                            uint64_t *count)
{
    const record *r = find(c, name);
    if (!r)
        return ct_fail(CT_ERR_NOT_FOUND, "the checkpoint has no '%s'", name);
    if (r->type != type)
        return ct_fail(CT_ERR_PARSE, "checkpoint record '%s' holds %s, expected %s", name, type_name(r->type),
                       type_name(type));
    *data = r->data;
    *count = r->count;
    return CT_OK;
}

ct_status ct_checkpoint_get_array(const ct_checkpoint *c, const char *name, ct_record_type type, void *out,
                                  uint64_t count)
{
    const void *data;
    uint64_t n;
    CT_TRY(ct_checkpoint_get(c, name, type, &data, &n));
    if (n != count)
        return ct_fail(CT_ERR_SHAPE, "checkpoint record '%s' holds %llu values, expected %llu", name,
                       (unsigned long long)n, (unsigned long long)count);
    if (count)
        memcpy(out, data, (size_t)count * element_size(type));
    return CT_OK;
}

ct_status ct_checkpoint_get_i64(const ct_checkpoint *c, const char *name, int64_t *value)
{
    return ct_checkpoint_get_array(c, name, CT_RECORD_I64, value, 1);
}

/* ------------------------------------------------------------ writing */

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

typedef struct {
    FILE *stream;
    uint32_t crc;
} writer;

static void emit(writer *w, const void *bytes, size_t size)
{
    w->crc = ct_crc32(w->crc, bytes, size);
    fwrite(bytes, 1, size, w->stream);
}

static void emit_le(writer *w, uint64_t v, int bytes)
{
    unsigned char b[8];
    put_le(b, v, bytes);
    emit(w, b, (size_t)bytes);
}

static bool host_is_little_endian(void)
{
    const uint32_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static void emit_data(writer *w, const record *r)
{
    size_t size = element_size(r->type);
    if (size == 1 || host_is_little_endian()) { /* the file's byte order already */
        emit(w, r->data, (size_t)r->count * size);
        return;
    }
    unsigned char chunk[4096];
    const unsigned char *src = r->data;
    size_t per_chunk = sizeof chunk / size;
    for (uint64_t i = 0; i < r->count;) {
        size_t n = r->count - i < per_chunk ? (size_t)(r->count - i) : per_chunk;
        for (size_t k = 0; k < n; k++) {
            uint64_t bits = 0;
            if (size == 4) {
                uint32_t b32;
                memcpy(&b32, src + (i + k) * 4, 4);
                bits = b32;
            } else
                memcpy(&bits, src + (i + k) * 8, 8);
            put_le(chunk + k * size, bits, (int)size);
        }
        emit(w, chunk, n * size);
        i += n;
    }
}

ct_status ct_checkpoint_write(const ct_checkpoint *c, const char *path, bool durable)
{
    if (c->count > UINT32_MAX)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "checkpoint: too many records");
    ct_atomic_file *file;
    CT_TRY(ct_atomic_open(path, &file));
    writer w = {ct_atomic_stream(file), 0};
    emit(&w, CT_CHECKPOINT_MAGIC, MAGIC_SIZE);
    emit_le(&w, CT_CHECKPOINT_VERSION, 4);
    emit_le(&w, c->count, 4);
    for (size_t i = 0; i < c->count; i++) {
        const record *r = &c->records[i];
        size_t len = strlen(r->name);
        emit_le(&w, len, 4);
        emit(&w, r->name, len);
        emit_le(&w, (uint64_t)r->type, 4);
        emit_le(&w, r->count, 8);
        emit_data(&w, r);
    }
    unsigned char crc[CHECKSUM_SIZE];
    put_le(crc, w.crc, 4);
    fwrite(crc, 1, sizeof crc, w.stream);
    return durable ? ct_atomic_commit(file) : ct_atomic_commit_unsynced(file);
}

/* ------------------------------------------------------------ reading */

static ct_status corrupt(const char *path, const char *what, uint64_t offset)
{
    return ct_fail(CT_ERR_PARSE, "%s: corrupt checkpoint: %s at offset %llu", path, what,
                   (unsigned long long)offset);
}

static ct_status parse_record(const char *path, const unsigned char *bytes, uint64_t end, uint64_t *at,
                              ct_checkpoint *c)
{
    uint64_t p = *at;
    if (end - p < 4)
        return corrupt(path, "truncated record", p);
    uint64_t len = get_le(bytes + p, 4);
    if (len == 0 || len > CT_CHECKPOINT_MAX_NAME || end - p - 4 < len + 12)
        return corrupt(path, "bad record name length", p);
    char name[CT_CHECKPOINT_MAX_NAME + 1];
    memcpy(name, bytes + p + 4, (size_t)len);
    name[len] = '\0';
    if (strlen(name) != len)
        return corrupt(path, "record name holds a NUL byte", p);
    p += 4 + len;
    ct_record_type type = (ct_record_type)get_le(bytes + p, 4);
    uint64_t count = get_le(bytes + p + 4, 8);
    size_t size = element_size(type);
    if (!size)
        return ct_fail(CT_ERR_PARSE, "%s: record '%s' has unknown type %u", path, name, (unsigned)type);
    p += 12;
    if (count > (end - p) / size)
        return ct_fail(CT_ERR_PARSE, "%s: corrupt checkpoint: record '%s' needs %llu values, the file has room "
                                     "for %llu", path, name, (unsigned long long)count,
                       (unsigned long long)((end - p) / size));
    void *data = malloc(count ? (size_t)count * size : 1);
    if (!data)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s: record '%s'", path, name);
    const unsigned char *src = bytes + p;
    unsigned char *dst = data;
    for (uint64_t i = 0; i < count; i++) {
        if (size == 1)
            dst[i] = src[i];
        else if (size == 4) {
            uint32_t v = (uint32_t)get_le(src + 4 * i, 4);
            memcpy(dst + 4 * i, &v, 4);
        } else {
            uint64_t v = get_le(src + 8 * i, 8);
            memcpy(dst + 8 * i, &v, 8);
        }
    }
    ct_status s = ct_checkpoint_put(c, name, type, data, count);
    free(data);
    if (s != CT_OK)
        return ct_fail_context(s, "%s", path);
    *at = p + count * size;
    return CT_OK;
}

static ct_status parse(const char *path, const unsigned char *bytes, uint64_t size, ct_checkpoint *c)
{
    if (size == 0)
        return ct_fail(CT_ERR_PARSE, "%s: empty file, not a cltrain checkpoint", path);
    if (size < MAGIC_SIZE || memcmp(bytes, CT_CHECKPOINT_MAGIC, MAGIC_SIZE) != 0)
        return ct_fail(CT_ERR_PARSE, "%s: not a cltrain checkpoint (no \"%s\" magic)", path, CT_CHECKPOINT_MAGIC);
    if (size < HEADER_SIZE + CHECKSUM_SIZE)
        return ct_fail(CT_ERR_PARSE, "%s: truncated checkpoint (%llu bytes)", path, (unsigned long long)size);
    uint32_t version = (uint32_t)get_le(bytes + MAGIC_SIZE, 4);
    if (version != CT_CHECKPOINT_VERSION)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: checkpoint format version %u; this cltrain reads version %u", path,
                       version, CT_CHECKPOINT_VERSION);
    uint64_t end = size - CHECKSUM_SIZE;
    uint32_t stored = (uint32_t)get_le(bytes + end, 4), computed = ct_crc32(0, bytes, (size_t)end);
    if (stored != computed)
        return ct_fail(CT_ERR_CHECKSUM, "%s: checksum mismatch (stored CRC-32 %08x, computed %08x): the checkpoint "
                                        "is corrupt", path, stored, computed);
    uint64_t records = get_le(bytes + MAGIC_SIZE + 4, 4), at = HEADER_SIZE;
    if (records > (end - at) / MIN_RECORD_SIZE)
        return corrupt(path, "record count larger than the file", MAGIC_SIZE + 4);
    for (uint64_t i = 0; i < records; i++)
        CT_TRY(parse_record(path, bytes, end, &at, c));
    if (at != end)
        return corrupt(path, "unexpected bytes after the last record", at);
    return CT_OK;
}

ct_status ct_checkpoint_read(const char *path, ct_checkpoint **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(errno == ENOENT ? CT_ERR_NOT_FOUND : CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ct_fail(CT_ERR_IO, "cannot read %s: not a regular file", path);
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size > MAX_FILE_SIZE) {
        fclose(f);
        return ct_fail(CT_ERR_PARSE, "%s: %llu bytes, too large for a cltrain checkpoint", path,
                       (unsigned long long)size);
    }
    unsigned char *bytes = malloc(size ? (size_t)size : 1);
    if (!bytes) {
        fclose(f);
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s (%llu bytes)", path, (unsigned long long)size);
    }
    size_t got = fread(bytes, 1, (size_t)size, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    ct_status s = CT_OK;
    if (got != size)
        s = ct_fail(CT_ERR_IO, "reading %s: %s", path, err ? strerror(err) : "the file shrank while being read");
    ct_checkpoint *c = NULL;
    if (s == CT_OK)
        s = ct_checkpoint_create(&c);
    if (s == CT_OK)
        s = parse(path, bytes, size, c);
    free(bytes);
    if (s != CT_OK) {
        ct_checkpoint_free(c);
        return s;
    }
    *out = c;
    return CT_OK;
}
