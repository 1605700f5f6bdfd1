/* A small YAML writer over libyaml's emitter (see cltrain/report.h).
 *
 * libyaml chooses quoting and escaping for strings (colons, quotes, line
 * breaks, leading spaces...). What it cannot know is that a plain `123` or
 * `true` would read back as a number or a boolean; for those the scalar is
 * marked "not plain-implicit", which makes libyaml quote it. */
#include "cltrain/report.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "report/number_format.h"

struct ct_yaml_writer {
    yaml_emitter_t emitter;
    ct_status status;   /* the first failure; later calls repeat it */
    char detail[512];   /* its message, as ct_last_error() said then */
};

/* Remember the first failure (the detail is already set by ct_fail). */
static ct_status fail_sticky(ct_yaml_writer *w, ct_status s)
{
    w->status = s;
    snprintf(w->detail, sizeof w->detail, "%s", ct_last_error());
    return s;
}

static ct_status emitter_failure(ct_yaml_writer *w)
{
    const char *problem = w->emitter.problem ? w->emitter.problem : "unknown problem";
    switch (w->emitter.error) {
    case YAML_MEMORY_ERROR:
        return fail_sticky(w, ct_fail(CT_ERR_NO_MEMORY, "writing YAML: out of memory"));
    case YAML_WRITER_ERROR:
        return fail_sticky(w, ct_fail(CT_ERR_IO, "writing YAML: %s", problem));
    default: /* YAML_EMITTER_ERROR: the calls did not nest as YAML requires */
        return fail_sticky(w, ct_fail(CT_ERR_INTERNAL, "writing YAML: %s", problem));
    }
}

/* Hand an initialised event to the emitter, which takes it over. */
static ct_status emit(ct_yaml_writer *w, yaml_event_t *event)
{
    if (!yaml_emitter_emit(&w->emitter, event))
        return emitter_failure(w);
    return CT_OK;
}

/* The same for a new event; initialized is what its libyaml initializer
 * returned, 0 only when libyaml ran out of memory. */
static ct_status emit_new(ct_yaml_writer *w, int initialized, yaml_event_t *event)
{
    if (!initialized)
        return fail_sticky(w, ct_fail(CT_ERR_NO_MEMORY, "writing YAML: out of memory"));
    return emit(w, event);
}

/* The sticky check every public call starts with. */
static ct_status previous_failure(ct_yaml_writer *w)
{
    if (!w)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "YAML writer: NULL handle");
    if (w->status != CT_OK)
        return ct_fail(w->status, "%s", w->detail);
    return CT_OK;
}

/* ------------------------------------------------------------ open/close */

static ct_status start_document(ct_yaml_writer *w)
{
    yaml_event_t event;
    CT_TRY(emit_new(w, yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING), &event));
    return emit_new(w, yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1), &event);
}

ct_status ct_yaml_writer_open(FILE *stream, ct_yaml_writer **out)
{
    if (!stream || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_yaml_writer_open: NULL argument");
    *out = NULL;
    ct_yaml_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ct_fail(CT_ERR_NO_MEMORY, "writing YAML: out of memory");
    if (!yaml_emitter_initialize(&w->emitter)) {
        free(w);
        return ct_fail(CT_ERR_NO_MEMORY, "writing YAML: out of memory");
    }
    yaml_emitter_set_output_file(&w->emitter, stream);
    yaml_emitter_set_unicode(&w->emitter, 1); /* keep UTF-8 text readable, not \u escapes */
    yaml_emitter_set_width(&w->emitter, -1);  /* never fold long strings */
    ct_status s = start_document(w);
    if (s != CT_OK) {
        yaml_emitter_delete(&w->emitter);
        free(w);
        return s;
    }
    *out = w;
    return CT_OK;
}

static ct_status end_document(ct_yaml_writer *w)
{
    yaml_event_t event;
    CT_TRY(emit_new(w, yaml_document_end_event_initialize(&event, 1), &event));
    CT_TRY(emit_new(w, yaml_stream_end_event_initialize(&event), &event));
    if (!yaml_emitter_flush(&w->emitter))
        return emitter_failure(w);
    return CT_OK;
}

ct_status ct_yaml_writer_close(ct_yaml_writer *w)
{
    ct_status s = previous_failure(w);
    if (!w)
        return s;
    if (s == CT_OK)
        s = end_document(w);
    yaml_emitter_delete(&w->emitter);
    free(w);
    return s;
}

/* ------------------------------------------------------------ collections */

ct_status ct_yaml_begin_map(ct_yaml_writer *w)
{
    CT_TRY(previous_failure(w));
    yaml_event_t event;
    return emit_new(w, yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE), &event);
}

ct_status ct_yaml_end_map(ct_yaml_writer *w)
{
    CT_TRY(previous_failure(w));
    yaml_event_t event;
    return emit_new(w, yaml_mapping_end_event_initialize(&event), &event);
}

ct_status ct_yaml_begin_list(ct_yaml_writer *w)
{
    CT_TRY(previous_failure(w));
    yaml_event_t event;
    return emit_new(w, yaml_sequence_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE),
                    &event);
}

ct_status ct_yaml_end_list(ct_yaml_writer *w)
{
    CT_TRY(previous_failure(w));
    yaml_event_t event;
    return emit_new(w, yaml_sequence_end_event_initialize(&event), &event);
}

/* ------------------------------------------------------------ scalars */

/* Would a YAML 1.1 or 1.2 reader (libyaml users, PyYAML) resolve this plain
 * text to something other than a string? Errs on the side of quoting: every
 * text starting like a number (digits, sign, dot: also dates, .inf, .nan)
 * counts. */
static bool reads_as_non_string(const char *text)
{
    static const char *const special[] = {"null", "~",  "true", "false", "yes", "no",
                                          "on",   "off", "y",   "n",     "<<",  "="};
    if (*text == '\0')
        return true; /* an empty plain scalar is null */
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (strcasecmp(text, special[i]) == 0)
            return true;
    return isdigit((unsigned char)text[0]) || strchr("+-.", text[0]) != NULL;
}

/* One scalar. `typed` marks text that is meant to be read as its YAML type
 * (numbers, booleans, null) and is written plain; other text is a string
 * and gets quotes whenever plain would read as another type. */
static ct_status emit_scalar(ct_yaml_writer *w, const char *text, bool typed)
{
    CT_TRY(previous_failure(w));
    int plain_implicit = typed || !reads_as_non_string(text);
    yaml_event_t event;
    if (!yaml_scalar_event_initialize(&event, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      plain_implicit, 1, YAML_ANY_SCALAR_STYLE))
        return fail_sticky(w, ct_fail(CT_ERR_INVALID_ARGUMENT,
                                      "writing YAML: '%.60s' is not valid UTF-8 (or out of memory)",
                                      text));
    return emit(w, &event);
}

ct_status ct_yaml_key(ct_yaml_writer *w, const char *key)
{
    if (!key) {
        CT_TRY(previous_failure(w));
        return fail_sticky(w, ct_fail(CT_ERR_INVALID_ARGUMENT, "writing YAML: NULL key"));
    }
    return emit_scalar(w, key, false);
}

ct_status ct_yaml_value_str(ct_yaml_writer *w, const char *value)
{
    return value ? emit_scalar(w, value, false) : ct_yaml_value_null(w);
}

ct_status ct_yaml_value_null(ct_yaml_writer *w) { return emit_scalar(w, "null", true); }

ct_status ct_yaml_value_bool(ct_yaml_writer *w, bool value)
{
    return emit_scalar(w, value ? "true" : "false", true);
}

ct_status ct_yaml_value_int(ct_yaml_writer *w, int64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, value);
    return emit_scalar(w, text, true);
}

/* YAML floats: ".nan", ".inf", "-.inf"; finite values need a '.' to be
 * floats for YAML 1.1 readers (PyYAML reads "1e+20" as a string and "1" as
 * an int), so "1" becomes "1.0" and "1e+20" becomes "1.0e+20". */
static void format_yaml_float(double value, char *buf, size_t size)
{
    if (isnan(value)) {
        snprintf(buf, size, ".nan");
        return;
    }
    if (isinf(value)) {
        snprintf(buf, size, value > 0 ? ".inf" : "-.inf");
        return;
    }
    char number[CT_DOUBLE_TEXT_MAX];
    ct_format_double(value, number);
    if (strchr(number, '.')) {
        snprintf(buf, size, "%s", number);
        return;
    }
    char *exponent = strchr(number, 'e');
    if (exponent)
        snprintf(buf, size, "%.*s.0%s", (int)(exponent - number), number, exponent);
    else
        snprintf(buf, size, "%s.0", number);
}

ct_status ct_yaml_value_double(ct_yaml_writer *w, double value)
{
    char text[CT_DOUBLE_TEXT_MAX + 8];
    format_yaml_float(value, text, sizeof text);
    return emit_scalar(w, text, true);
}
