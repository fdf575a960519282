/* Tests of the C API (include/cnx_edge.h), built against the installed library with pkg-config
 * and run by scripts/c-api/test.sh from `make test`:
 *
 *   cnx_api_test MODEL.cnx CLI_LOGITS.npy IMAGE...
 *
 * CLI_LOGITS.npy holds `cnx-edge run --compiled MODEL.cnx --dump-logits` of the same images.
 *  1. bad arguments and files: each its status and a message, never a crash;
 *  2. each image preprocessed by cnx_session_preprocess_file and run by cnx_session_run: the
 *     CLI's logits, bit for bit;
 *  3. each JPEG decoded to RGB by TurboJPEG and classified by cnx_session_classify_pixels (the
 *     frame path): the CLI's top-1 on >= 99% of the images;
 *  4. one session, 1,000 frames (RGB 1920x1080 and NV12 1920x1080): no malloc, calloc, realloc or
 *     aligned allocation after the first frame (counted by interposing them);
 *  5. one model, two threads each with its own session: logits bit-identical to one thread;
 *     cnx_last_error is per thread.
 */
#include <cnx_edge.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/* ---- allocation counting: every allocation in the process goes through these ---- */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static atomic_long allocations;

void *malloc(size_t n) { atomic_fetch_add(&allocations, 1); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { atomic_fetch_add(&allocations, 1); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    atomic_fetch_add(&allocations, 1);
    *out = __libc_memalign(alignment, n);
    return *out ? 0 : 12;
}
void *aligned_alloc(size_t alignment, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { atomic_fetch_add(&allocations, 1); return __libc_memalign(alignment, n); }

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* Expects `call` to return `expected` with a message containing `fragment`. */
static void expect_error(cnx_status got, cnx_status expected, const char *fragment, const char *what) {
    CHECK(got == expected, "%s: %s, expected %s (%s)", what, cnx_status_string(got), cnx_status_string(expected), cnx_last_error());
    CHECK(strstr(cnx_last_error(), fragment) != NULL, "%s: message \"%s\" lacks \"%s\"", what, cnx_last_error(), fragment);
}

/* A float32 .npy of shape [rows, cols]. */
static float *read_npy(const char *path, int *rows, int *cols) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char head[10];
    if (fread(head, 1, 10, f) != 10) { fclose(f); return NULL; }
    int header = head[8] | head[9] << 8;
    char *text = calloc(1, header + 1);
    if (fread(text, 1, header, f) != (size_t) header || !strstr(text, "<f4")) { fclose(f); return NULL; }
    char *shape = strstr(text, "'shape': (");
    if (!shape || sscanf(shape, "'shape': (%d, %d)", rows, cols) != 2) { fclose(f); return NULL; }
    free(text);
    float *data = malloc(sizeof(float) * (size_t) *rows * *cols);
    size_t got = fread(data, sizeof(float), (size_t) *rows * *cols, f);
    fclose(f);
    return got == (size_t) *rows * *cols ? data : NULL;
}

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

static unsigned char *decode_jpeg(const char *path, int *w, int *h) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(size);
    size_t got = fread(data, 1, size, f);
    fclose(f);
    tjhandle tj = tjInitDecompress();
    int sub, space;
    unsigned char *rgb = NULL;
    if (got == (size_t) size && tjDecompressHeader3(tj, data, size, w, h, &sub, &space) == 0) {
        rgb = malloc((size_t) *w * *h * 3);
        if (tjDecompress2(tj, data, size, rgb, *w, 0, *h, TJPF_RGB, TJFLAG_ACCURATEDCT) != 0) { free(rgb); rgb = NULL; }
    }
    tjDestroy(tj);
    free(data);
    return rgb;
}

static void errors(cnx_model *model, cnx_session *session, const char *corrupt_path) {
    cnx_model *m = (cnx_model *) 1;
    expect_error(cnx_model_open(NULL, 1, &m), CNX_ERROR_INPUT, "path is NULL", "open NULL path");
    CHECK(m == NULL, "a failed open leaves *out NULL");
    expect_error(cnx_model_open("/nonexistent/model.cnx", 1, &m), CNX_ERROR_IO, "/nonexistent/model.cnx", "open missing file");
    expect_error(cnx_model_open(corrupt_path, 1, &m), CNX_ERROR_FORMAT, "", "open corrupt file");
    expect_error(cnx_model_open(corrupt_path, 0, &m), CNX_ERROR_INPUT, "threads 0", "open with 0 threads");
    cnx_model_options o = cnx_model_options_default();
    o.backend = (cnx_backend) 42;
    expect_error(cnx_model_open_with_options(corrupt_path, &o, &m), CNX_ERROR_INPUT, "backend 42", "bad backend");
    o = cnx_model_options_default();
    o.labels_path = "/nonexistent/labels.txt";
    expect_error(cnx_model_open_with_options(corrupt_path, &o, &m), CNX_ERROR_IO, "labels", "missing labels file");
    expect_error(cnx_session_create(NULL, NULL), CNX_ERROR_INPUT, "out is NULL", "session_create NULL");

    int h = cnx_model_input_height(model), w = cnx_model_input_width(model), classes = cnx_model_class_count(model);
    float *input = calloc((size_t) 3 * h * w, sizeof(float)), *logits = calloc(classes, sizeof(float));
    input[17] = NAN;
    expect_error(cnx_session_run(session, input, logits), CNX_ERROR_INPUT, "non-finite value at index 17", "NaN input");
    expect_error(cnx_session_run(session, NULL, logits), CNX_ERROR_INPUT, "nchw_input is NULL", "NULL input");
    expect_error(cnx_session_run(NULL, input, logits), CNX_ERROR_INPUT, "session is NULL", "NULL session");
    unsigned char pixels[64 * 64 * 4] = {0};
    cnx_prediction top[5];
    expect_error(cnx_session_classify_pixels(session, NULL, 64, 64, 192, CNX_RGB8, 5, top), CNX_ERROR_INPUT, "null pointer", "NULL pixels");
    expect_error(cnx_session_classify_pixels(session, pixels, 64, 64, 100, CNX_RGB8, 5, top), CNX_ERROR_INPUT, "row stride 100", "short stride");
    expect_error(cnx_session_classify_pixels(session, pixels, 64, 64, -192, CNX_RGB8, 5, top), CNX_ERROR_INPUT, "row stride -192", "negative stride");
    expect_error(cnx_session_classify_pixels(session, pixels, 0, 64, 192, CNX_RGB8, 5, top), CNX_ERROR_INPUT, "size 0x64", "zero width");
    expect_error(cnx_session_classify_pixels(session, pixels, 63, 64, 64, CNX_NV12, 5, top), CNX_ERROR_INPUT, "even width", "odd NV12");
    expect_error(cnx_session_classify_pixels(session, pixels, 64, 64, 192, (cnx_pixel_format) 99, 5, top), CNX_ERROR_INPUT, "unknown pixel format 99", "bad format");
    expect_error(cnx_session_classify_pixels(session, pixels, 64, 64, 192, CNX_RGB8, 0, top), CNX_ERROR_INPUT, "top_k 0", "top_k 0");
    expect_error(cnx_session_classify_pixels(session, pixels, 64, 64, 192, CNX_RGB8, 5, NULL), CNX_ERROR_INPUT, "out is NULL", "NULL out");
    expect_error(cnx_session_classify_file(session, "/nonexistent.jpg", 5, top), CNX_ERROR_IO, "/nonexistent.jpg", "missing image");
    expect_error(cnx_session_classify_file(session, corrupt_path, 5, top), CNX_ERROR_FORMAT, "", "not an image");
    CHECK(cnx_model_label(model, -1) == NULL && cnx_model_label(model, classes) == NULL, "labels outside the classes are NULL");
    CHECK(cnx_model_label(model, 0) != NULL && cnx_model_input_height(NULL) == 0, "label 0 exists; NULL model has no size");
    cnx_model_close(NULL);
    cnx_session_destroy(NULL);
    free(input);
    free(logits);
}

/* ---- threads ---- */
typedef struct {
    cnx_model *model;
    float **inputs;
    int count;
    float *logits;  /* count x classes */
    int status;
} job;

static void *run_job(void *p) {
    job *j = p;
    cnx_session *s = NULL;
    j->status = cnx_session_create(j->model, &s);
    int classes = cnx_model_class_count(j->model);
    for (int r = 0; r < 3 && j->status == CNX_OK; r++)
        for (int i = 0; i < j->count && j->status == CNX_OK; i++) j->status = cnx_session_run(s, j->inputs[i], j->logits + (size_t) i * classes);
    /* An error on this thread does not touch the other thread's message. */
    cnx_session_run(s, NULL, j->logits);
    cnx_session_destroy(s);
    return NULL;
}

static void frame_allocations(cnx_session *session, int width, int height, cnx_pixel_format format, int stride, size_t bytes) {
    unsigned char *frame = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) frame[i] = (unsigned char) (i * 2654435761u >> 13);
    cnx_prediction top[5];
    CHECK(cnx_session_classify_pixels(session, frame, width, height, stride, format, 5, top) == CNX_OK, "warm-up frame: %s", cnx_last_error());
    long before = atomic_load(&allocations);
    int bad = 0;
    for (int i = 0; i < 1000; i++) bad += cnx_session_classify_pixels(session, frame, width, height, stride, format, 5, top) != CNX_OK;
    long made = atomic_load(&allocations) - before;
    printf("1000 frames %dx%d format %d: %ld allocations, %d errors\n", width, height, (int) format, made, bad);
    CHECK(made == 0 && bad == 0, "a reused session allocated %ld times over 1000 frames", made);
    free(frame);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL.cnx CLI_LOGITS.npy IMAGE...\n", argv[0]);
        return 2;
    }
    cnx_model *model = NULL;
    cnx_session *session = NULL;
    if (cnx_model_open(argv[1], 1, &model) != CNX_OK || cnx_session_create(model, &session) != CNX_OK) {
        printf("FAIL: %s\n", cnx_last_error());
        return 1;
    }
    int rows = 0, classes = cnx_model_class_count(model);
    int cols = 0;
    float *expected = read_npy(argv[2], &rows, &cols);
    int images = argc - 3;
    if (!expected || rows != images || cols != classes) {
        printf("FAIL: %s is not float32 [%d, %d]\n", argv[2], images, classes);
        return 1;
    }
    printf("cnx-edge %s: %s model %dx%d, %d classes; %d images\n", cnx_version(), cnx_model_precision(model),
           cnx_model_input_height(model), cnx_model_input_width(model), classes, images);

    errors(model, session, argv[2]);  /* the .npy is neither a model nor an image */

    /* 2. Tensors: the CLI's logits. */
    size_t n = (size_t) 3 * cnx_model_input_height(model) * cnx_model_input_width(model);
    float **inputs = malloc(sizeof(float *) * images);
    float *logits = malloc(sizeof(float) * classes);
    int identical = 0;
    float worst = 0;
    for (int i = 0; i < images; i++) {
        inputs[i] = malloc(sizeof(float) * n);
        if (cnx_session_preprocess_file(session, argv[3 + i], inputs[i]) != CNX_OK || cnx_session_run(session, inputs[i], logits) != CNX_OK) {
            CHECK(0, "%s: %s", argv[3 + i], cnx_last_error());
            continue;
        }
        float d = 0;
        for (int c = 0; c < classes; c++) d = fmaxf(d, fabsf(logits[c] - expected[(size_t) i * classes + c]));
        worst = fmaxf(worst, d);
        identical += d == 0;
    }
    printf("tensors: %d/%d images with logits identical to the CLI's (worst |difference| %g)\n", identical, images, worst);
    CHECK(identical == images, "logits differ from the CLI's");

    /* 3. Decoded RGB frames through the frame path: the CLI's top-1. */
    int agree = 0, frames = 0;
    for (int i = 0; i < images; i++) {
        int w, h;
        unsigned char *rgb = decode_jpeg(argv[3 + i], &w, &h);
        if (!rgb) continue;
        frames++;
        cnx_prediction top[1];
        if (cnx_session_classify_pixels(session, rgb, w, h, w * 3, CNX_RGB8, 1, top) == CNX_OK)
            agree += top[0].class_index == argmax(expected + (size_t) i * classes, classes);
        else
            CHECK(0, "%s: %s", argv[3 + i], cnx_last_error());
        free(rgb);
    }
    printf("frames: top-1 equal to the CLI's on %d/%d decoded RGB frames (%.1f%%)\n", agree, frames, 100.0 * agree / (frames ? frames : 1));
    CHECK(frames > 0 && agree * 100 >= frames * 99, "top-1 agreement below 99%%");

    /* 4. No allocation per frame. */
    frame_allocations(session, 1920, 1080, CNX_RGB8, 1920 * 3, (size_t) 1920 * 1080 * 3);
    frame_allocations(session, 1920, 1080, CNX_NV12, 1920, (size_t) 1920 * 1080 * 3 / 2);

    /* 5. Two threads, one model. */
    int count = images < 8 ? images : 8;
    float *single = malloc(sizeof(float) * classes * count);
    for (int i = 0; i < count; i++) cnx_session_run(session, inputs[i], single + (size_t) i * classes);
    cnx_session_run(session, NULL, logits);  /* this thread's error */
    job jobs[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) {
        jobs[t] = (job){model, inputs, count, malloc(sizeof(float) * classes * count), -1};
        pthread_create(&threads[t], NULL, run_job, &jobs[t]);
    }
    for (int t = 0; t < 2; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < 2; t++) {
        CHECK(jobs[t].status == CNX_OK, "thread %d: status %d", t, jobs[t].status);
        CHECK(memcmp(jobs[t].logits, single, sizeof(float) * classes * count) == 0, "thread %d: logits differ from one thread's", t);
    }
    CHECK(strstr(cnx_last_error(), "nchw_input is NULL") != NULL, "this thread's message changed: %s", cnx_last_error());
    printf("threads: 2 sessions on one model, %d inputs x 3 rounds each: %s\n", count,
           memcmp(jobs[0].logits, single, sizeof(float) * classes * count) == 0 && memcmp(jobs[1].logits, single, sizeof(float) * classes * count) == 0 ? "bit-identical to one thread" : "DIFFERENT");

    /* The session keeps the model alive after cnx_model_close. */
    cnx_model_close(model);
    CHECK(cnx_session_run(session, inputs[0], logits) == CNX_OK && memcmp(logits, single, sizeof(float) * classes) == 0,
          "a session after cnx_model_close: %s", cnx_last_error());
    cnx_session_destroy(session);
    printf(failures ? "%d FAILURES\n" : "all C API checks passed\n", failures);
    return failures ? 1 : 0;
}
