/* A point's state from its run directory (see point_state.h). */
#include "sweep/point_state.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "run/checkpoint_io.h"

static bool exists_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Any entry but "." and ".." (a killed writer's temporary file counts:
 * claiming the folder removes it). */
static bool has_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool any = false;
    while (!any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

static char *read_text(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    size_t length = 0;
    if (ct_read_file(path, &text, &length) != CT_OK) {
        ct_clear_error();
        return NULL;
    }
    return text;
}

point_state sweep_point_state(const sweep_plan *p, size_t i, char *why, size_t why_size)
{
    if (why_size)
        why[0] = '\0';
    char *dir = sweep_point_dir(p, i);
    if (!dir)
        return POINT_NEW;
    point_state state;
    if (exists_in(dir, "summary.yaml")) {
        char *saved = read_text(dir, "config.yaml");
        if (saved && !strcmp(saved, p->points[i].config))
            state = POINT_DONE;
        else if (saved && ct_run_check_config_change(saved, p->points[i].config, 0) == CT_OK)
            state = POINT_RESUME;
        else {
            state = POINT_CONFLICT;
            snprintf(why, why_size, "%s holds a finished run of another configuration (%s); remove it, or "
                                    "give this sweep another --name",
                     dir, saved ? ct_last_error() : "no config.yaml");
            ct_clear_error();
        }
        free(saved);
    } else if (exists_in(dir, "checkpoint.bin"))
        state = POINT_RESUME;
    else if (has_files(dir))
        state = POINT_RESTART;
    else
        state = POINT_NEW;
    free(dir);
    return state;
}

const char *sweep_point_state_name(point_state s)
{
    static const char *const names[] = {"new", "done", "resume", "restart", "conflict"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}
