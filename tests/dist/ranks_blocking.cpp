// A distributed search whose ranks would block their trainings by different L1 sizes (on one thread
// only L1 orders a product's sums, so which rank trains a candidate would change its accuracy): rank 0
// warns once, naming every rank's L1 and the option that pins them, and the journal's context records
// each rank's sizes. Pinned with --gemm-cache-sizes (proxy_options::gemm_caches), the same ranks give no
// warning and no record. A resume warns too, but cannot pin (its journal fixes the sizes) and keeps the
// record of its creation; a rank 0 that alone differs is told apart from workers that differ. One
// rank's L1 is made to differ in-process (Eigen's setting, as another CPU would report it), which a
// command line cannot do. Run with mpirun -np 3; prints PASS on rank 0.
// usage: test_dist_ranks_blocking <scratch dir>
#include <accelnas/dist/search_run.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

using namespace accelnas;

namespace {

app::search_run::settings tiny_search(const std::string& out) {
    app::search_run::settings s;
    s.space = "edgetpu";
    s.targets = {"coral-usb"};
    s.budget = 2;
    s.threads = 1;
    s.seed = 3;
    s.baselines = false;
    s.proxy.train_images = 64;
    s.proxy.test_images = 64;
    s.proxy.epochs = 1;
    s.out = out;
    return s;
}

nlohmann::json journal_context(const std::string& dir) {
    std::ifstream f(dir + "/journal");
    std::string head;
    std::getline(f, head);
    const auto h = nlohmann::json::parse(head, nullptr, false);
    return h.is_object() && h.contains("context") ? h.at("context") : nlohmann::json::object();
}

}  // namespace

int main(int argc, char** argv) {
    dist::mpi_session mpi(argc, argv);
    if (argc != 2 || mpi.size() != 3) {
        std::cerr << "usage: mpirun -np 3 test_dist_ranks_blocking <scratch dir>\n";
        return 2;
    }
    const std::string work = argv[1];
    const auto own = train::current_gemm_cache_sizes();
    // the odd rank "runs on another CPU": an L1 of 16 KiB (32 KiB if this CPU's is 16 KiB)
    const train::gemm_cache_sizes other{own.l1 == 16384 ? 32768 : 16384, own.l2, own.l3};
    const auto sizes_text = [](const train::gemm_cache_sizes& c) {
        return std::to_string(c.l1) + "," + std::to_string(c.l2) + "," + std::to_string(c.l3);
    };

    int failures = 0;
    auto check = [&](bool ok, const std::string& what) {
        if (!ok) {
            std::cerr << "FAIL: " << what << "\n";
            ++failures;
        }
    };
    const std::string warning = "warning: the ranks block their trainings by different L1 sizes";
    struct phase {
        const char* name;
        int odd_rank;  // the rank on "another CPU"
        bool pinned, resume;
        const char* dir;
    };
    for (const phase p : {phase{"a worker differs", 2, false, false, "worker"}, phase{"its resume", 2, false, true, "worker"},
                          phase{"rank 0 differs", 0, false, false, "root"}, phase{"pinned", 2, true, false, "pinned"}}) {
        const std::string dir = work + "/" + p.dir;
        if (mpi.root() && !p.resume) std::filesystem::remove_all(dir);
        std::optional<train::scoped_gemm_cache_sizes> as_other;
        if (mpi.rank() == p.odd_rank) as_other.emplace(other);
        auto s = tiny_search(dir);
        s.resume = p.resume;
        if (p.pinned) s.proxy.gemm_caches = {32768, 1048576, 33554432};
        std::ostringstream out, log;
        const bool ok = dist::run_search(mpi, s, out, log, false);
        check(ok, std::string(p.name) + ": rank " + std::to_string(mpi.rank()) + "'s search failed:\n" + log.str());
        if (!mpi.root() || !ok) continue;
        const auto text = log.str();
        const auto at = text.find(warning);
        const auto ctx = journal_context(dir);
        const auto what = std::string(p.name) + ": ";
        if (p.pinned) {
            check(at == std::string::npos, what + "a warning although the sizes are pinned:\n" + text);
            check(!ctx.contains("gemm_cache_sizes_by_rank"), what + "a per-rank record although the sizes are pinned: " + ctx.dump());
            check(ctx.contains("gemm_cache_sizes") && ctx["gemm_cache_sizes"][0] == 32768,
                  what + "the journal's context does not hold the pinned sizes: " + ctx.dump());
            continue;
        }
        check(at != std::string::npos, what + "no warning about the ranks' L1 sizes in:\n" + text);
        check(at == std::string::npos || text.find(warning, at + 1) == std::string::npos, what + "the warning is printed more than once");
        for (int r = 0; r < 3; ++r) {
            const std::string named = "rank " + std::to_string(r) + " on " + mpi.host() + ": " +
                                      std::to_string(r == p.odd_rank ? other.l1 : own.l1) + " bytes";
            check(text.find(named) != std::string::npos, what + "the warning does not say '" + named + "':\n" + text);
        }
        // the first worker's sizes, as the option that pins them
        check(text.find("--gemm-cache-sizes " + sizes_text(p.odd_rank == 1 ? other : own)) != std::string::npos,
              what + "the warning does not give rank 1's sizes as the option to pin:\n" + text);
        const bool workers = p.odd_rank != 0;
        check(text.find(workers ? "depends on the worker that trains it" : "rank 0 retrains the chosen architectures") != std::string::npos,
              what + "the warning does not say what differs:\n" + text);
        check(text.find(p.resume ? "when you start a new search" : "the journal's context records each rank's") != std::string::npos,
              what + "the warning does not say what the journal keeps:\n" + text);
        // recorded when the journal was created (a resume keeps that record)
        const auto& rec = ctx.contains("gemm_cache_sizes_by_rank") ? ctx["gemm_cache_sizes_by_rank"] : nlohmann::json::array();
        check(rec.size() == 3 && rec[0]["host"] == mpi.host() && rec[std::size_t(p.odd_rank)]["gemm_cache_sizes"][0] == other.l1 &&
                  rec[std::size_t(p.odd_rank == 1 ? 2 : 1)]["gemm_cache_sizes"][0] == own.l1,
              what + "the journal's context does not record each rank's sizes: " + ctx.dump());
    }
    // the pins were scopes: every rank is back at the CPU's own sizes
    check(train::current_gemm_cache_sizes().l1 == own.l1, "a pin outlived its search");
    if (mpi.root() && failures == 0)
        std::cout << "PASS: the ranks' different L1 sizes are warned about and recorded (new search, resume, rank 0 alone); "
                     "pinned, neither\n";
    return failures == 0 ? 0 : 1;
}
