// jpeg: decodes one JPEG held in memory with libjpeg-turbo (Debian: libjpeg62-turbo-dev; link
// -ljpeg, or CMake's typenet::images), the decoder TensorFlow uses, set up as tf.io.decode_image
// sets it up (INTEGER_FAST inverse DCT, fancy upsampling), so the pixels equal Keras' to the bit.
// Used by typenet/io/image_folder.hpp; see docs/data.md.
//
// Hostile input. libjpeg-turbo is maintained and fuzzed continuously (OSS-Fuzz). On top of it:
//  - its fatal errors return here (setjmp/longjmp; nothing between the two owns a resource, and the
//    decoder state lives in the caller's frame) instead of calling exit();
//  - a file cut short is an error, as in TensorFlow: libjpeg would fill the missing part with grey;
//  - at most max_jpeg_scans scans (libjpeg-turbo's own recommendation for untrusted files: a
//    progressive JPEG of many tiny scans costs a full pass over the image per scan);
//  - the size in the header is checked against a pixel limit before any pixel memory is allocated.
#pragma once

#include <typenet/core/status.hpp>

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>  // jpeglib.h needs FILE and size_t first
#include <string>
#include <vector>

#if __has_include(<jpeglib.h>)
#include <jpeglib.h>
#include <jerror.h>
#define TYPENET_HAS_LIBJPEG 1
#else
#error "typenet decodes JPEG with libjpeg-turbo: apt-get install libjpeg62-turbo-dev, and link -ljpeg (CMake: typenet::images)"
#endif

// Without libjpeg, the #error above is the only error (tests/compile_fail/setup).
#ifdef TYPENET_HAS_LIBJPEG
namespace typenet::data::detail {

inline constexpr int max_jpeg_scans = 500;

// The decoder's state. `err.pub` comes first: libjpeg hands back &err.pub, from which the callbacks
// find the rest.
struct jpeg_job {
    struct errors {
        jpeg_error_mgr pub;
        std::jmp_buf jump;
        char message[JMSG_LENGTH_MAX + 64];
    } err;
    jpeg_progress_mgr progress;
    jpeg_decompress_struct cinfo;
    // Results: the decoded size, and whether the header's size was over the caller's limit.
    unsigned width = 0, height = 0;
    bool too_large = false;
};

inline jpeg_job::errors& jpeg_errors_of(j_common_ptr c) { return *reinterpret_cast<jpeg_job::errors*>(c->err); }

// libjpeg's fatal errors: keep the message, return to jpeg_decode_into's setjmp.
inline void jpeg_on_error(j_common_ptr c) {
    jpeg_job::errors& e = jpeg_errors_of(c);
    (*c->err->format_message)(c, e.message);
    std::longjmp(e.jump, 1);
}

// Warnings (level -1) about corrupt data are let through, as TensorFlow does; a file cut short is not
// (TensorFlow: "Invalid JPEG data"). Trace messages (level >= 0) are dropped.
inline void jpeg_on_message(j_common_ptr c, int level) {
    if (level >= 0) return;
    if (c->err->msg_code == JWRN_JPEG_EOF) {
        jpeg_job::errors& e = jpeg_errors_of(c);
        std::snprintf(e.message, sizeof e.message, "truncated JPEG (the data ends before the image does)");
        std::longjmp(e.jump, 1);
    }
    ++c->err->num_warnings;
}

inline void jpeg_on_progress(j_common_ptr c) {
    if (!c->is_decompressor) return;
    if (reinterpret_cast<j_decompress_ptr>(c)->input_scan_number > max_jpeg_scans) {
        jpeg_job::errors& e = jpeg_errors_of(c);
        std::snprintf(e.message, sizeof e.message, "JPEG with more than %d scans (refused as hostile)", max_jpeg_scans);
        std::longjmp(e.jump, 1);
    }
}

// The part that libjpeg may leave by longjmp. Every object it touches lives in `job` or `px`, both
// created by the caller before setjmp, so the jump skips no destructor and no local is read after it.
// Output: 1 (grey), 3 (RGB) or 4 (CMYK, as libjpeg gives it) bytes per pixel in px; false on error.
inline bool jpeg_decode_into(jpeg_job& job, const unsigned char* data, std::size_t n, bool grey,
                             std::uint64_t max_pixels, std::vector<unsigned char>& px) {
    if (setjmp(job.err.jump)) return false;
    jpeg_create_decompress(&job.cinfo);
    job.cinfo.progress = &job.progress;
    jpeg_mem_src(&job.cinfo, data, static_cast<unsigned long>(n));
    jpeg_read_header(&job.cinfo, TRUE);
    job.width = job.cinfo.image_width;
    job.height = job.cinfo.image_height;
    if (std::uint64_t{job.width} * job.height > max_pixels) {
        job.too_large = true;
        return false;
    }
    // TensorFlow's decode_jpeg: CMYK and YCCK come out as CMYK (converted to RGB by the caller),
    // everything else as grey or RGB, with the fast integer IDCT and fancy upsampling.
    const bool cmyk = job.cinfo.jpeg_color_space == JCS_CMYK || job.cinfo.jpeg_color_space == JCS_YCCK;
    job.cinfo.out_color_space = cmyk ? JCS_CMYK : grey ? JCS_GRAYSCALE : JCS_RGB;
    job.cinfo.dct_method = JDCT_IFAST;
    job.cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&job.cinfo);
    const std::size_t stride = std::size_t{job.cinfo.output_width} * std::size_t(job.cinfo.output_components);
    px.resize(stride * job.cinfo.output_height);
    while (job.cinfo.output_scanline < job.cinfo.output_height) {
        JSAMPROW row = px.data() + stride * job.cinfo.output_scanline;
        if (jpeg_read_scanlines(&job.cinfo, &row, 1) != 1) {  // cannot happen with a memory source
            std::snprintf(job.err.message, sizeof job.err.message, "libjpeg returned no scanline");
            return false;
        }
    }
    jpeg_finish_decompress(&job.cinfo);
    return true;
}

// Grey from 8-bit RGB with the weights and rounding TensorFlow's PNG decoder uses (libpng's
// png_set_rgb_to_gray with 0.299 and 0.587: 9797, 19234 and 3737 of 32768, truncated).
inline void rgb_to_grey(const unsigned char* rgb, std::size_t pixels, unsigned char* grey) {
    for (std::size_t i = 0; i < pixels; ++i)
        grey[i] = static_cast<unsigned char>((9797u * rgb[3 * i] + 19234u * rgb[3 * i + 1] + 3737u * rgb[3 * i + 2]) >> 15);
}

// Decodes a JPEG into `channels` (1, 3 or 4) bytes per pixel, as tf.io.decode_image does where it
// can: grey is the file's luma plane, RGB is libjpeg's, CMYK becomes RGB as K * C / 255 (the
// inverted CMYK every encoder writes, with an Adobe marker). Where TensorFlow refuses -- 4
// channels, or grey from CMYK -- alpha is 255 and grey is computed from RGB (rgb_to_grey).
// Messages carry no path; when the header is over max_pixels, width and height are still set.

inline status decode_jpeg(const unsigned char* data, std::size_t n, int channels, std::uint64_t max_pixels,
                          std::vector<unsigned char>& out, int& width, int& height) {
    std::vector<unsigned char> px;
    jpeg_job job{};
    job.cinfo.err = jpeg_std_error(&job.err.pub);
    job.err.pub.error_exit = jpeg_on_error;
    job.err.pub.emit_message = jpeg_on_message;
    job.progress.progress_monitor = jpeg_on_progress;
    const bool ok = jpeg_decode_into(job, data, n, channels == 1, max_pixels, px);
    const bool cmyk = job.cinfo.out_color_space == JCS_CMYK;
    jpeg_destroy_decompress(&job.cinfo);
    if (job.too_large) {
        width = int(job.width);
        height = int(job.height);
        return status::error("image header claims " + std::to_string(job.width) + "x" + std::to_string(job.height) +
                             " pixels, more than the limit of " + std::to_string(max_pixels) + " (corrupt or hostile file)");
    }
    if (!ok) return status::error(std::string("cannot decode the image (libjpeg: ") + job.err.message + ")");
    width = int(job.width);
    height = int(job.height);
    const std::size_t pixels = std::size_t{job.width} * job.height;
    if (cmyk) {  // to RGB in place: pixel i's 3 bytes never overtake its 4
        for (std::size_t i = 0; i < pixels; ++i) {
            const unsigned c = px[4 * i], m = px[4 * i + 1], y = px[4 * i + 2], k = px[4 * i + 3];
            px[3 * i] = static_cast<unsigned char>(k * c / 255);
            px[3 * i + 1] = static_cast<unsigned char>(k * m / 255);
            px[3 * i + 2] = static_cast<unsigned char>(k * y / 255);
        }
        px.resize(3 * pixels);
    }
    const std::size_t have = px.size() / (pixels ? pixels : 1);
    if (std::size_t(channels) == have) {
        out = std::move(px);
    } else if (channels == 1) {  // only from CMYK
        out.resize(pixels);
        rgb_to_grey(px.data(), pixels, out.data());
    } else {  // 3 or 4 channels from a grey file (the luma plane repeated), or 4 from RGB
        out.resize(pixels * std::size_t(channels));
        for (std::size_t i = 0; i < pixels; ++i) {
            for (std::size_t c = 0; c < 3; ++c) out[i * std::size_t(channels) + c] = px[i * have + (have == 1 ? 0 : c)];
            if (channels == 4) out[i * 4 + 3] = 255;
        }
    }
    return {};
}

}  // namespace typenet::data::detail
#endif  // TYPENET_HAS_LIBJPEG
