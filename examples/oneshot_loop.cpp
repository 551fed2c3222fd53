// Your own one-shot loop over the Edge TPU space: a weight-sharing supernet at proxy size trained
// along paths you choose (a controller of yours would propose them), then one architecture scored
// with the shared weights (batch norm normalising by the scored images). accelnas-search --method
// oneshot is this loop with TuNAS' controller, reward and warm-up.
//
//   example_oneshot_loop [--quick] [--steps N] [--seed S] [--sample all|fixed|no-block|block-only|pool:N] [--distill]
//                        [--block-warmup W]
//
// --sample: which decisions each step draws at random; the others keep the choices of one fixed
// architecture (the first one drawn): every decision (all), none (fixed), all but the block types
// and skips (no-block), only the block types (block-only); pool:N cycles through N architectures
// (the fixed one and N-1 others drawn once). --distill: each step the path at its largest (kernels,
// expansions, widths, layers) learns the labels and the path learns its predictions. Printed: the
// mean training loss, the fixed architecture's one-shot accuracy, the mean one-shot accuracy of 5
// other architectures (drawn once; not in a pool) and, with pool:N, of 5 recombinations of the pool
// (each stage's choices those of a pool member drawn per stage: every weight they use was trained).
// --block-warmup W: in the first W steps each stage also runs each other block type with
// probability 1 - step / W, the outputs summed (the op warm-up of accelnas-search --warmup-blocks).
#include <accelnas/app/oneshot.hpp>
#include <accelnas/space/registry.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

// A whole number >= 0 given to `option`, or an accelnas::error naming the option and the text.
static std::uint64_t whole_number(const std::string& option, const std::string& text) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    accelnas::require(ec == std::errc() && end == text.data() + text.size() && !text.empty(), option,
                      " needs a whole number >= 0, got '", text, "'");
    return v;
}

int main(int argc, char** argv) try {
    using namespace accelnas;
    bool quick = false, distill = false;
    std::size_t steps = 600, block_warmup = 0;
    std::uint64_t seed = 1;
    std::string sample = "all";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") quick = true, steps = 30;  // what ctest runs
        else if (a == "--distill") distill = true;
        else if (a == "--steps" && i + 1 < argc) steps = whole_number(a, argv[++i]);
        else if (a == "--seed" && i + 1 < argc) seed = whole_number(a, argv[++i]);
        else if (a == "--sample" && i + 1 < argc) sample = argv[++i];
        else if (a == "--block-warmup" && i + 1 < argc) block_warmup = whole_number(a, argv[++i]);
        else fail("unknown argument '", a, "'", a.starts_with("--") ? " (or its value is missing)" : "");
    }
    std::size_t pool_size = 0;
    if (sample.starts_with("pool:")) {
        const auto n = sample.substr(5);
        pool_size = whole_number("--sample pool:N", n);
        require(pool_size >= 1 && pool_size < 1000000, "--sample pool:N needs a whole number N in [1, 999999], got '", n, "'");
    } else {
        require(sample == "all" || sample == "fixed" || sample == "no-block" || sample == "block-only", "unknown --sample '", sample, "'");
    }
    require(steps >= 5, "--steps must be at least 5");
    require(!(distill && block_warmup), "--distill and --block-warmup cannot be combined");
    const auto& sp = space::find_space("edgetpu");
    const auto& d = *sp.description;
    app::proxy_options o;  // 32x32 inputs, width 0.25, batches of 64
    o.train_images = quick ? 1000 : 6000;
    o.validation_images = 500;
    const auto data = app::load_proxy_data(std::string("fashion-mnist:") + train::default_fashion_mnist_dir, o, 1);
    o.channels = std::int64_t(data.train.channels);
    const auto classes = std::int64_t(data.classes);
    rng g(seed);
    auto net = app::oneshot::make_supernet(sp, o, classes, {}, g);
    const auto fixed = sp.sample(g);
    std::vector<std::int32_t> labels, vlabels;
    const auto xv = app::oneshot::images_of(data, data.validation, app::oneshot::draw_indices(data.validation.count, 256, g), o,
                                            vlabels);
    std::printf("supernet of %zu shared weights; fixed architecture %s\n", net.parameter_count(), sp.to_text(fixed).c_str());
    // Drawn from generators of their own, so that `g`'s draws (and the other modes' numbers) do not depend on them.
    rng gp(seed + 1000), go(seed + 2000), gw(seed + 4000);
    std::vector<space::architecture> pool{fixed}, others;
    while (pool.size() < pool_size) pool.push_back(sp.sample(gp));
    while (others.size() < 5) others.push_back(sp.sample(go));
    std::vector<space::architecture> recombined;
    for (rng gr(seed + 3000); pool_size > 1 && recombined.size() < 5;) {
        std::vector<std::size_t> member(d.stages.size());
        for (auto& m : member) m = uniform_index(gr, pool_size);
        auto r = fixed;
        for (std::size_t k = 0; k < d.decisions.size(); ++k) r.choices[k] = pool[member[d.decisions[k].stage]].choices[k];
        recombined.push_back(r);
    }

    std::vector<float> soft;  // the teacher's predictions (--distill)
    train::tensor x;
    const train::batch_options augment{std::size_t(o.resolution), std::size_t(o.channels), false, 0};
    double loss = 0;
    for (std::size_t step = 0; step < steps; ++step) {
        auto a = sp.sample(g);
        if (pool_size) a = pool[step % pool_size];
        else for (std::size_t k = 0; k < d.decisions.size(); ++k) {
            const bool block = d.decisions[k].key == space::block_slot::key, skip = d.decisions[k].key == space::skip_slot::key;
            if (sample == "fixed" || (sample == "no-block" && (block || skip)) || (sample == "block-only" && !block))
                a.choices[k] = fixed.choices[k];
        }
        space::stage_branches also(d.stages.size());  // other block types summed beside the path's (--block-warmup)
        if (step < block_warmup) also = app::oneshot::enabled_block_types(d, a, 1.0 - double(step) / double(block_warmup), gw);
        auto path = app::oneshot::warmup_path_of(net, sp, a, o, classes, also);
        train::make_batch(data, data.train, app::oneshot::draw_indices(data.train.count, o.batch, g), augment, g, x, labels);
        if (distill) {  // one SGD step of both gradients; the teacher must outlive apply()
            auto teacher = app::oneshot::path_of(net, sp, app::oneshot::largest(d, a), o, classes);
            net.accumulate(teacher, x, labels, &soft);
            loss += net.accumulate(path, x, soft);
            net.apply(0.05f);
        } else {
            loss += net.train_step(path, x, labels, 0.05f);
        }
        if ((step + 1) % (steps / 5) == 0) {
            auto p = app::oneshot::path_of(net, sp, fixed, o, classes);
            const double acc = net.recalibrated_accuracy(p, xv, vlabels);
            auto mean_accuracy = [&](const std::vector<space::architecture>& archs) {
                double sum = 0;
                for (const auto& b : archs) {
                    auto q = app::oneshot::path_of(net, sp, b, o, classes);
                    sum += net.recalibrated_accuracy(q, xv, vlabels);
                }
                return sum / double(archs.size());
            };
            std::printf("step %zu: mean training loss %.3f, fixed architecture's one-shot accuracy %.3f, 5 others' %.3f", step + 1,
                        loss / double(steps / 5), acc, mean_accuracy(others));
            if (!recombined.empty()) std::printf(", 5 recombinations' %.3f", mean_accuracy(recombined));
            std::printf("\n");
            loss = 0;
        }
    }
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
