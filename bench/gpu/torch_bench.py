#!/usr/bin/env python3
"""PyTorch on the seed models, timed like bench/gpu/typenet_gpu_bench.cu (issue #10).

Prints TSV lines:  torch  model  batch  mode  best_us  median_us  images_per_s
Modes: fp32_eager_nchw, fp32_eager_cl, fp32_graph_nchw, fp32_graph_cl (TF32 off in cuBLAS and
cuDNN), tf32_eager_cl, tf32_graph_cl (TF32 on, channels-last). The architectures are the seed
models of examples/seed_models.hpp, with TensorFlow's "same" padding (an odd total padding puts
the extra pixel bottom/right: an explicit ZeroPad2d, as Keras' models compute). Outputs include
the softmax. CUDA events around each forward, 3 warm-ups, 20 timed passes (5 with --quick).

    python3 bench/gpu/torch_bench.py [--quick]
"""
import sys

import torch
import torch.nn as nn

REPEATS = 5 if "--quick" in sys.argv else 20


def same_conv(cin, cout, k, stride, size):
    """Conv2d with TensorFlow's "same" padding for a square input of `size`."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    before, after = total // 2, total - total // 2
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=0)
    if total == 0:
        return conv
    if before == after:
        return nn.Conv2d(cin, cout, k, stride=stride, padding=before)
    return nn.Sequential(nn.ZeroPad2d((before, after, before, after)), conv)


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=1)


def m1():
    return nn.Sequential(same_conv(3, 32, 3, 1, 32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 16 * 16, 128), nn.ReLU(), nn.Linear(128, 10), Softmax()), (3, 32, 32)


def m2():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64), nn.ReLU(),
                         nn.Linear(64, 10), Softmax()), (1, 28, 28)


class Block(nn.Module):
    def __init__(self, cin, cout, stride, size):
        super().__init__()
        self.main = nn.Sequential(same_conv(cin, cout, 3, stride, size), nn.BatchNorm2d(cout), nn.ReLU(),
                                  same_conv(cout, cout, 3, 1, -(-size // stride)), nn.BatchNorm2d(cout))
        self.short = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout))
                      if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return torch.relu(self.main(x) + self.short(x))


def m6():
    return nn.Sequential(same_conv(3, 32, 3, 1, 32), nn.BatchNorm2d(32), nn.ReLU(),
                         Block(32, 32, 1, 32), Block(32, 32, 1, 32), Block(32, 64, 2, 32), Block(64, 64, 1, 16),
                         Block(64, 128, 2, 16), Block(128, 128, 1, 8), nn.AvgPool2d(4), nn.Flatten(),
                         nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10),
                         Softmax()), (3, 32, 32)


def m8():
    return nn.Sequential(nn.Flatten(), nn.Linear(3072, 200), nn.ReLU(), nn.Linear(200, 150), nn.ReLU(),
                         nn.Linear(150, 10), Softmax()), (3, 32, 32)


def m10():
    def block(cin, cout, stride, size):
        return [same_conv(cin, cout, 3, stride, size), nn.BatchNorm2d(cout), nn.LeakyReLU(0.3)]
    return nn.Sequential(*block(3, 32, 1, 32), *block(32, 32, 2, 32), *block(32, 64, 1, 16), *block(64, 64, 2, 16),
                         nn.Flatten(), nn.Linear(4096, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.3), nn.Dropout(0.5),
                         nn.Linear(128, 10), Softmax()), (3, 32, 32)


def vgg16():
    layers, cin, size = [], 3, 224
    for cout, reps in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(reps):
            layers += [same_conv(cin, cout, 3, 1, size), nn.ReLU()]
            cin = cout
        layers.append(nn.MaxPool2d(2))
        size //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Linear(4096, 4096),
                         nn.ReLU(), nn.Linear(4096, 1000), Softmax()), (3, 224, 224)


MODELS = [("M1", m1, (1, 64, 1024)), ("M2", m2, (1, 64, 1024)), ("M6", m6, (1, 64, 256)),
          ("M8", m8, (1, 64, 1024)), ("M10", m10, (1, 64, 1024)), ("VGG16", vgg16, (1, 16))]


def time_us(fn):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(REPEATS):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1000.0)
    times.sort()
    return times[0], times[len(times) // 2]


def run(name, make, batch, tf32, channels_last, graph):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    model, shape = make()
    model = model.cuda().eval()
    x = torch.rand((batch,) + shape, device="cuda") * 2 - 1
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        torch.cuda.synchronize()
        if graph:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    model(x)
            torch.cuda.current_stream().wait_stream(side)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                model(x)
            best, median = time_us(g.replay)
        else:
            best, median = time_us(lambda: model(x))
    mode = ("tf32" if tf32 else "fp32") + ("_graph" if graph else "_eager") + ("_cl" if channels_last else "_nchw")
    print(f"torch\t{name}\t{batch}\t{mode}\t{best:.1f}\t{median:.1f}\t{batch / (best * 1e-6):.0f}", flush=True)


def main():
    if not torch.cuda.is_available():
        print("SKIPPED: no CUDA device for PyTorch")
        return 77
    torch.backends.cudnn.benchmark = True
    print(f"# torch\t{torch.__version__}\tcuDNN {torch.backends.cudnn.version()}\t{torch.cuda.get_device_name(0)}")
    for name, make, batches in MODELS:
        for batch in batches:
            for tf32, cl, graph in ((False, False, False), (False, True, False), (False, False, True),
                                    (False, True, True), (True, True, False), (True, True, True)):
                try:
                    run(name, make, batch, tf32, cl, graph)
                except RuntimeError as e:  # a mode PyTorch cannot run here (e.g. out of memory)
                    print(f"# torch {name} batch {batch} tf32={tf32} cl={cl} graph={graph} failed: {e}", flush=True)
                torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
