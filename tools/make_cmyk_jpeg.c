/* make_cmyk_jpeg: writes a CMYK or YCCK JPEG (libjpeg-turbo's encoder, with the Adobe marker every
 * encoder writes) of a deterministic pattern, for tools/make_image_fixtures.py, which has no CMYK
 * encoder in TensorFlow. Usage: make_cmyk_jpeg out.jpg cmyk|ycck width height */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

int main(int argc, char** argv) {
    if (argc != 5) return 2;
    const int w = atoi(argv[3]), h = atoi(argv[4]);
    unsigned char* px = malloc((size_t)w * h * 4);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 4; ++c) px[((size_t)y * w + x) * 4 + c] = (unsigned char)((x * (11 + c) + y * (7 + 3 * c) + 40 * c) % 256);
    FILE* f = fopen(argv[1], "wb");
    if (!f || !px) return 1;
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = 4;
    ci.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&ci);
    jpeg_set_colorspace(&ci, strcmp(argv[2], "ycck") == 0 ? JCS_YCCK : JCS_CMYK);
    jpeg_set_quality(&ci, 90, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = px + (size_t)ci.next_scanline * w * 4;
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    fclose(f);
    free(px);
    return 0;
}
