/* The live progress bar (see progress_bar.h). */
#include "run/progress_bar.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cltrain/loss.h" /* CT_METRICS_MAX */
#include "core/clock.h"

#define BAR_WIDTH 24
#define LINE_MAX_LEN 512

struct ct_progress_bar {
    FILE *tty;
    size_t n;
    char names[1 + CT_METRICS_MAX][64];
    int epoch, epochs;
    double start, last_draw;
    double first_time;  /* clock and batch of the first update, for the rate */
    size_t first_done;
    int shown;          /* a bar is on the screen */
};

ct_status ct_progress_bar_create(FILE *tty, const char *const *names, size_t n, ct_progress_bar **out)
{
    ct_progress_bar *b = calloc(1, sizeof *b);
    if (!b)
        return ct_fail(CT_ERR_NO_MEMORY, "progress bar");
    b->tty = tty;
    b->n = n < 1 + CT_METRICS_MAX ? n : 1 + CT_METRICS_MAX;
    for (size_t i = 0; i < b->n; i++)
        snprintf(b->names[i], sizeof b->names[i], "%s", names[i]);
    *out = b;
    return CT_OK;
}

void ct_progress_bar_free(ct_progress_bar *bar)
{
    if (bar)
        ct_progress_bar_clear(bar);
    free(bar);
}

void ct_progress_bar_start(ct_progress_bar *b, int epoch, int epochs)
{
    b->epoch = epoch;
    b->epochs = epochs;
    b->start = ct_now_seconds();
    b->last_draw = 0;
    b->first_time = 0;
    b->first_done = 0;
}

/* "7s", "3m05s", "1h02m". */
static void format_duration(double seconds, char *buf, size_t size)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s < 60)
        snprintf(buf, size, "%lds", s);
    else if (s < 3600)
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
}

static int terminal_columns(FILE *tty)
{
    struct winsize ws;
    if (ioctl(fileno(tty), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return isatty(fileno(tty)) ? 80 : LINE_MAX_LEN; /* a file (tests): the whole line */
}

void ct_progress_bar_update(ct_progress_bar *b, size_t done, size_t batches, const double *running)
{
    double t = ct_now_seconds();
    if (b->first_time == 0) { /* the first update of the epoch */
        b->first_time = t;
        b->first_done = done;
    }
    /* The last batch is always drawn: validation may follow for a while. */
    if (t - b->last_draw < 1.0 / CT_PROGRESS_REDRAWS_PER_SECOND && done != batches)
        return;
    b->last_draw = t;
    char line[LINE_MAX_LEN], elapsed[32], eta[32] = "?";
    size_t o = 0;
    int filled = batches ? (int)(BAR_WIDTH * done / batches) : BAR_WIDTH;
    o += (size_t)snprintf(line + o, sizeof line - o, "Epoch %d/%d  %zu/%zu [", b->epoch + 1, b->epochs, done,
                          batches);
    for (int i = 0; i < BAR_WIDTH; i++)
        line[o++] = "=>."[i < filled ? 0 : i == filled ? 1 : 2];
    format_duration(t - b->start, elapsed, sizeof elapsed);
    if (done > b->first_done)
        format_duration((t - b->first_time) / (double)(done - b->first_done) * (double)(batches - done), eta,
                        sizeof eta);
    o += (size_t)snprintf(line + o, sizeof line - o, "] %s, ETA %s", elapsed, eta);
    for (size_t i = 0; running && i < b->n && o < sizeof line; i++)
        o += (size_t)snprintf(line + o, sizeof line - o, "  %s: %.4f", b->names[i], running[i]);
    if (o >= sizeof line)
        o = sizeof line - 1;
    size_t columns = (size_t)terminal_columns(b->tty);
    if (o > columns - 1) /* a wrapped line could not be redrawn with \r */
        o = columns - 1;
    line[o] = '\0';
    fprintf(b->tty, "\r%s\033[K", line);
    fflush(b->tty);
    b->shown = 1;
}

void ct_progress_bar_clear(ct_progress_bar *b)
{
    if (!b->shown)
        return;
    fputs("\r\033[K", b->tty);
    fflush(b->tty);
    b->shown = 0;
}
