// The library API of accelnas::mpi under mpirun: a search whose evaluator is wrapped in
// dist::distributed gives, candidate for candidate, the evaluations of the same search evaluated in
// one process -- including candidates that fail on a worker (an exception, std::bad_alloc, ok =
// false, a NaN accuracy), which come back failed with the same message. Run with mpirun -np 3 (two
// workers, two threads each); exits 0 and prints PASS on rank 0 when everything matched.
#include <accelnas/dist/mpi.hpp>
#include <accelnas/search.hpp>
#include <accelnas/space/registry.hpp>

#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <thread>

using namespace accelnas;

int main(int argc, char** argv) {
    dist::mpi_session mpi(argc, argv);
    const auto& sp = space::find_space("edgetpu");
    // A cheap deterministic evaluator of (arch, step); some steps fail in each way a training can.
    auto evaluate = [&](const space::architecture& a, std::size_t step) {
        // uneven durations, so workers finish out of step order
        std::this_thread::sleep_for(std::chrono::milliseconds(2 + 7 * static_cast<int>((step * 5) % 3)));
        if (step % 7 == 3) throw std::runtime_error("training diverged at step " + std::to_string(step));
        if (step == 12) throw std::bad_alloc();
        search::evaluation e;
        if (step == 9) {
            e.ok = false;
            e.failure = "NaN loss";
            return e;
        }
        double sum = 0;
        for (std::size_t i = 0; i < a.choices.size(); ++i) sum += static_cast<double>((i + 1) * static_cast<std::size_t>(a.choices[i]));
        e.accuracy = step == 15 ? std::numeric_limits<double>::quiet_NaN() : 0.5 + 0.4 * std::sin(sum);
        e.latency = {1e-3 * (1.0 + 0.01 * sum), 2e-3 + 1e-5 * sum};
        e.param_bytes = 1000.0 + sum;
        return e;
    };
    dist::distributed d(mpi, evaluate, 2);
    dist::agree(mpi, "mpi_evaluator test");
    if (!mpi.root()) {
        d.serve();
        return 0;
    }
    const search::tunas_absolute reward{{1.5e-3, 2.5e-3}, -0.10};
    const search::search_options opt{.budget = 24, .batch = 4};
    const search::decision_layout layout{sp.cardinalities};

    search::reinforce<> local_ctrl(layout, {.adam = {.learning_rate = 0.2}});
    rng g1(7);
    const auto expected = search::run_search(local_ctrl, g1, opt, evaluate, reward);

    search::reinforce<> ctrl(layout, {.adam = {.learning_rate = 0.2}});
    rng g2(7);
    thread_pool pool(d.slots());
    const auto got = search::run_search(ctrl, g2, opt, d, reward, &pool);
    d.stop();

    int bad = 0;
    auto check = [&](bool ok, std::size_t step, const char* what) {
        if (!ok) {
            std::cerr << "FAIL: step " << step << ": " << what << " differs\n";
            ++bad;
        }
    };
    if (expected.size() != got.size()) {
        std::cerr << "FAIL: " << got.size() << " evaluations, expected " << expected.size() << "\n";
        return 1;
    }
    std::size_t failed = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto &x = expected[i], &y = got[i];
        check(x.step == y.step && y.step == i, i, "step");
        check(x.arch == y.arch, i, "architecture");
        check(x.ok == y.ok, i, "ok");
        check(x.failure == y.failure, i, "failure text");
        check(x.accuracy == y.accuracy && x.latency == y.latency && x.param_bytes == y.param_bytes, i, "result");
        check(x.reward == y.reward, i, "reward");
        failed += !y.ok;
    }
    // steps 3, 10, 17 throw, 12 runs out of memory, 9 returns ok = false, 15 has a NaN accuracy
    if (failed != 6) {
        std::cerr << "FAIL: " << failed << " failed candidates, expected 6\n";
        ++bad;
    }
    if (got[12].failure != "out of memory" || got[3].failure != "training diverged at step 3" ||
        got[15].failure.find("accuracy is not finite") == std::string::npos) {
        std::cerr << "FAIL: failure texts: '" << got[12].failure << "', '" << got[3].failure << "', '" << got[15].failure << "'\n";
        ++bad;
    }
    const auto t = d.sent();
    if (t.candidates != opt.budget) {
        std::cerr << "FAIL: " << t.candidates << " candidates went to workers, expected " << opt.budget << "\n";
        ++bad;
    }
    if (bad) return 1;
    std::cout << "PASS: " << got.size() << " candidates (" << failed << " failed) over " << mpi.workers()
              << " workers equal the single-process search; " << (t.task_bytes + t.result_bytes) / t.candidates
              << " bytes per candidate\n";
    return 0;
}
