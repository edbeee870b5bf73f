// bench/mem-probe: the memory a worker's sessions live in, measured in the
// same run as the benchmark that needs it. A worker ticking thousands of
// sessions touches a few cache lines of each one every millisecond; once
// they outgrow the cache, each line costs what this machine's memory does.
// Two figures, one JSON line:
//   dependent_miss_ns  a random pointer chase through `--mb` MiB: one miss
//                      at a time (the latency of a line that is not cached);
//   random_line_ns     independent random lines, 16 in flight ahead by
//                      software prefetch (the most lines a second one core
//                      can fetch: latency divided by what overlaps).
// The cache-resident figure (a chase through 256 KiB) is printed beside
// them, so that a run shows where the cache ends.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

struct alignas(64) Line {
    Line* next;
    uint64_t pad[7];
};

double now_ns()
{
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One random cycle through all lines of a region of `bytes`.
std::vector<Line> random_cycle(std::size_t bytes, std::mt19937_64& rng)
{
    std::vector<Line> lines(bytes / sizeof(Line));
    std::vector<std::size_t> order(lines.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i = 0; i < order.size(); ++i) {
        lines[order[i]].next = &lines[order[(i + 1) % order.size()]];
    }
    return lines;
}

double chase_ns(const std::vector<Line>& lines, std::size_t steps)
{
    const Line* p = &lines[0];
    double t0 = now_ns();
    for (std::size_t i = 0; i < steps; ++i) {
        p = p->next;
    }
    double t = now_ns() - t0;
    // The pointer is used, so the loop is not optimised away.
    if (p == nullptr) {
        std::puts("");
    }
    return t / static_cast<double>(steps);
}

double independent_ns(const std::vector<Line>& lines, std::size_t steps, std::mt19937_64& rng)
{
    std::vector<uint32_t> idx(steps);
    for (auto& i : idx) {
        i = static_cast<uint32_t>(rng() % lines.size());
    }
    constexpr std::size_t ahead = 16;
    uintptr_t sum = 0;
    double t0 = now_ns();
    for (std::size_t i = 0; i < steps; ++i) {
        if (i + ahead < steps) {
            __builtin_prefetch(&lines[idx[i + ahead]]);
        }
        sum += reinterpret_cast<uintptr_t>(lines[idx[i]].next);
    }
    double t = now_ns() - t0;
    if (sum == 1) {
        std::puts("");
    }
    return t / static_cast<double>(steps);
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Memory latency and random-line rate of this machine"};
    std::size_t mb = 64;
    app.add_option("--mb", mb, "working set in MiB (beyond the caches)")->check(CLI::Range(8, 4096));
    CLI11_PARSE(app, argc, argv);

    std::mt19937_64 rng(20261123);
    std::vector<Line> small = random_cycle(256 * 1024, rng);
    std::vector<Line> big = random_cycle(mb << 20, rng);
    chase_ns(big, 1'000'000);  // warm: every page mapped
    double cached = chase_ns(small, 4'000'000);
    double dependent = chase_ns(big, 4'000'000);
    double independent = independent_ns(big, 4'000'000, rng);
    std::printf("{\"tool\":\"mem-probe\",\"working_set_mb\":%zu,\"cached_256k_ns\":%.1f,\"dependent_miss_ns\":%.1f,"
                "\"random_line_ns\":%.1f}\n",
                mb, cached, dependent, independent);
    return 0;
}
