// resnet: M6 -- the CIFAR-10 ResNet -- on Fashion-MNIST padded to 32x32x3, with on-the-fly
// augmentation, reduce_lr_on_plateau and a model_checkpoint of the best validation accuracy.
//
//   resnet [--epochs N] [--limit N] [--test-limit N] [--batch N] [--out DIR]
#include <cstdio>
#include <iostream>

#include "fashion_data.hpp"
#include "seed_models.hpp"

int main(int argc, char** argv) {
    namespace tn = typenet;
    examples::options o{.epochs = 3, .limit = 2000, .test_limit = 500};
    examples::fashion32 data;
    if (!examples::parse(argc, argv, o) || !examples::load_fashion32(data, o.limit, o.test_limit)) return 1;

    auto m = tn::make_model<seed::m6>(1);
    m.summary(std::cout);
    std::cout.flush();
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    tn::reduce_lr_on_plateau plateau({.monitor = "val_loss", .factor = 0.2, .patience = 5, .min_lr = 1e-5});
    tn::model_checkpoint best({.path = o.out / "resnet_best.npz", .monitor = "val_accuracy", .save_best_only = true});
    const auto h = m.fit(data.train.x, data.train.y,
                         {.epochs = o.epochs,
                          .batch_size = o.batch,
                          .validation = {data.test.x, data.test.y},
                          .callbacks = {&plateau, &best},
                          .seed = 6,
                          .augmentation = tn::data::augment_options{.horizontal_flip = true,
                                                                    .rotation_degrees = 15,
                                                                    .width_shift = 0.1,
                                                                    .height_shift = 0.1,
                                                                    .zoom = 0.1}});
    (void)h.to_csv(o.out / "resnet_history.csv");
    (void)h.to_svg(o.out / "resnet_curves.svg", "M6: ResNet with augmentation");
    const auto ev = m.evaluate(data.test.x, data.test.y);
    std::printf("checkpoints written: %d (best val_accuracy)\ntest loss: %.4f\ntest accuracy: %.4f\n", best.saves(), ev.loss,
                ev.accuracy);
    return h["loss"].back() < h["loss"].front() || o.epochs < 2 ? 0 : 1;
}
