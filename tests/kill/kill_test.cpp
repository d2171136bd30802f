// Crash-safe checkpoints, proven by killing (docs/reliability.md). The driver starts this same
// program as a child that trains, and sends it SIGKILL at a random moment, many times. After each
// kill it checks what a user who restarts would find:
//
//  - the checkpoint (model_checkpoint, through save_npz) either does not exist yet or loads, and
//    holds exactly the weights of some epoch of an uninterrupted run;
//  - the backup (backup_and_restore, through save_training_state) either does not exist yet or
//    loads, and holds exactly the weights of the epoch it names;
//  - restarting the same program resumes from that backup and ends with the same weights, bit for
//    bit, as the uninterrupted run, and deletes the backup.
//
// A second child rewrites one file with save_npz in a loop, alternating two weight sets; after each
// kill the file must load and hold one of the two. Kills that land while a file is being written
// leave a hidden temporary file (".<name>.tmp-<hex>") beside the target; the driver counts them, so
// the run shows that kills did land mid-write, and fails if none did.
//
//   typenet_kill_test [--kills N] [--savez-kills N] [--seed S] [--dir D]
//
// The suite runs it short (ctest -L kill); scripts/kill_loop.sh runs it long.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <typenet/typenet.hpp>

extern char** environ;

namespace tn = typenet;
namespace fs = std::filesystem;

namespace {

// About 300,000 parameters: each checkpoint is 1.2 MB and each backup 3.6 MB (Adam's two moments),
// while an epoch of 2 small batches computes in about a millisecond. Writing dominates the run,
// so random kills often land in a write.
using net = tn::sequential<tn::input<64>, tn::dense<512, tn::relu>, tn::dense<512, tn::relu>, tn::dense<10, tn::softmax>>;
using model_t = tn::model<net>;
constexpr int epochs = 12;
constexpr tn::index_t samples = 32;

struct data {
    tn::batch<float, tn::shape<64>> x{samples};
    std::vector<std::int32_t> y = std::vector<std::int32_t>(samples);
    data() {
        std::mt19937 g(3);
        std::normal_distribution<float> nd;
        for (auto& v : x) v = nd(g);
        for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::int32_t(g() % 10);
    }
};

void compile(model_t& m) { m.compile(tn::adam{1e-3}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy); }

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "kill_test: FAILED: %s\n", what.c_str());
    std::exit(1);
}

// ---- children ----------------------------------------------------------------------------------

// Trains `epochs` epochs with a checkpoint and a backup in `dir`, resuming from the backup if one
// is there; writes the final weights and the epoch it resumed after (-1: from scratch).
int child_fit(const fs::path& dir) {
    const data d;
    model_t m(7);
    compile(m);
    tn::model_checkpoint ckpt({.path = dir / "ckpt.npz", .monitor = "loss"});
    tn::backup_and_restore backup({.path = dir / "state.npz"});
    const tn::history h = m.fit(d.x, d.y, {.epochs = epochs, .batch_size = 16, .callbacks = {&ckpt, &backup},
                                           .verbose = 0, .seed = 11});
    if (!h.error().ok()) {
        std::fprintf(stderr, "%s\n", h.error().message().c_str());
        return 1;
    }
    if (!m.save_npz(dir / "final.npz").ok()) return 1;
    std::ofstream(dir / "restored.txt") << backup.restored_epoch() << "\n";
    return 0;
}

// The uninterrupted run, with the weights of every epoch kept ("ref-<epoch>.npz").
int child_reference(const fs::path& dir) {
    const data d;
    model_t m(7);
    compile(m);
    tn::model_checkpoint ckpt({.path = dir / "ref-{epoch}.npz", .monitor = "loss"});
    const tn::history h = m.fit(d.x, d.y, {.epochs = epochs, .batch_size = 16, .callbacks = {&ckpt},
                                           .verbose = 0, .seed = 11});
    return h.error().ok() && ckpt.saves() == epochs && m.save_npz(dir / "final.npz").ok() ? 0 : 1;
}

// Rewrites w.npz with model A's and model B's weights in turn until killed.
int child_savez(const fs::path& dir) {
    const model_t a(1), b(2);
    for (long i = 0; i < 1'000'000; ++i)
        if (!(i % 2 ? b : a).save_npz(dir / "w.npz").ok()) return 1;
    return 0;
}

// ---- driver ------------------------------------------------------------------------------------

pid_t spawn(const std::string& self, const std::string& role, const fs::path& dir) {
    std::vector<std::string> args = {self, "--child", role, dir.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, self.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) fail("cannot start " + self);
    return pid;
}

// Waits for the child; true if it exited with status 0.
bool reap(pid_t pid, bool* killed = nullptr) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) fail("waitpid");
    if (killed) *killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

std::vector<float> params(const model_t& m) { return {m.parameters().begin(), m.parameters().end()}; }

std::vector<float> load_weights(const fs::path& p) {
    model_t m(0);
    if (tn::status s = m.load_npz(p); !s) fail("the file does not load: " + s.message());
    return params(m);
}

// Hidden temporary files a killed write left in `dir` for `target` (".ckpt.npz.tmp-...").
int leftovers(const fs::path& dir, const std::string& target) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind("." + target + ".tmp-", 0) == 0) ++n;
    return n;
}

void clear(const fs::path& dir) {
    fs::remove_all(dir);
    fs::create_directories(dir);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void sleep_for(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == "--child") {
        const std::string role = argv[2];
        const fs::path dir = argv[3];
        if (role == "fit") return child_fit(dir);
        if (role == "reference") return child_reference(dir);
        if (role == "savez") return child_savez(dir);
        return 2;
    }
    int kills = 20, savez_kills = 20;
    unsigned seed = unsigned(std::random_device{}());
    fs::path base = fs::temp_directory_path() / ("typenet_kill_" + std::to_string(getpid()));
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--kills") kills = std::atoi(argv[i + 1]);
        else if (k == "--savez-kills") savez_kills = std::atoi(argv[i + 1]);
        else if (k == "--seed") seed = unsigned(std::strtoul(argv[i + 1], nullptr, 10));
        else if (k == "--dir") base = argv[i + 1];
        else fail("unknown option " + k);
    }
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    std::printf("kill_test: seed %u (rerun with --seed %u)\n", seed, seed);
    std::mt19937 rng(seed);

    // The uninterrupted run: every epoch's weights.
    const fs::path ref = base / "reference";
    clear(ref);
    if (!reap(spawn(self, "reference", ref))) fail("the reference run failed");
    std::vector<std::vector<float>> epoch_weights(epochs + 1);
    for (int e = 1; e <= epochs; ++e) epoch_weights[std::size_t(e)] = load_weights(ref / ("ref-" + std::to_string(e) + ".npz"));
    const std::vector<float> final_weights = load_weights(ref / "final.npz");
    if (final_weights != epoch_weights[epochs]) fail("the reference's final weights are not its last checkpoint");
    auto epoch_of = [&](const std::vector<float>& w) {
        for (int e = 1; e <= epochs; ++e)
            if (w == epoch_weights[std::size_t(e)]) return e;
        return 0;
    };

    // One run with the checkpoint and the backup, not killed: its length sets the kill window, and
    // it must end exactly where the reference did.
    // The shortest of three such runs (the first is slowed by a cold cache).
    const fs::path dir = base / "fit";
    double fit_seconds = 1e30;
    for (int r = 0; r < 3; ++r) {
        clear(dir);
        const auto t0 = std::chrono::steady_clock::now();
        if (!reap(spawn(self, "fit", dir))) fail("the uninterrupted fit run failed");
        fit_seconds = std::min(fit_seconds, seconds_since(t0));
        if (load_weights(dir / "final.npz") != final_weights) fail("an uninterrupted run with the backup differs from the reference");
        if (fs::exists(dir / "state.npz")) fail("the backup was not deleted at the end of training");
    }

    // Kill, inspect, resume.
    int landed_ckpt = 0, landed_state = 0, finished = 0, resumed_from_scratch = 0;
    std::uniform_real_distribution<double> when(0.0, fit_seconds);
    for (int k = 0; k < kills; ++k) {
        clear(dir);
        const pid_t pid = spawn(self, "fit", dir);
        sleep_for(when(rng));
        kill(pid, SIGKILL);
        bool killed = false;
        reap(pid, &killed);
        if (!killed) ++finished;
        landed_ckpt += leftovers(dir, "ckpt.npz");
        landed_state += leftovers(dir, "state.npz");
        int ckpt_epoch = 0, state_epoch = 0;
        if (fs::exists(dir / "ckpt.npz")) {
            ckpt_epoch = epoch_of(load_weights(dir / "ckpt.npz"));
            if (ckpt_epoch == 0) fail("kill " + std::to_string(k) + ": the checkpoint holds weights of no epoch");
        }
        if (fs::exists(dir / "state.npz")) {
            model_t m(0);
            compile(m);
            if (tn::status s = m.load_training_state(dir / "state.npz"); !s)
                fail("kill " + std::to_string(k) + ": the backup does not load: " + s.message());
            state_epoch = m.epoch();
            if (state_epoch < 1 || epoch_of(params(m)) != state_epoch)
                fail("kill " + std::to_string(k) + ": the backup's weights are not those of its epoch " +
                     std::to_string(state_epoch));
            // The checkpoint is written first, so it is never behind the backup.
            if (ckpt_epoch < state_epoch) fail("kill " + std::to_string(k) + ": checkpoint behind the backup");
        }
        if (!killed) continue;
        if (!reap(spawn(self, "fit", dir))) fail("kill " + std::to_string(k) + ": the resumed run failed");
        int restored = -2;
        std::ifstream(dir / "restored.txt") >> restored;
        if (restored != (state_epoch ? state_epoch : -1))
            fail("kill " + std::to_string(k) + ": resumed after epoch " + std::to_string(restored) + ", the backup held " +
                 std::to_string(state_epoch));
        if (restored < 0) ++resumed_from_scratch;
        if (load_weights(dir / "final.npz") != final_weights)
            fail("kill " + std::to_string(k) + ": resuming after epoch " + std::to_string(state_epoch) +
                 " ended with other weights than the uninterrupted run");
        if (fs::exists(dir / "state.npz")) fail("kill " + std::to_string(k) + ": the backup was not deleted after resuming");
    }
    std::printf("fit: %d kills (uninterrupted run %.3f s; %d finished first, %d before the first backup); "
                "%d during a checkpoint write, %d during a backup write; every file loaded, every resume "
                "matched the uninterrupted run\n",
                kills, fit_seconds, finished, resumed_from_scratch, landed_ckpt, landed_state);

    // save_npz alone, rewriting one file.
    const fs::path sdir = base / "savez";
    const std::vector<float> wa = params(model_t(1)), wb = params(model_t(2));
    int landed = 0, present = 0;
    std::uniform_real_distribution<double> soon(0.0, std::max(0.05, fit_seconds / 2));
    for (int k = 0; k < savez_kills; ++k) {
        clear(sdir);
        const pid_t pid = spawn(self, "savez", sdir);
        sleep_for(soon(rng));
        kill(pid, SIGKILL);
        reap(pid);
        landed += leftovers(sdir, "w.npz");
        if (!fs::exists(sdir / "w.npz")) continue;
        ++present;
        const std::vector<float> w = load_weights(sdir / "w.npz");
        if (w != wa && w != wb) fail("save_npz kill " + std::to_string(k) + ": the file holds neither weight set");
    }
    std::printf("save_npz: %d kills, %d during a write, %d files present, each loaded and whole\n", savez_kills, landed, present);

    fs::remove_all(base);
    if (kills >= 10 && landed_ckpt + landed_state == 0) fail("no kill landed during a checkpoint or backup write");
    if (savez_kills >= 10 && landed == 0) fail("no kill landed during a save_npz write");
    return 0;
}
