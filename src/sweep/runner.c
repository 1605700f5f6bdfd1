/* The local scheduler (see runner.h). */
#include "sweep/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cltrain/report.h"
#include "core/clock.h"
#include "core/fs.h"
#include "sweep/point_state.h"
#include "sweep/results.h"

extern char **environ;

#define MAX_AUTO_SLOTS 8
#define MAX_ARGS (16 + 2 * 80)

/* ------------------------------------------------------------------ devices */

static ct_status add_device(sweep_device **out, size_t *count, const ct_device_info *d, int per_gpu)
{
    for (size_t i = 0; i < *count; i++) { /* "0:0,0:0" or "all,gpu": once each */
        char spec[32];
        snprintf(spec, sizeof spec, "%u:%u", d->platform_index, d->device_index);
        if (!strcmp((*out)[i].spec, spec))
            return CT_OK;
    }
    sweep_device *grown = realloc(*out, (*count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    *out = grown;
    sweep_device *s = &grown[(*count)++];
    memset(s, 0, sizeof *s);
    snprintf(s->spec, sizeof s->spec, "%u:%u", d->platform_index, d->device_index);
    snprintf(s->name, sizeof s->name, "%s", d->name);
    s->gpu = d->type == CT_DEVICE_GPU;
    s->slots = s->gpu ? per_gpu : 1;
    return CT_OK;
}

ct_status sweep_devices_select(const char *spec, int per_gpu, sweep_device **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    ct_device_info *list = NULL;
    size_t n = 0;
    CT_TRY(ct_device_list(&list, &n));
    ct_status s = CT_OK;
    if (!spec || !*spec) {
        size_t k;
        s = ct_device_select(list, n, ct_device_spec_from_env(NULL), &k);
        if (s == CT_OK)
            s = add_device(out, count, &list[k], per_gpu);
    } else {
        char *copy = strdup(spec), *save = NULL;
        if (!copy)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && s == CT_OK;
             tok = strtok_r(NULL, ",", &save)) {
            bool all = !strcmp(tok, "all"), gpu = !strcmp(tok, "gpu"), cpu = !strcmp(tok, "cpu"),
                 acc = !strcmp(tok, "accelerator");
            if (all || gpu || cpu || acc) {
                size_t before = *count;
                for (size_t i = 0; i < n && s == CT_OK; i++)
                    if (all || (gpu && list[i].type == CT_DEVICE_GPU) || (cpu && list[i].type == CT_DEVICE_CPU) ||
                        (acc && list[i].type == CT_DEVICE_ACCELERATOR))
                        s = add_device(out, count, &list[i], per_gpu);
                if (s == CT_OK && *count == before)
                    s = ct_fail(CT_ERR_NO_DEVICE, "--devices %s: this machine has no %s device (see cltrain devices)",
                                spec, tok);
            } else {
                size_t k;
                s = ct_device_select(list, n, tok, &k);
                if (s == CT_OK)
                    s = add_device(out, count, &list[k], per_gpu);
                else
                    s = ct_fail_context(s, "--devices %s", spec);
            }
        }
        free(copy);
    }
    free(list);
    if (s != CT_OK) {
        free(*out);
        *out = NULL;
        *count = 0;
    }
    return s;
}

/* ----------------------------------------------------------------- children */

/* The environment minus the variables of an MPI launcher: a child is one
 * plain run, never a rank of the sweep's MPI job. */
static char **child_environment(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "OMPI_", 5) != 0 && strncmp(environ[i], "PMIX_", 5) != 0 &&
            strncmp(environ[i], "PMI_", 4) != 0 && strncmp(environ[i], "OPAL_", 5) != 0)
            env[k++] = environ[i];
    return env;
}

static char *path_in(const char *dir, const char *sub, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(sub) + strlen(name) + strlen(ext) + 3;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s/%s%s", dir, sub, name, ext);
    return s;
}

/* Start point i on device d; *pid on success. */
static ct_status spawn_point(const sweep_plan *p, size_t i, point_state state, const sweep_device *d,
                             const sweep_run_options *o, char **env, pid_t *pid)
{
    const sweep_point *pt = &p->points[i];
    char *dir = sweep_point_dir(p, i), *log = path_in(p->dir, "logs", pt->name, ".log");
    const char *argv[MAX_ARGS];
    size_t a = 0;
    ct_status s = dir && log ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK && p->fixed_count + pt->set_count > (MAX_ARGS - 16) / 2)
        s = ct_fail(CT_ERR_CONFIG, "more than %d overrides", (MAX_ARGS - 16) / 2);
    if (s == CT_OK) {
        argv[a++] = o->cltrain;
        argv[a++] = "run";
        argv[a++] = p->experiment;
        for (size_t k = 0; k < p->fixed_count; k++)
            argv[a++] = "--set", argv[a++] = p->fixed[k];
        for (size_t k = 0; k < pt->set_count; k++)
            argv[a++] = "--set", argv[a++] = pt->sets[k];
        if (state == POINT_RESUME)
            argv[a++] = "--resume", argv[a++] = dir;
        else {
            argv[a++] = "--out", argv[a++] = dir;
            if (state == POINT_RESTART)
                argv[a++] = "--overwrite";
        }
        argv[a++] = "--device", argv[a++] = d->spec;
        if (o->data_dir)
            argv[a++] = "--data-dir", argv[a++] = o->data_dir;
        argv[a] = NULL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_ok = false, attr_ok = false;
    if (s == CT_OK) {
        /* A header in the log says which attempt the lines below belong to. */
        FILE *f = fopen(log, "a");
        if (!f)
            s = ct_fail(CT_ERR_IO, "cannot write %s: %s", log, strerror(errno));
        else {
            time_t now = time(NULL);
            char stamp[64];
            strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", localtime(&now));
            fprintf(f, "=== %s: %s on %s (%s):", stamp, state == POINT_RESUME ? "resume" : "run", d->spec, d->name);
            for (size_t k = 1; k < a; k++)
                fprintf(f, " %s", argv[k]);
            fprintf(f, "\n");
            fclose(f);
        }
    }
    if (s == CT_OK) {
        fa_ok = posix_spawn_file_actions_init(&fa) == 0;
        attr_ok = posix_spawnattr_init(&attr) == 0;
        if (!fa_ok || !attr_ok || posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
            posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0644) ||
            posix_spawn_file_actions_adddup2(&fa, 1, 2) ||
            /* Its own process group: a Ctrl-C at the terminal reaches the
             * sweep alone, which forwards it once (a second signal would make
             * the run quit without its checkpoint). */
            posix_spawnattr_setpgroup(&attr, 0) || posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP))
            s = ct_fail(CT_ERR_INTERNAL, "cannot prepare a child process");
    }
    if (s == CT_OK) {
        int err = posix_spawn(pid, o->cltrain, fa_ok ? &fa : NULL, attr_ok ? &attr : NULL, (char *const *)argv, env);
        if (err)
            s = ct_fail(CT_ERR_IO, "cannot start %s: %s", o->cltrain, strerror(err));
    }
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    free(dir);
    free(log);
    return s;
}

/* The last "cltrain: error: ..." line of the log's last attempt, else its last line. */
static void last_error(const char *log, char *buf, size_t size)
{
    buf[0] = '\0';
    char *text = NULL;
    size_t len = 0;
    if (ct_read_file(log, &text, &len) != CT_OK) {
        ct_clear_error();
        return;
    }
    char *attempt = text, *at;
    while ((at = strstr(attempt + 1, "\n=== ")))
        attempt = at + 1;
    const char *best = NULL, *last = NULL;
    for (char *line = strtok(attempt, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "=== ", 4) != 0)
            last = line;
        if (strstr(line, "error:"))
            best = line;
    }
    const char *pick = best ? best : last;
    if (pick) {
        if (!strncmp(pick, "cltrain: error: ", 16))
            pick += 16;
        snprintf(buf, size, "%s", pick);
    }
    free(text);
}

static void write_error(const sweep_plan *p, size_t i, int status, const char *message)
{
    char *path = path_in(p->dir, "errors", p->points[i].name, ".txt");
    ct_atomic_file *f;
    if (path && ct_atomic_open(path, &f) == CT_OK) {
        FILE *out = ct_atomic_stream(f);
        fprintf(out, "point: %zu\nname: %s\n", i, p->points[i].name);
        fprintf(out, "status: %d\nerror: %s\n", status, message);
        if (ct_atomic_commit(f) != CT_OK)
            ct_clear_error();
    } else
        ct_clear_error();
    free(path);
}

static void remove_error(const sweep_plan *p, size_t i)
{
    char *path = path_in(p->dir, "errors", p->points[i].name, ".txt");
    if (path)
        unlink(path);
    free(path);
}

/* -------------------------------------------------------------- scheduling */

typedef struct {
    pid_t pid;
    size_t point;
    size_t device;
    double started;
} running_point;

/* Per device: points in flight, and for auto slots the measured throughput. */
typedef struct {
    int slots;      /* current limit */
    int busy;
    bool settled;   /* auto: the limit is final */
    int level_done; /* points finished while running at `slots` */
    double level_seconds;
    double previous_rate; /* points per second at slots - 1 */
} device_state;

static void format_duration(double s, char *buf, size_t size)
{
    if (!(s >= 0) || s > 1e7)
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

/* Auto slots: after two points at a level, one more slot while the rate
 * (points per second of the device) rose by a tenth or more; else back one and stay. */
static void adapt_slots(device_state *d, double seconds)
{
    if (d->settled)
        return;
    d->level_done++;
    d->level_seconds += seconds;
    if (d->level_done < 2)
        return;
    double rate = d->slots * d->level_done / d->level_seconds;
    if (d->slots > 1 && rate < 1.1 * d->previous_rate) {
        d->slots--;
        d->settled = true;
    } else if (d->slots >= MAX_AUTO_SLOTS)
        d->settled = true;
    else {
        d->previous_rate = rate;
        d->slots++;
    }
    d->level_done = 0;
    d->level_seconds = 0;
}

static void progress(const sweep_run_options *o, const sweep_tally *t, size_t running, double eta, const char *fmt,
                     const char *name, const char *detail)
{
    if (!o->progress)
        return;
    char when[32];
    format_duration(eta, when, sizeof when);
    fprintf(o->progress, "[%zu done, %zu failed, %zu running, %zu left, ETA %s] ", t->done + t->skipped, t->failed,
            running, t->left, when);
    fprintf(o->progress, fmt, name, detail);
    fprintf(o->progress, "\n");
    fflush(o->progress);
}

ct_status sweep_run_points(const sweep_plan *p, const size_t *todo, size_t n, const sweep_device *devices,
                           size_t device_count, const sweep_run_options *o, sweep_tally *tally)
{
    memset(tally, 0, sizeof *tally);
    char *logs = path_in(p->dir, "logs", "", ""), *errors = path_in(p->dir, "errors", "", "");
    ct_status s = logs && errors ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK)
        s = ct_make_dirs(logs);
    if (s == CT_OK)
        s = ct_make_dirs(errors);
    free(logs);
    free(errors);
    CT_TRY(s);

    /* What to do with each point, decided once, before anything starts. */
    point_state *states = calloc(n ? n : 1, sizeof *states);
    device_state *dev = calloc(device_count, sizeof *dev);
    running_point *run = calloc(device_count * MAX_AUTO_SLOTS + 1, sizeof *run);
    char **env = child_environment();
    if (!states || !dev || !run || !env) {
        free(states), free(dev), free(run), free(env);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    int total_slots = 0;
    for (size_t d = 0; d < device_count; d++) {
        dev[d].slots = devices[d].slots > 0 ? (devices[d].slots > MAX_AUTO_SLOTS ? MAX_AUTO_SLOTS : devices[d].slots)
                                            : 1;
        dev[d].settled = devices[d].slots > 0;
    }
    for (size_t k = 0; k < n; k++) {
        char why[1024];
        states[k] = sweep_point_state(p, todo[k], why, sizeof why);
        if (states[k] == POINT_DONE)
            tally->skipped++;
        else if (states[k] == POINT_CONFLICT) {
            tally->failed++;
            write_error(p, todo[k], -1, why);
            progress(o, tally, 0, -1, "%s: not run: %s", p->points[todo[k]].name, why);
        } else
            tally->left++;
    }
    if (o->progress && tally->skipped)
        fprintf(o->progress, "%zu of %zu points are done already (their run directories are in %s)\n",
                tally->skipped, n, p->dir);

    size_t next = 0, running = 0, finished_here = 0;
    double seconds_here = 0;
    bool forwarded = false;
    while (s == CT_OK) {
        bool stopping = o->stop && *o->stop;
        /* Start what the free slots allow. */
        for (size_t d = 0; d < device_count && !stopping; d++)
            while (dev[d].busy < dev[d].slots) {
                while (next < n && (states[next] == POINT_DONE || states[next] == POINT_CONFLICT))
                    next++;
                if (next >= n)
                    break;
                size_t i = todo[next];
                remove_error(p, i);
                pid_t pid;
                ct_status sp = spawn_point(p, i, states[next], &devices[d], o, env, &pid);
                if (sp != CT_OK) { /* the sweep cannot start processes: stop, keep what is done */
                    s = sp;
                    break;
                }
                running_point *r = &run[running++];
                r->pid = pid, r->point = i, r->device = d, r->started = ct_now_seconds();
                dev[d].busy++;
                next++;
                tally->left--;
                char detail[300];
                snprintf(detail, sizeof detail, "%s on %s", states[next - 1] == POINT_RESUME ? "resumed" : "started",
                         devices[d].spec);
                double eta = finished_here ? seconds_here / (double)finished_here *
                                                 ((double)tally->left + (double)running / 2) /
                                                 (total_slots > 0 ? total_slots : 1)
                                           : -1;
                progress(o, tally, running, eta, "%s %s", p->points[i].name, detail);
            }
        total_slots = 0;
        for (size_t d = 0; d < device_count; d++)
            total_slots += dev[d].slots;
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                if (o->stop && *o->stop && !forwarded) {
                    for (size_t k = 0; k < running; k++)
                        kill(run[k].pid, (int)*o->stop);
                    forwarded = true;
                }
                continue;
            }
            s = ct_fail(CT_ERR_INTERNAL, "waiting for the sweep's runs: %s", strerror(errno));
            break;
        }
        size_t k = 0;
        while (k < running && run[k].pid != pid)
            k++;
        if (k == running)
            continue; /* not one of ours */
        running_point r = run[k];
        run[k] = run[--running];
        dev[r.device].busy--;
        double seconds = ct_now_seconds() - r.started;
        const char *name = p->points[r.point].name;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        char detail[1536];
        if (code == 0) {
            tally->done++;
            finished_here++;
            seconds_here += seconds;
            adapt_slots(&dev[r.device], seconds);
            double best = 0;
            int epoch = -1;
            char *dir = sweep_point_dir(p, r.point);
            if (dir && sweep_point_best(dir, p->metric, p->maximize, &epoch, &best) == CT_OK)
                snprintf(detail, sizeof detail, "in %.1f s on %s: %s %.5g (epoch %d)", seconds,
                         devices[r.device].spec, p->metric, best, epoch + 1);
            else
                snprintf(detail, sizeof detail, "in %.1f s on %s", seconds, devices[r.device].spec);
            ct_clear_error();
            free(dir);
        } else if (code == 130 || code == 143) {
            tally->interrupted++;
            snprintf(detail, sizeof detail, "after %.1f s: its checkpoint resumes it", seconds);
        } else {
            tally->failed++;
            char message[1024];
            char *log = path_in(p->dir, "logs", name, ".log");
            if (log)
                last_error(log, message, sizeof message);
            if (!log || !message[0])
                snprintf(message, sizeof message, "exit status %d", code);
            write_error(p, r.point, code, message);
            snprintf(detail, sizeof detail, "(exit status %d): %s; the log is %s", code, message, log ? log : "?");
            free(log);
        }
        double eta = finished_here ? seconds_here / (double)finished_here * ((double)tally->left + (double)running / 2) /
                                         (total_slots > 0 ? total_slots : 1)
                                   : -1;
        progress(o, tally, running, eta,
                 code == 0 ? "%s finished %s" : code == 130 || code == 143 ? "%s interrupted %s" : "%s FAILED %s", name,
                 detail);
    }
    /* Only a failure to start processes leaves children running: wait for them. */
    while (running > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno != EINTR)
            break;
        for (size_t k = 0; k < running; k++)
            if (run[k].pid == pid)
                run[k] = run[--running];
    }
    free(states), free(dev), free(run), free(env);
    return s;
}
