// libFuzzer harness: the image-folder loader (stb_image behind typenet's guards). The first byte
// picks the file's extension; the rest is the one image in root/cat/.
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
    tn::data::labeled<float, tn::shape<8, 8, 3>> out;
    if (tn::data::load_image_folder(root, out)) {
        fuzz::require(out.size() == 1 && out.y.size() == 1, "one image, one label");
        for (float v : out.x) fuzz::require(v >= 0.0f && v <= 1.0f, "pixels in [0, 1]");
    }
    return 0;
}
