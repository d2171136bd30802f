// libFuzzer harness: the image-folder loader (libjpeg-turbo for JPEG, stb_image behind typenet's
// guards for PNG, BMP and GIF). The first byte picks the file's extension (byte % 4: .png .jpg .bmp
// .gif) and the channels it is loaded to (byte / 4 % 3: 3, 1, 4 -- grey from colour and alpha are
// conversions of their own); the rest is the one image in root/cat/.
#include <typenet/typenet.hpp>
#include <typenet/io/image_folder.hpp>

#include "fuzz_common.hpp"

namespace tn = typenet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
    if (n < 1) return 0;
    static const char* const ext[] = {".png", ".jpg", ".bmp", ".gif"};
    const auto root = fuzz::scratch() / "images";
    std::filesystem::remove_all(root);
    fuzz::write(std::string("images/cat/x") + ext[data[0] % 4], data + 1, n - 1);
    const auto check = [&](auto& out) {
        if (tn::data::load_image_folder(root, out)) {
            fuzz::require(out.size() == 1 && out.y.size() == 1, "one image, one label");
            for (float v : out.x) fuzz::require(v >= 0.0f && v <= 1.0f, "pixels in [0, 1]");
        }
    };
    switch (data[0] / 4 % 3) {
        case 0: {
            tn::data::labeled<float, tn::shape<8, 8, 3>> out;
            check(out);
            break;
        }
        case 1: {
            tn::data::labeled<float, tn::shape<8, 8, 1>> out;
            check(out);
            break;
        }
        default: {
            tn::data::labeled<float, tn::shape<8, 8, 4>> out;
            check(out);
            break;
        }
    }
    return 0;
}
