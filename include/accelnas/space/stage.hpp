#pragma once
/// \file
/// Compile-time stage, stem and head policies of a search space. A stage is its base filters,
/// stride and layer count plus the choice lists that decide its blocks; slots without a list take
/// a default (block ibn, kernel 3, expand 6, se 0, act relu, skip identity, width 1, layers +0).

#include <accelnas/space/choices.hpp>
#include <accelnas/space/description.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace accelnas::space {

/// The stem of a space: one `Kernel`x`Kernel` conv with stride `Stride` to `Filters` channels.
template <std::int64_t Filters, int Kernel = 3, int Stride = 2>
struct stem {
    static_assert(Filters > 0, "stem<Filters, ...>: the stem's filters must be positive");
    static_assert(Kernel > 0 && Kernel % 2 == 1, "stem<..., Kernel, ...>: the stem kernel must be odd and positive");
    static_assert(Stride == 1 || Stride == 2, "stem<..., Stride>: the stem stride must be 1 or 2");
    static constexpr std::int64_t filters = Filters;  ///< output channels
    static constexpr int kernel = Kernel;             ///< kernel size
    static constexpr int stride = Stride;             ///< stride
};

/// The head of a space: a 1x1 conv to `Filters` channels (0: none) before the global pool and logits.
template <std::int64_t Filters>
struct head {
    static_assert(Filters >= 0, "head<Filters>: the head's filters must not be negative (0 = no head conv)");
    static constexpr std::int64_t filters = Filters;  ///< head conv channels
};

namespace detail {
template <class C>
constexpr double min_of() {
    double m = C::numeric[0];
    for (auto v : C::numeric) m = std::min(m, v);
    return m;
}
}  // namespace detail

/// A stage: `Layers` blocks (before the layer delta) of `Filters` output channels, the first with
/// stride `Stride`; each of `Choices` (kernels<...>, expansions<...>, ...) decides one slot.
template <std::int64_t Filters, int Stride, int Layers, class... Choices>
struct stage {
    static_assert((choice_list_type<Choices> && ...),
                  "stage<Filters, Stride, Layers, Choices...>: every parameter after the layer count must be a "
                  "choice list (block_kinds<...>, kernels<...>, expansions<...>, ...)");
    static_assert(Filters > 0, "stage<Filters, ...>: a stage's filters must be positive");
    static_assert(Stride == 1 || Stride == 2, "stage<..., Stride, ...>: a stage's stride must be 1 or 2");
    static_assert(Layers >= 1, "stage<..., Layers, ...>: a stage's base layer count must be at least 1");

private:
    static constexpr std::array<std::size_t, sizeof...(Choices)> whats{static_cast<std::size_t>(Choices::what)...};
    static constexpr bool distinct_slots() {
        for (std::size_t i = 0; i < whats.size(); ++i)
            for (std::size_t j = i + 1; j < whats.size(); ++j)
                if (whats[i] == whats[j]) return false;
        return true;
    }
    static constexpr double min_layer_delta() {
        double m = 0;
        bool seen = false;
        ((Choices::what == slot::layers ? (m = detail::min_of<Choices>(), seen = true) : false), ...);
        return seen ? m : 0.0;
    }
    static_assert(distinct_slots(), "stage<...>: two choice lists decide the same slot (e.g. two kernels<...>)");
    static_assert(Layers + min_layer_delta() >= 0,
                  "stage<...>: a layer delta makes the layer count negative (Layers + delta must be >= 0)");
    static_assert(Layers + min_layer_delta() >= 1 || Stride == 1,
                  "stage<...>: a stage that may have 0 layers must have stride 1 (dropping it would change the "
                  "resolution)");

public:
    static constexpr std::int64_t filters = Filters;  ///< base output filters
    static constexpr int stride = Stride;             ///< stride of the first block
    static constexpr int layers = Layers;             ///< base layer count

    /// Number of decisions of the stage (choice lists with two or more values).
    static constexpr std::size_t num_decisions = (std::size_t{0} + ... + (Choices::size > 1 ? 1u : 0u));

    /// Cardinalities of the stage's decisions, in slot order.
    static constexpr std::array<std::size_t, num_decisions> cardinalities = [] {
        std::array<std::size_t, num_decisions> r{};
        constexpr std::array<std::size_t, sizeof...(Choices)> sizes{Choices::size...};
        std::size_t n = 0;
        for (std::size_t s = 0; s < num_slots; ++s)
            for (std::size_t i = 0; i < sizes.size(); ++i)
                if (whats[i] == s && sizes[i] > 1) r[n++] = sizes[i];
        return r;
    }();

    /// The stage as data.
    static stage_description describe() {
        stage_description d;
        d.filters = Filters;
        d.stride = Stride;
        d.layers = Layers;
        auto set = [&](slot s, double v) { d.values[static_cast<std::size_t>(s)] = {v}; };
        set(slot::block, static_cast<double>(block_kind::ibn));
        set(slot::kernel, 3);
        set(slot::expand, 6);
        set(slot::se, 0);
        set(slot::act, static_cast<double>(graph::activation::relu));
        set(slot::skip, static_cast<double>(skip_kind::identity));
        set(slot::width, 1);
        set(slot::layers, 0);
        ((d.values[static_cast<std::size_t>(Choices::what)] =
              std::vector<double>(Choices::numeric.begin(), Choices::numeric.end())),
         ...);
        return d;
    }
};

/// True for instantiations of `stage`.
template <class T>
inline constexpr bool is_stage = false;
template <std::int64_t F, int S, int L, class... C>
inline constexpr bool is_stage<stage<F, S, L, C...>> = true;

}  // namespace accelnas::space
