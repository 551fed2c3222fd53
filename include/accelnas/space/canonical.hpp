#pragma once
/// \file
/// Canonical encodings and space sizes. Many architectures decode to the same network: a decision
/// the chosen block does not read (the expansion of a conv block), every decision of a stage its
/// layer delta drops, width multipliers that round to the same filters, two group sizes giving the
/// same groups. `canonical(d, a)` maps every architecture to the first one, in lexicographic order
/// of choice indices, that decodes to the same network; so two architectures have the same
/// canonical text exactly when they decode to the same network (same ops, attributes, shapes and op
/// names, which carry stage and block positions). `size_of(d)` counts architectures (the product of
/// the cardinalities) and distinct networks.
///
/// How: a stage's ops depend only on its own choices and on its context (input channels and the
/// filters of the last present stage). Per stage and context, every choice combination of the
/// stage's decisions is decoded once (combinations in which the chosen block declares a decision
/// dead, see `block_policy::uses`, are skipped: a lexicographically smaller twin decodes the same)
/// and the first combination of each distinct op signature is kept. Canonicalising then costs one
/// stage decode per stage; counting is a sum over stage signatures, stage by stage.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/architecture.hpp>
#include <accelnas/space/codec.hpp>
#include <accelnas/space/description.hpp>
#include <accelnas/space/plan.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace accelnas::space {

namespace detail {

// The context a stage is built in.
struct stage_context {
    std::int64_t in = 0;    // input channels
    std::int64_t prev = 0;  // filters of the last present stage (0: none)
    friend auto operator<=>(const stage_context&, const stage_context&) = default;
};

// Op signature of stage `i` built with slot value indices `choice` in context `ctx`, and the
// context after it.
inline std::pair<std::string, stage_context> stage_signature(const space_description& d, std::size_t i,
                                                             const std::vector<std::size_t>& choice,
                                                             stage_context ctx) {
    network_plan p;
    p.name = d.name;
    p.rule = d.rule;
    p.stages.resize(i + 1);
    p.stages[i] = stage_plan_of(d, i, choice);
    graph::network net("stage");
    // The spatial size is immaterial to a stage's structure (SAME padding); 32 keeps it cheap.
    auto x = net.input({1, 32, 32, ctx.in}, "input");
    x = build_stage(net, x, p, i, ctx.prev);
    std::string sig;
    sig.reserve(64 * net.size());
    for (std::size_t k = 1; k < net.size(); ++k) {
        const auto& o = net.ops()[k];
        sig += accelnas::detail::concat(o.name, ':', static_cast<int>(o.kind), '(');
        for (auto in : o.inputs) sig += accelnas::detail::concat(in, ',');
        sig += accelnas::detail::concat(")k", o.kernel_h, 'x', o.kernel_w, 's', o.stride_h, 'x', o.stride_w, 'p',
                                        static_cast<int>(o.pad), 'g', o.groups, 'f', o.filters, 'b', o.bias,
                                        o.batch_norm, 'a', static_cast<int>(o.act), 'c', o.out.c, 'h', o.out.h, ';');
    }
    const auto& st = p.stages[i];
    stage_context next{net.shape(x).c, st.repeats > 0 ? st.filters : ctx.prev};
    return {std::move(sig), next};
}

// Every distinct signature of one stage in one context, each with its first (lexicographically
// smallest) choice combination and the context after it.
struct stage_table {
    struct entry {
        std::vector<std::size_t> choice;
        stage_context next;
    };
    std::map<std::string, entry> by_signature;
    std::size_t combinations = 0;  // combinations of the stage's decisions (before skipping dead ones)
};

// True when some decision slot of the combination is nonzero although the chosen block declares it dead.
inline bool has_dead_nonzero(const space_description& d, std::size_t i, const std::vector<std::size_t>& choice) {
    const auto st = stage_plan_of(d, i, choice);
    const auto& sd = d.stages[i];
    for (std::size_t s = 0; s < sd.slots.size(); ++s) {
        if (choice[s] == 0 || sd.slots[s].values.size() < 2) continue;
        const auto key = sd.slots[s].key;
        if (key == block_slot::key || key == skip_slot::key || key == width_slot::key || key == layers_slot::key ||
            key == expand_first_slot::key)
            continue;
        if (!st.block->uses(key, st.values)) return true;
    }
    return false;
}

inline stage_table make_stage_table(const space_description& d, std::size_t i, stage_context ctx) {
    const auto& sd = d.stages[i];
    std::vector<std::size_t> dec;  // slot indices of the stage's decisions, in order
    for (std::size_t s = 0; s < sd.slots.size(); ++s)
        if (sd.slots[s].values.size() > 1) dec.push_back(s);
    stage_table t;
    t.combinations = 1;
    for (auto s : dec) t.combinations *= sd.slots[s].values.size();
    std::vector<std::size_t> choice(sd.slots.size(), 0);
    for (;;) {
        if (!has_dead_nonzero(d, i, choice)) {
            auto [sig, next] = stage_signature(d, i, choice, ctx);
            t.by_signature.try_emplace(std::move(sig), stage_table::entry{choice, next});
        }
        // Odometer over the decisions, the last fastest: combinations come in lexicographic order.
        std::size_t k = dec.size();
        while (k > 0) {
            auto s = dec[k - 1];
            if (++choice[s] < sd.slots[s].values.size()) break;
            choice[s] = 0;
            --k;
        }
        if (k == 0) break;
    }
    return t;
}

// Per space description: the stage tables built so far (thread-safe, built on first use).
class canonical_cache {
public:
    const stage_table& table(const space_description& d, std::size_t i, stage_context ctx) {
        std::lock_guard lock(mutex_);
        auto& t = tables_[{&d, i, ctx}];
        if (!t) t = std::make_unique<stage_table>(make_stage_table(d, i, ctx));
        return *t;
    }
    static canonical_cache& instance() {
        static canonical_cache c;
        return c;
    }

private:
    std::mutex mutex_;
    std::map<std::tuple<const space_description*, std::size_t, stage_context>, std::unique_ptr<stage_table>> tables_;
};

inline stage_context first_context(const space_description& d) { return {d.stem_filters, 0}; }

}  // namespace detail

/// The canonical form of `a`: the lexicographically first architecture of `d` that decodes to the
/// same network (see the file comment). `d` must have static storage (its stage tables are cached).
inline architecture canonical(const space_description& d, const architecture& a) {
    validate(d, a);
    architecture r;
    r.choices.reserve(a.choices.size());
    auto ctx = detail::first_context(d);
    for (std::size_t i = 0; i < d.stages.size(); ++i) {
        const auto choice = stage_choices(d, a, i);
        const auto sig = detail::stage_signature(d, i, choice, ctx).first;
        const auto& t = detail::canonical_cache::instance().table(d, i, ctx);
        const auto it = t.by_signature.find(sig);
        require(it != t.by_signature.end(), "space '", d.name, "': stage ", i + 1,
                " decodes to a network no choice combination gives (a block whose uses() declares a slot dead that "
                "changes its ops)");
        for (std::size_t s = 0; s < d.stages[i].slots.size(); ++s)
            if (d.stages[i].slots[s].values.size() > 1) r.choices.push_back(static_cast<int>(it->second.choice[s]));
        ctx = it->second.next;
    }
    return r;
}

/// Text of the canonical form of `a`.
inline std::string canonical_text(const space_description& d, const architecture& a) {
    return to_text(d, canonical(d, a));
}

/// Size of a space: architectures and distinct networks.
struct space_size {
    double log10_raw = 0;           ///< log10 of the number of architectures (product of cardinalities)
    std::string raw;                ///< that number in decimal
    double log10_distinct = 0;      ///< log10 of the number of distinct networks
    std::string distinct;           ///< that number in decimal (exact) or rounded (sampled)
    bool exact = true;              ///< distinct counted exactly (false: estimated by sampling)
    std::size_t samples = 0;        ///< architectures sampled for the estimate (0 when exact)
};

namespace detail {
__extension__ typedef unsigned __int128 u128;  // exact counts beyond 2^64 (mnasnet has 864^7)
inline std::string to_decimal(u128 v) {
    if (v == 0) return "0";
    std::string r;
    while (v > 0) {
        r.insert(r.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    return r;
}
inline long double to_ld(u128 v) { return static_cast<long double>(v); }
}  // namespace detail

/// The size of `d`: the raw product of the cardinalities, and the number of distinct networks,
/// counted exactly when every stage has at most `exact_limit` choice combinations (each is decoded
/// once per context), otherwise estimated from `samples` sampled architectures as raw x mean(1 /
/// multiplicity), where an architecture's multiplicity (how many architectures decode to its
/// network) is the product over stages of the stage's matching combinations, themselves counted
/// on up to 2000 sampled combinations per stage. `d` must have static storage.
inline space_size size_of(const space_description& d, std::size_t exact_limit = 20000, std::size_t samples = 400,
                          std::uint64_t seed = 1) {
    space_size r;
    detail::u128 raw = 1;
    bool raw_fits = true;
    for (const auto& x : d.decisions) {
        r.log10_raw += std::log10(static_cast<double>(x.cardinality));
        if (raw > (~detail::u128{0}) / x.cardinality) raw_fits = false;
        else raw *= x.cardinality;
    }
    r.raw = raw_fits ? detail::to_decimal(raw) : accelnas::detail::concat("10^", r.log10_raw);
    std::size_t worst = 1;
    for (std::size_t i = 0; i < d.stages.size(); ++i) {
        std::size_t c = 1;
        for (const auto& s : d.stages[i].slots) c *= s.values.size();
        worst = std::max(worst, c);
    }
    if (worst <= exact_limit) {
        std::map<std::pair<std::size_t, detail::stage_context>, detail::u128> memo;
        auto count = [&](auto&& self, std::size_t i, detail::stage_context ctx) -> detail::u128 {
            if (i == d.stages.size()) return 1;
            const auto key = std::make_pair(i, ctx);
            if (auto it = memo.find(key); it != memo.end()) return it->second;
            detail::u128 n = 0;
            for (const auto& [sig, e] : detail::canonical_cache::instance().table(d, i, ctx).by_signature)
                n += self(self, i + 1, e.next);
            memo.emplace(key, n);
            return n;
        };
        const auto n = count(count, 0, detail::first_context(d));
        r.distinct = detail::to_decimal(n);
        r.log10_distinct = static_cast<double>(std::log10(detail::to_ld(n)));
        return r;
    }
    // Sampled estimate.
    r.exact = false;
    r.samples = samples;
    rng g(seed);
    long double sum = 0;
    for (std::size_t k = 0; k < samples; ++k) {
        const auto a = sample(d, g);
        long double mult = 1;
        auto ctx = detail::first_context(d);
        for (std::size_t i = 0; i < d.stages.size(); ++i) {
            const auto& sd = d.stages[i];
            const auto choice = stage_choices(d, a, i);
            const auto [sig, next] = detail::stage_signature(d, i, choice, ctx);
            std::size_t combos = 1;
            for (const auto& s : sd.slots) combos *= s.values.size();
            const std::size_t tries = std::min<std::size_t>(2000, combos);
            std::size_t hits = 0;
            for (std::size_t t = 0; t < tries; ++t) {
                std::vector<std::size_t> c(sd.slots.size());
                for (std::size_t s = 0; s < c.size(); ++s) c[s] = uniform_index(g, sd.slots[s].values.size());
                hits += detail::stage_signature(d, i, c, ctx).first == sig;
            }
            mult *= std::max<long double>(1.0L, static_cast<long double>(combos) * hits / tries);
            ctx = next;
        }
        sum += 1.0L / mult;
    }
    const long double est = std::pow(10.0L, static_cast<long double>(r.log10_raw)) * sum / samples;
    r.log10_distinct = static_cast<double>(std::log10(est));
    r.distinct = accelnas::detail::concat("~10^", r.log10_distinct);
    return r;
}

}  // namespace accelnas::space
