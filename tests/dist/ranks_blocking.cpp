// A distributed search whose ranks would block their trainings by different L1 sizes (on one thread
// only L1 orders a product's sums, so which rank trains a candidate would change its accuracy): rank 0
// warns once, naming every rank's L1 and the option that pins them, and the journal's context records
// each rank's sizes. Pinned with --gemm-cache-sizes (proxy_options::gemm_caches), the same ranks give no
// warning and no record. The last rank's L1 is made to differ in-process (Eigen's setting, as another
// CPU would report), which a command line cannot do. Run with mpirun -np 3; prints PASS on rank 0.
// usage: test_dist_ranks_blocking <scratch dir>
#include <accelnas/dist/search_run.hpp>

#include <filesystem>
#include <optional>
#include <fstream>
#include <iostream>
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
    const auto h = nlohmann::json::parse(head);
    return h.contains("context") ? h.at("context") : nlohmann::json::object();
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
    // the last rank "runs on another CPU": an L1 of 16 KiB (32 KiB if this CPU's is 16 KiB)
    const train::gemm_cache_sizes other{own.l1 == 16384 ? 32768 : 16384, own.l2, own.l3};
    std::optional<train::scoped_gemm_cache_sizes> as_other;
    if (mpi.rank() == 2) as_other.emplace(other);

    int failures = 0;
    auto check = [&](bool ok, const std::string& what) {
        if (!ok) {
            std::cerr << "FAIL: " << what << "\n";
            ++failures;
        }
    };
    const std::string warning = "warning: the ranks block their trainings by different L1 sizes";
    for (const bool pinned : {false, true}) {
        const std::string dir = work + (pinned ? "/pinned" : "/unpinned");
        if (mpi.root()) std::filesystem::remove_all(dir);
        auto s = tiny_search(dir);
        if (pinned) s.proxy.gemm_caches = {32768, 1048576, 33554432};
        std::ostringstream out, log;
        const bool ok = dist::run_search(mpi, s, out, log, false);
        if (!mpi.root()) continue;
        check(ok, std::string(pinned ? "pinned" : "unpinned") + " search failed:\n" + log.str());
        const auto text = log.str();
        const auto ctx = journal_context(dir);
        if (!pinned) {
            const auto at = text.find(warning);
            check(at != std::string::npos, "no warning about the ranks' L1 sizes in:\n" + text);
            check(at == std::string::npos || text.find(warning, at + 1) == std::string::npos, "the warning is printed more than once");
            const std::string rank2 = "rank 2 on " + mpi.host() + ": " + std::to_string(other.l1) + " bytes";
            const std::string rank0 = "rank 0 on " + mpi.host() + ": " + std::to_string(own.l1) + " bytes";
            check(text.find(rank2) != std::string::npos && text.find(rank0) != std::string::npos,
                  "the warning does not name rank 0's and rank 2's L1 (" + rank0 + "; " + rank2 + "):\n" + text);
            check(text.find("--gemm-cache-sizes " + std::to_string(own.l1) + "," + std::to_string(own.l2) + "," +
                            std::to_string(own.l3)) != std::string::npos,
                  "the warning does not give rank 0's sizes as the option to pin:\n" + text);
            check(ctx.contains("gemm_cache_sizes_by_rank") && ctx["gemm_cache_sizes_by_rank"].size() == 3 &&
                      ctx["gemm_cache_sizes_by_rank"][2]["gemm_cache_sizes"][0] == other.l1 &&
                      ctx["gemm_cache_sizes_by_rank"][1]["gemm_cache_sizes"][0] == own.l1 &&
                      ctx["gemm_cache_sizes_by_rank"][0]["host"] == mpi.host(),
                  "the journal's context does not record each rank's sizes: " + ctx.dump());
        } else {
            check(text.find(warning) == std::string::npos, "a warning although the sizes are pinned:\n" + text);
            check(!ctx.contains("gemm_cache_sizes_by_rank"), "a per-rank record although the sizes are pinned: " + ctx.dump());
            check(ctx.contains("gemm_cache_sizes") && ctx["gemm_cache_sizes"][0] == 32768,
                  "the journal's context does not hold the pinned sizes: " + ctx.dump());
        }
    }
    // the pins were scopes: the last rank is back at its own "other" L1, every other rank at the CPU's
    check(train::current_gemm_cache_sizes().l1 == (mpi.rank() == 2 ? other.l1 : own.l1), "a pin outlived its search");
    if (mpi.root() && failures == 0) std::cout << "PASS: the ranks' different L1 sizes are warned about and recorded; pinned, neither\n";
    return failures == 0 ? 0 : 1;
}
