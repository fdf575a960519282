// The fast path from a camera frame to a network input: colour conversion, box reduction,
// antialiased bicubic resample, crop and normalisation in two passes over the pixels that the
// crop window needs, with no full-size copy. The geometry (which source pixels, which weights) is
// planned by the Swift side (FramePreprocessor); these functions only run it.
#ifndef CNX_FRAME_H
#define CNX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Pixel layouts; the same numbering as cnx_pixel_format in include/cnx_edge.h.
enum {
    CNX_FRAME_RGB8 = 0, CNX_FRAME_BGR8 = 1, CNX_FRAME_RGBA8 = 2, CNX_FRAME_BGRA8 = 3,
    CNX_FRAME_NV12 = 4, CNX_FRAME_NV21 = 5, CNX_FRAME_YUYV = 6,
};

typedef struct {
    const uint8_t *pixels;   // packed pixels, or the Y plane of NV12/NV21
    ptrdiff_t stride;        // bytes from one row to the next
    const uint8_t *chroma;   // NV12/NV21: the interleaved chroma plane (height/2 rows), else NULL
    ptrdiff_t chroma_stride;
    int32_t width, height, format;
} cnx_frame;

// Y'CbCr to RGB (0...255 floats): R = s(Y - o) + cr V', G = s(Y - o) - gu U' - gv V',
// B = s(Y - o) + cb U', with U' = U - 128 and V' = V - 128.
typedef struct { float y_scale, y_offset, cr, gu, gv, cb; } cnx_yuv_matrix;

// Averages blocks of k x k source pixels, the first at (x0, y0) (even for the YUV formats, k
// even or 1 for them), into `columns` x `rows` RGB pixels: out[(r * columns + c) * 3 + channel],
// 0...255 floats. acc holds columns * k * 4 uint32 of scratch. The blocks lie inside the frame.
void cnx_frame_box_rgb(const cnx_frame *frame, int32_t x0, int32_t y0, int32_t k, int32_t columns, int32_t rows,
                       const cnx_yuv_matrix *matrix, float *out, uint32_t *acc);

// Separable resample of the box-reduced RGB image (`columns` x `rows`, from cnx_frame_box_rgb)
// to `out_width` x `out_height`, then clamp to 0...255 and normalise each channel as
// v * scale[c] + shift[c], written NCHW into out. Output column j reads columns x_start[j] ...
// x_start[j] + taps_x - 1 with weights x_weights[j * taps_x + t] (likewise rows); every tap lies
// inside the image. tmp holds (rows + 1) * out_width * 3 floats.
void cnx_frame_resample(const float *image, int32_t columns, int32_t rows,
                        const int32_t *x_start, const float *x_weights, int32_t taps_x, int32_t out_width,
                        const int32_t *y_start, const float *y_weights, int32_t taps_y, int32_t out_height,
                        const float scale[3], const float shift[3], float *tmp, float *out);

#ifdef __cplusplus
}
#endif
#endif
