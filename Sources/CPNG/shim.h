#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Classic (row-by-row) libpng reading for cnx-edge's ImageDecoder.
 *
 * Why not the simplified png_image API: it converts to sRGB (applying gAMA, treating 16-bit files
 * as linear) and composites or premultiplies alpha, none of which Pillow does. Pillow keeps the
 * stored samples; to match it we need the untransformed rows.
 *
 * Why C: libpng reports errors by longjmp, which Swift can neither set up nor survive. Every
 * libpng call that can fail runs inside one of the functions below after a setjmp in that same
 * function, so a longjmp only ever unwinds C frames; Swift sees a return code and `message`.
 *
 * Usage: zero a cnx_png_decoder, cnx_png_begin, allocate height * row_bytes, cnx_png_finish,
 * and always cnx_png_end (also after a failure). The decoder must not move between calls.
 */

typedef struct cnx_png_decoder {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t size;
    size_t offset;
    png_bytep *rows;
    /* Filled by cnx_png_begin, after palette and low-bit-gray expansion (nothing else). */
    uint32_t width;
    uint32_t height;
    int bit_depth; /* 8 or 16; 16-bit samples stay big-endian */
    int channels;  /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette with tRNS included) */
    size_t row_bytes;
    /* Set when the data ended before libpng was done. */
    int ran_out;
    char message[256];
} cnx_png_decoder;

static inline void cnx_png_read_data(png_structp png, png_bytep out, size_t count) {
    cnx_png_decoder *d = (cnx_png_decoder *)png_get_io_ptr(png);
    if (count > d->size - d->offset) {
        d->ran_out = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, d->data + d->offset, count);
    d->offset += count;
}

static inline void cnx_png_on_error(png_structp png, png_const_charp message) {
    cnx_png_decoder *d = (cnx_png_decoder *)png_get_error_ptr(png);
    strncpy(d->message, message ? message : "unknown libpng error", sizeof(d->message) - 1);
    d->message[sizeof(d->message) - 1] = 0;
    png_longjmp(png, 1);
}

/* Warnings (bad CRC in an ancillary chunk, unknown chunks) do not affect the pixels. */
static inline void cnx_png_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/* Reads the header and sets up expansion. Returns 0, or -1 with `message` set. */
static inline int cnx_png_begin(cnx_png_decoder *d, const unsigned char *data, size_t size,
                                uint32_t max_dimension) {
    d->data = data;
    d->size = size;
    d->offset = 0;
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, cnx_png_on_error, cnx_png_on_warning);
    if (!d->png) {
        strcpy(d->message, "libpng could not allocate its read struct");
        return -1;
    }
    d->info = png_create_info_struct(d->png);
    if (!d->info) {
        strcpy(d->message, "libpng could not allocate its info struct");
        return -1;
    }
    if (setjmp(png_jmpbuf(d->png))) {
        return -1;
    }
    png_set_read_fn(d->png, d, cnx_png_read_data);
    png_set_user_limits(d->png, max_dimension, max_dimension);
    png_read_info(d->png, d->info);

    int color_type = png_get_color_type(d->png, d->info);
    int bit_depth = png_get_bit_depth(d->png, d->info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(d->png); /* also turns tRNS into an alpha channel */
    } else if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(d->png); /* 1, 2, 4 bits scaled to 0...255 */
    }
    (void)png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);

    d->width = png_get_image_width(d->png, d->info);
    d->height = png_get_image_height(d->png, d->info);
    d->bit_depth = png_get_bit_depth(d->png, d->info);
    d->channels = png_get_channels(d->png, d->info);
    d->row_bytes = png_get_rowbytes(d->png, d->info);
    return 0;
}

/* Decodes every row into `out` (height * row_bytes bytes). Returns 0, or -1 with `message` set. */
static inline int cnx_png_finish(cnx_png_decoder *d, unsigned char *out) {
    if (setjmp(png_jmpbuf(d->png))) {
        return -1;
    }
    d->rows = (png_bytep *)malloc(sizeof(png_bytep) * (d->height ? d->height : 1));
    if (!d->rows) {
        strcpy(d->message, "out of memory for row pointers");
        return -1;
    }
    for (uint32_t y = 0; y < d->height; y++) {
        d->rows[y] = out + (size_t)y * d->row_bytes;
    }
    png_read_image(d->png, d->rows);
    return 0;
}

/* Releases everything cnx_png_begin and cnx_png_finish allocated; safe after any failure. */
static inline void cnx_png_end(cnx_png_decoder *d) {
    free(d->rows);
    d->rows = NULL;
    if (d->png) {
        png_destroy_read_struct(&d->png, d->info ? &d->info : NULL, NULL);
    }
    d->png = NULL;
    d->info = NULL;
}
