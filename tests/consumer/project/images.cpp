// An installed-typenet consumer of typenet::images: loads an image folder (JPEG through libjpeg,
// found via typenet's package config; PNG through stb_image). Usage: typenet_consumer_images <folder>.
#include <typenet/typenet.hpp>
#include <typenet/io/image_folder.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <image folder>\n", argv[0]);
        return 2;
    }
    typenet::data::labeled<float, typenet::shape<12, 17, 3>> images;
    if (auto s = typenet::data::load_image_folder(argv[1], images); !s) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
    }
    std::printf("images: %d, first label %d, last label %d\n", int(images.size()), int(images.y.front()), int(images.y.back()));
    return images.size() > 0 ? 0 : 1;
}
