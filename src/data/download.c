/* One libcurl transfer into a partial file, resumable. Verification and the
 * final rename are the caller's (fetch.c): this file only moves bytes.
 *
 * TLS peer and host verification are libcurl's defaults (on) and are never
 * changed here. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void init_curl(void) { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct {
    FILE *file;
    curl_off_t resume_from;
    int write_errno;
} transfer;

static size_t write_body(char *data, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t bytes = size * count;
    if (fwrite(data, 1, bytes, t->file) != bytes) {
        t->write_errno = errno;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return bytes;
}

static void set_options(CURL *curl, const char *url, transfer *t, char *error_buffer)
{
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);       /* library code: no SIGALRM */
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);    /* a 404 page is not the dataset */
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L); /* zenodo redirects */
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    /* file:// serves local mirrors (and the tests); redirects stay on the web. */
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cltrain (libcurl)");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer fails after a minute below 1 KB/s instead of hanging. */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    if (t->resume_from > 0)
        curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, t->resume_from);
}

static ct_status perform(CURL *curl, const char *url, const char *part_path, transfer *t,
                         int *range_refused)
{
    char error_buffer[CURL_ERROR_SIZE] = "";
    set_options(curl, url, t, error_buffer);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        return CT_OK;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    /* 416: nothing left past our Range, the partial file is already whole
     * (the checksum decides). */
    if (rc == CURLE_HTTP_RETURNED_ERROR && code == 416 && t->resume_from > 0)
        return CT_OK;
    if (rc == CURLE_RANGE_ERROR && t->resume_from > 0)
        *range_refused = 1;
    if (rc == CURLE_WRITE_ERROR && t->write_errno != 0)
        return ct_fail(CT_ERR_IO, "cannot write %s: %s", part_path, strerror(t->write_errno));
    return ct_fail(CT_ERR_NETWORK, "%s", error_buffer[0] ? error_buffer : curl_easy_strerror(rc));
}

/* One attempt from the current end of the file. *range_refused is set when
 * the server answered our Range request with the whole file (libcurl
 * refuses to append that, rightly). */
static ct_status attempt(const char *url, FILE *part, const char *part_path, int *range_refused)
{
    struct stat st;
    if (fflush(part) != 0 || fstat(fileno(part), &st) != 0)
        return ct_fail(CT_ERR_IO, "cannot stat %s: %s", part_path, strerror(errno));
    CURL *curl = curl_easy_init();
    if (!curl)
        return ct_fail(CT_ERR_NETWORK, "libcurl could not create a transfer");
    transfer t = {.file = part, .resume_from = (curl_off_t)st.st_size};
    ct_status s = perform(curl, url, part_path, &t, range_refused);
    curl_easy_cleanup(curl);
    return s;
}

ct_status ct_data_download(const char *url, FILE *part, const char *part_path)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_result != CURLE_OK)
        return ct_fail(CT_ERR_NETWORK, "libcurl failed to initialise: %s",
                       curl_easy_strerror(curl_init_result));
    int range_refused = 0;
    ct_status s = attempt(url, part, part_path, &range_refused);
    if (range_refused) {
        /* The server cannot resume: start over from byte 0. */
        if (fflush(part) != 0 || ftruncate(fileno(part), 0) != 0)
            return ct_fail(CT_ERR_IO, "cannot truncate %s: %s", part_path, strerror(errno));
        s = attempt(url, part, part_path, &range_refused);
    }
    if (fflush(part) != 0 && s == CT_OK)
        s = ct_fail(CT_ERR_IO, "cannot write %s: %s", part_path, strerror(errno));
    return s;
}
