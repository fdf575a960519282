/*
 * cnx-edge C API: ConvNeXt V2 image classifiers (.cnx models, fp32 or int8) for C, C++ and any
 * language with a C FFI. Link with `pkg-config --cflags --libs cnx-edge` (shared library) or
 * `pkg-config --static --cflags --libs cnx-edge` (static library).
 *
 * Errors: every function that can fail returns a cnx_status; CNX_OK is 0. On failure,
 * cnx_last_error() returns a message saying what was wrong and where (per thread, valid until
 * that thread's next cnx_* call). Nothing throws across this boundary; bad input (null pointers,
 * wrong sizes, corrupt files, NaN, bad pixel buffers) is an error code, never a crash.
 *
 * Threads: a cnx_model is immutable once open and may be shared by any number of threads; each
 * thread that runs inferences uses its own cnx_session (working memory of one inference; one
 * thread at a time). Results are bit-identical whichever session or thread runs them. A session
 * keeps its model alive: cnx_model_close() may come before cnx_session_destroy().
 *
 * Memory: after the first frame of a given size and format, cnx_session_run() and
 * cnx_session_classify_pixels() allocate nothing.
 */
#ifndef CNX_EDGE_H
#define CNX_EDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cnx_model cnx_model;     /* a loaded .cnx; shareable across threads */
typedef struct cnx_session cnx_session; /* one caller's working memory; one thread at a time */

typedef enum {
    CNX_OK = 0,
    CNX_ERROR_IO,          /* a file could not be read */
    CNX_ERROR_FORMAT,      /* a file is corrupt, truncated or not what it claims */
    CNX_ERROR_INPUT,       /* a bad argument: null pointer, size, stride, format, NaN input */
    CNX_ERROR_UNSUPPORTED  /* not in this build or on this CPU (a provider, an instruction set) */
} cnx_status;

/* Pixel layouts. NV12/NV21: the Y plane (row_stride bytes per row, height rows) followed
 * directly by the interleaved chroma plane (height/2 rows, same stride). */
typedef enum {
    CNX_RGB8 = 0, CNX_BGR8, CNX_RGBA8, CNX_BGRA8, CNX_NV12, CNX_NV21, CNX_YUYV
} cnx_pixel_format;

/* How YUV frames are converted to RGB (cnx_model_options.color_space). */
typedef enum {
    CNX_BT601_LIMITED = 0, CNX_BT601_FULL, CNX_BT709_LIMITED, CNX_BT709_FULL
} cnx_color_space;

/* Execution providers (cnx_model_options.backend). */
typedef enum {
    CNX_BACKEND_AUTO = 0,  /* the placement `cnx-edge tune` stored beside the .cnx, else the per-CPU default */
    CNX_BACKEND_NATIVE,    /* cnx-edge's C kernels on every op */
    CNX_BACKEND_XNNPACK,   /* XNNPACK wherever it runs an op */
    CNX_BACKEND_SWIFT      /* portable Swift */
} cnx_backend;

typedef struct {
    int class_index;
    float probability;  /* softmax over all classes */
    const char *label;  /* the class name; valid while the model is open */
} cnx_prediction;

/* Options for cnx_model_open_with_options; start from cnx_model_options_default(). */
typedef struct {
    int threads;                 /* worker threads per session, >= 1 */
    cnx_backend backend;
    cnx_color_space color_space;
    const char *labels_path;     /* NULL, or one class name per line / a config.json with id2label */
    int fast_jpeg_decode;        /* nonzero: JPEG files >= 2x the needed size decoded at a reduced DCT
                                    scale (faster, no longer Pillow-exact); 0: timm's exact transform */
} cnx_model_options;

cnx_model_options cnx_model_options_default(void);

/* Opens a .cnx model (or a safetensors / PyTorch .pt checkpoint, compiled in memory at 224x224). */
cnx_status cnx_model_open(const char *path, int threads, cnx_model **out);
cnx_status cnx_model_open_with_options(const char *path, const cnx_model_options *options, cnx_model **out);
void       cnx_model_close(cnx_model *model);  /* NULL is ignored */
int        cnx_model_input_height(const cnx_model *model);
int        cnx_model_input_width(const cnx_model *model);
int        cnx_model_class_count(const cnx_model *model);
/* The name of class `index`, or NULL outside 0...class_count-1. */
const char *cnx_model_label(const cnx_model *model, int index);
/* "int8" or "fp32". */
const char *cnx_model_precision(const cnx_model *model);

cnx_status cnx_session_create(cnx_model *model, cnx_session **out);
void       cnx_session_destroy(cnx_session *session);  /* NULL is ignored */
/* Logits (class_count floats) of a preprocessed [1, 3, H, W] NCHW float input. */
cnx_status cnx_session_run(cnx_session *session, const float *nchw_input, float *logits_out);
/* The top_k classes (best first) of a camera frame, through the fast frame path (colour
 * conversion, resize, center crop and ImageNet normalisation in one pass). out holds top_k
 * entries; top_k above class_count is clamped. */
cnx_status cnx_session_classify_pixels(cnx_session *session, const uint8_t *pixels, int width, int height,
                                       int row_stride, cnx_pixel_format format, int top_k,
                                       cnx_prediction *out);
/* The network input (3 * H * W floats, NCHW) the frame path makes from a frame. */
cnx_status cnx_session_preprocess_pixels(cnx_session *session, const uint8_t *pixels, int width, int height,
                                         int row_stride, cnx_pixel_format format, float *nchw_out);
/* The network input (3 * H * W floats, NCHW) of a JPEG or PNG file through timm's exact eval
 * transform (Pillow-exact bicubic resize, center crop, ImageNet mean/std), as `cnx-edge run` makes it. */
cnx_status cnx_session_preprocess_file(cnx_session *session, const char *image_path, float *nchw_out);
/* The top_k classes of a JPEG or PNG file, through timm's exact eval transform. */
cnx_status cnx_session_classify_file(cnx_session *session, const char *image_path, int top_k,
                                     cnx_prediction *out);

/* This thread's message for the last failed call ("" if none). */
const char *cnx_last_error(void);
/* The status's name, e.g. "CNX_ERROR_INPUT". */
const char *cnx_status_string(cnx_status status);
/* The library's version, e.g. "0.15.0". */
const char *cnx_version(void);

#ifdef __cplusplus
}
#endif
#endif
