// Driver pieces (issue 6 item 3): Pareto archive, journal + resume, parallel evaluation, results,
// progress.
#include <accelnas/search.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <unistd.h>

using namespace accelnas;
using namespace accelnas::search;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

evaluation point(double acc, std::vector<double> lat, std::size_t step = 0) {
    evaluation e;
    e.accuracy = acc;
    e.latency = std::move(lat);
    e.step = step;
    return e;
}

fs::path fresh_dir(const std::string& name) {
    const fs::path d = fs::path(ACCELNAS_BINARY_DIR) / "search-test-tmp" / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::vector<std::string> read_lines(const fs::path& p) {
    std::ifstream f(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
}

void write_text(const fs::path& p, const std::string& s) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << s;
}

/// A deterministic evaluator: accuracy grows with the choices, latency with their weighted sum;
/// the architecture with all zeros "fails to train".
struct toy_evaluator {
    std::atomic<int>* calls = nullptr;
    evaluation operator()(const space::architecture& a, std::size_t) const {
        if (calls) ++*calls;
        double s = 0, w = 0;
        for (std::size_t d = 0; d < a.choices.size(); ++d) {
            s += a.choices[d];
            w += (1.0 + static_cast<double>(d % 3)) * a.choices[d];
        }
        if (s == 0) throw std::runtime_error("training diverged (NaN loss)");
        evaluation e;
        e.accuracy = 0.5 + 0.02 * s - 0.0005 * s * s;
        e.latency = {1e-3 * (1.0 + w)};
        e.param_bytes = 1000 * s;
        return e;
    }
};

const decision_layout toy_layout{{3, 2, 4, 3, 2, 3, 4, 2}};

journal_header toy_header(int seed = 1) { return {"toy", toy_layout, {{"seed", seed}, {"controller", "reinforce"}}}; }

}  // namespace

TEST_CASE("Pareto dominance and archive", "[search]") {
    CHECK(dominates(point(0.8, {1.0}), point(0.7, {1.0})));
    CHECK(dominates(point(0.8, {1.0}), point(0.8, {2.0})));
    CHECK_FALSE(dominates(point(0.8, {1.0}), point(0.8, {1.0})));
    CHECK_FALSE(dominates(point(0.9, {2.0}), point(0.8, {1.0})));
    CHECK_FALSE(dominates(point(0.9, {1.0, 3.0}), point(0.8, {2.0, 1.0})));  // worse on the second target
    pareto_archive p;
    CHECK(p.insert(point(0.7, {2.0}, 0)));
    CHECK(p.insert(point(0.8, {3.0}, 1)));
    CHECK_FALSE(p.insert(point(0.6, {2.5}, 2)));
    CHECK_FALSE(p.insert(point(0.7, {2.0}, 3)));  // identical objectives: the first stays
    CHECK(p.insert(point(0.9, {1.5}, 4)));        // dominates both
    REQUIRE(p.size() == 1);
    CHECK(p.front()[0].step == 4);
    auto failed = point(1.0, {0.1}, 5);
    failed.ok = false;
    CHECK_FALSE(p.insert(failed));
    CHECK(p.insert(point(0.5, {1.0}, 6)));
    const auto f = p.front();
    REQUIRE(f.size() == 2);
    CHECK(f[0].step == 6);
    CHECK(f[1].step == 4);
    CHECK_THROWS_WITH(p.insert(point(0.5, {1.0, 2.0}, 7)), Contains("2 latencies, the archive holds 1"));
}

TEST_CASE("journal: create, append, reopen", "[search]") {
    const auto dir = fresh_dir("journal-basic");
    const auto path = (dir / "journal").string();
    {
        auto j = journal::create(path, toy_header());
        j.append(point(0.5, {1e-3}, 0));
        auto e = point(0.6, {2e-3}, 1);
        e.arch.choices = {2, 1, 3, 2, 1, 2, 3, 1};
        e.ok = false;
        e.failure = "out of memory";
        j.append(e);
        CHECK_THROWS_WITH(journal::create(path, toy_header()), Contains("already exists"));
    }
    auto lines = read_lines(path);
    REQUIRE(lines.size() == 3);
    CHECK_THAT(lines[0], Contains("accelnas.search.journal"));
    // a record's arch must fit the layout: fix the first record (written with an empty arch)
    {
        auto rec = nlohmann::json::parse(lines[1]);
        rec["arch"] = std::vector<int>(8, 0);
        lines[1] = rec.dump();
        write_text(path, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
    }
    auto j = journal::open(path, toy_header());
    REQUIRE(j.records().size() == 2);
    CHECK_FALSE(j.recovered_tail());
    CHECK(j.records()[1].failure == "out of memory");
    CHECK_FALSE(j.records()[1].ok);
    CHECK(j.records()[1].arch.choices[2] == 3);
}

TEST_CASE("journal: the header's context is kept for the record and not compared on opening", "[search]") {
    const auto dir = fresh_dir("journal-context");
    const auto path = (dir / "journal").string();
    auto h = toy_header();
    h.context = {{"gemm_cache_sizes", {32768, 1048576, 33554432}}};
    {
        auto j = journal::create(path, h);
        CHECK(j.written_context() == h.context);
    }
    CHECK(nlohmann::json::parse(read_lines(path)[0])["context"] == h.context);
    // opened by a search on another machine: its own context differs, the journal still opens
    auto other = toy_header();
    other.context = {{"gemm_cache_sizes", {49152, 2097152, 503316480}}};
    const auto j = journal::open(path, other);
    CHECK(j.written_context() == h.context);
    CHECK(j.header().context == other.context);
    // a journal written without a context (before it existed) opens with an empty one
    const auto old_path = (dir / "old").string();
    { (void)journal::create(old_path, toy_header()); }
    CHECK_FALSE(nlohmann::json::parse(read_lines(old_path)[0]).contains("context"));
    CHECK(journal::open(old_path, other).written_context().empty());
}

TEST_CASE("journal: a differing object option is named by its member", "[search]") {
    const auto dir = fresh_dir("journal-object-config");
    const auto path = (dir / "journal").string();
    auto h = toy_header();
    h.config["proxy"] = {{"epochs", 1}, {"gemm_cache_sizes", {16384, 262144, 4194304}}};
    { (void)journal::create(path, h); }
    auto other = h;
    other.config["proxy"]["gemm_cache_sizes"] = {32768, 262144, 4194304};
    CHECK_THROWS_WITH(journal::open(path, other), Contains("was written with proxy.gemm_cache_sizes = [16384,262144,4194304], "
                                                           "this search has proxy.gemm_cache_sizes = [32768,262144,4194304]"));
    other.config["proxy"].erase("gemm_cache_sizes");
    CHECK_THROWS_WITH(journal::open(path, other), Contains("was written with proxy.gemm_cache_sizes = [16384,262144,4194304], "
                                                           "this search has proxy.gemm_cache_sizes = (absent)"));
    other.config["proxy"]["gemm_cache_sizes"] = h.config["proxy"]["gemm_cache_sizes"];
    other.config["proxy"]["epochs"] = 2;
    CHECK_THROWS_WITH(journal::open(path, other), Contains("was written with proxy.epochs = 1, this search has proxy.epochs = 2"));
    other.config["proxy"]["epochs"] = 1;
    other.config["proxy"]["batch"] = 64;
    CHECK_THROWS_WITH(journal::open(path, other), Contains("was written with proxy.batch = (absent), this search has proxy.batch = 64"));
    CHECK(journal::open(path, h).records().empty());
}

TEST_CASE("journal: a corrupt last line is recovered, earlier corruption and foreign journals are errors", "[search]") {
    const auto dir = fresh_dir("journal-corrupt");
    const auto path = (dir / "journal").string();
    {
        auto j = journal::create(path, toy_header());
        for (std::size_t i = 0; i < 3; ++i) {
            auto e = point(0.5, {1e-3}, i);
            e.arch.choices = std::vector<int>(8, 1);
            j.append(e);
        }
    }
    const auto good = read_lines(path);
    std::string text;
    for (const auto& l : good) text += l + "\n";

    SECTION("half-written last line (killed mid-write)") {
        write_text(path, text + good[3].substr(0, 25));
        auto j = journal::open(path, toy_header());
        CHECK(j.recovered_tail());
        CHECK(j.records().size() == 3);
        CHECK(fs::file_size(path) == text.size());  // truncated back to the last good line
        auto e = point(0.5, {1e-3}, 3);
        e.arch.choices = std::vector<int>(8, 0);
        j.append(e);
        CHECK(journal::open(path, toy_header()).records().size() == 4);
    }
    SECTION("last good line without its newline") {
        write_text(path, text.substr(0, text.size() - 1));
        auto j = journal::open(path, toy_header());
        CHECK(j.records().size() == 3);
        auto e = point(0.5, {1e-3}, 3);
        e.arch.choices = std::vector<int>(8, 0);
        j.append(e);
        CHECK(journal::open(path, toy_header()).records().size() == 4);
    }
    SECTION("corrupt middle line") {
        write_text(path, good[0] + "\n" + good[1] + "\n{\"step\": garbage\n" + good[3] + "\n");
        CHECK_THROWS_WITH(journal::open(path, toy_header()), Contains("line 3 is corrupt"));
    }
    SECTION("record of another layout in the middle") {
        auto rec = nlohmann::json::parse(good[2]);
        rec["arch"] = std::vector<int>{9, 9};
        write_text(path, good[0] + "\n" + rec.dump() + "\n" + good[3] + "\n");
        CHECK_THROWS_WITH(journal::open(path, toy_header()), Contains("line 2 is corrupt"));
    }
    SECTION("repeated step") {
        write_text(path, text + good[2] + "\n" + good[3] + "\n");
        CHECK_THROWS_WITH(journal::open(path, toy_header()), Contains("repeats step 1"));
    }
    SECTION("journal of another space or configuration") {
        CHECK_THROWS_WITH(journal::open(path, {"edgetpu", toy_layout, toy_header().config}),
                          Contains("is of space 'toy', this search is of space 'edgetpu'"));
        CHECK_THROWS_WITH(journal::open(path, {"toy", decision_layout{{3, 3}}, toy_header().config}), Contains("another decision layout"));
        CHECK_THROWS_WITH(journal::open(path, toy_header(2)), Contains("was written with seed = 1, this search has seed = 2"));
    }
    SECTION("not a journal") {
        write_text(path, "hello\n");
        CHECK_THROWS_WITH(journal::open(path, toy_header()), Contains("not a journal header"));
        write_text(path, "");
        CHECK_THROWS_WITH(journal::open(path, toy_header()), Contains("is empty"));
    }
}

TEST_CASE("evaluate_batch: parallel equals sequential, failures are marked and the search goes on", "[search]") {
    std::vector<space::architecture> archs;
    rng g(4);
    for (int i = 0; i < 9; ++i) archs.push_back(uniform_architecture(toy_layout, g));
    archs.push_back(space::architecture{std::vector<int>(8, 0)});  // fails (NaN)
    toy_evaluator ev;
    const auto reward = mnasnet_soft({5e-3});
    thread_pool pool(2);
    std::atomic<int> seen{0};
    const auto par = evaluate_batch(&pool, std::span<const space::architecture>(archs), 100, ev, reward,
                                    [&](const evaluation&) { ++seen; });
    const auto seq = evaluate_batch(nullptr, std::span<const space::architecture>(archs), 100, ev, reward);
    CHECK(seen == 10);
    REQUIRE(par.size() == 10);
    for (std::size_t i = 0; i < 10; ++i) {
        CHECK(par[i].step == 100 + i);
        CHECK(par[i].arch == archs[i]);
        CHECK(par[i].reward == seq[i].reward);
        CHECK(par[i].ok == (i < 9));
    }
    CHECK_THAT(par[9].failure, Contains("NaN"));
    // out of memory and non-finite results are failures too
    auto oom = [](const space::architecture&, std::size_t) -> evaluation { throw std::bad_alloc(); };
    CHECK(evaluate_batch(nullptr, std::span<const space::architecture>(archs).first(1), 0, oom, reward)[0].failure == "out of memory");
    auto nan_acc = [](const space::architecture&, std::size_t) {
        evaluation e;
        e.accuracy = std::nan("");
        e.latency = {1e-3};
        return e;
    };
    CHECK_THAT(evaluate_batch(nullptr, std::span<const space::architecture>(archs).first(1), 0, nan_acc, reward)[0].failure,
               Contains("accuracy is not finite"));
}

TEST_CASE("run_search resumes from a journal cut at any point with the same final result", "[search]") {
    const auto dir = fresh_dir("resume");
    const auto reward = mnasnet_soft({5e-3});
    const search_options opt{.budget = 40, .batch = 3};
    toy_evaluator ev;

    // uninterrupted reference run, journaled
    reinforce<> ref(toy_layout);
    rng g(17);
    const auto full_path = (dir / "full").string();
    thread_pool pool(2);
    std::vector<evaluation> full;
    {
        auto j = journal::create(full_path, toy_header());
        full = run_search(ref, g, opt, ev, reward, &pool, &j);
    }
    REQUIRE(full.size() == 40);
    const auto lines = read_lines(full_path);
    REQUIRE(lines.size() == 41);

    for (std::size_t cut : {0u, 1u, 7u, 20u, 39u}) {
        // a run killed after `cut` records (records of a round arrive in any order), with a
        // half-written line at the end
        const auto path = (dir / ("cut" + std::to_string(cut))).string();
        std::string text = lines[0] + "\n";
        for (std::size_t i = 1; i <= cut; ++i) text += lines[i] + "\n";
        text += lines[cut + 1].substr(0, lines[cut + 1].size() / 2);
        write_text(path, text);
        auto j = journal::open(path, toy_header());
        CHECK(j.recovered_tail());
        reinforce<> c(toy_layout);
        rng g2(17);
        std::atomic<int> calls{0};
        toy_evaluator counting{&calls};
        std::size_t replayed = 0;
        const auto res = run_search(c, g2, opt, counting, reward, &pool, &j, [&](const evaluation&, bool r) { replayed += r; });
        CHECK(replayed == cut);
        CHECK(calls == static_cast<int>(40 - cut));
        REQUIRE(res.size() == 40);
        for (std::size_t i = 0; i < 40; ++i) {
            CHECK(res[i].arch == full[i].arch);
            CHECK(res[i].reward == full[i].reward);
        }
        CHECK(c.to_json() == ref.to_json());
        CHECK(g2 == g);
        CHECK(read_lines(path).size() == 41);
    }

    // a journal written by another configuration is detected on replay
    {
        const auto path = (dir / "other-seed").string();
        write_text(path, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
        auto j = journal::open(path, toy_header());
        reinforce<> c(toy_layout);
        rng other(18);
        CHECK_THROWS_WITH(run_search(c, other, opt, ev, reward, &pool, &j), Contains("the resumed controller proposes"));
    }
    CHECK_THROWS_WITH(run_search(ref, g, search_options{.budget = 0}, ev, reward), Contains("budget must be at least 1"));
}

TEST_CASE("snapshot and restore of controller + rng", "[search]") {
    evolution<> a(toy_layout, {.population = 8, .sample_size = 3});
    rng g(3);
    toy_evaluator ev;
    const auto reward = mnasnet_soft({5e-3});
    run_search(a, g, {.budget = 20}, ev, reward);
    const auto snap = nlohmann::json::parse(snapshot(a, g, 20).dump());
    evolution<> b(toy_layout, {.population = 8, .sample_size = 3});
    rng h(999);
    CHECK(restore(b, h, snap) == 20);
    CHECK(h == g);
    CHECK(b.propose(h) == a.propose(g));
}

TEST_CASE("results: CSV, JSON, SVG with baselines", "[search]") {
    std::vector<evaluation> ev = {point(0.7, {2e-3}, 0), point(0.8, {3e-3}, 1), point(0.6, {2.5e-3}, 2)};
    ev[0].arch.choices = {1, 2};
    ev[2].ok = false;
    ev[2].failure = "diverged \"badly\"";
    std::ostringstream csv;
    write_csv(csv, ev, {"coral-usb"});
    const auto s = csv.str();
    CHECK_THAT(s, Contains("step,arch,ok,accuracy,latency_ms_coral-usb,param_bytes,reward,seconds,failure\n"));
    CHECK_THAT(s, Contains("0,1-2,1,0.7,2,"));
    CHECK_THAT(s, Contains("\"diverged 'badly'\""));
    CHECK(std::count(s.begin(), s.end(), '\n') == 4);
    CHECK(to_json(ev).size() == 3);
    std::ostringstream doc;
    write_results_json(doc, "edgetpu", {{"controller", "reinforce"}}, ev);
    const auto j = nlohmann::json::parse(doc.str());
    CHECK(j.at("space") == "edgetpu");
    CHECK(j.at("config").at("controller") == "reinforce");
    CHECK(j.at("evaluations") == to_json(ev));
    CHECK(doc.str().back() == '\n');
    std::ostringstream svg;
    write_pareto_svg(svg, ev, {{"mobilenet_v2", 0.75, 2.2e-3}, {"a<b", 0.65, 1e-3}}, {.title = "t", .target = "coral-usb"});
    const auto v = svg.str();
    CHECK_THAT(v, Contains("<svg"));
    CHECK_THAT(v, Contains("mobilenet_v2"));
    CHECK_THAT(v, Contains("a&lt;b"));
    CHECK_THAT(v, Contains("<polyline"));
    CHECK_THAT(v, Contains("latency on coral-usb (ms, log scale)"));
    CHECK(std::count(v.begin(), v.end(), '\n') > 10);
}

TEST_CASE("progress: a redrawn bar on a terminal, plain lines otherwise", "[search]") {
    CHECK(format_duration(5) == "5s");
    CHECK(format_duration(187) == "3m07s");
    CHECK(format_duration(3720) == "1h02m");
    CHECK(format_duration(-1) == "?");
    std::ostringstream tty, plain;
    progress_bar a(tty, 4, true), b(plain, 4, false, 2);
    for (std::size_t i = 1; i <= 4; ++i) {
        a.update(i, "best 0.5");
        b.update(i);
    }
    CHECK_THAT(tty.str(), Contains("\r["));
    CHECK_THAT(tty.str(), Contains("4/4 100% ETA"));
    CHECK(plain.str().find('\r') == std::string::npos);
    const auto p = plain.str();
    CHECK(std::count(p.begin(), p.end(), '\n') == 2);  // at 2 and 4
    CHECK_THAT(p, Contains("progress 4/4 100%"));
}

TEST_CASE("progress: into a pipe or a file, one plain line per interval and no carriage return", "[search]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    CHECK_FALSE(is_terminal(fds[0]));
    CHECK_FALSE(is_terminal(fds[1]));
    ::close(fds[0]);
    ::close(fds[1]);
    const auto file = std::filesystem::temp_directory_path() / "accelnas-progress-test.log";
    {
        std::ofstream f(file);
        const int fd = ::open(file.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        CHECK_FALSE(is_terminal(fd));
        ::close(fd);
    }
    // 469 steps an epoch reported every 47 (a tenth): lines at 47, 94, ..., 423, 469, each labelled.
    std::ostringstream os;
    progress_bar bar(os, 469, false, 47, "epoch 3");
    for (std::size_t s = 1; s <= 469; ++s) bar.update(s, "loss 0.5");
    const auto out = os.str();
    CHECK(out.find('\r') == std::string::npos);
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 10);
    std::istringstream lines(out);
    std::size_t n = 0;
    for (std::string l; std::getline(lines, l); ++n) {
        INFO(l);
        CHECK(l.rfind("epoch 3 ", 0) == 0);
        CHECK(l.size() >= 8);
        CHECK_THAT(l, Contains(" loss 0.5"));
    }
    CHECK(n == 10);
    CHECK_THAT(out, Contains("epoch 3 47/469 10% elapsed "));
    CHECK_THAT(out, Contains("epoch 3 469/469 100% elapsed "));
    // On a terminal the same label leads the redrawn bar.
    std::ostringstream tty;
    progress_bar t(tty, 2, true, 1, "epoch 3");
    t.update(1);
    t.update(2);
    const auto drawn = tty.str();
    CHECK_THAT(drawn, Contains("\repoch 3 [###############...............] 1/2 50% ETA"));
    CHECK(std::count(drawn.begin(), drawn.end(), '\n') == 1);
    std::filesystem::remove(file);
}
