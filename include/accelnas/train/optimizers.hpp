#pragma once
/// \file
/// Optimizers (SGD with momentum/Nesterov, RMSProp in TensorFlow's flavour, Adam) and learning-rate
/// schedules (constant, cosine, exponential, each with an optional linear warm-up). Weight decay
/// applies only to parameters flagged `decay` (conv and dense kernels; not biases, not batch norm).

#include <accelnas/core/adam.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/thread_pool.hpp>
#include <accelnas/train/model.hpp>

#include <cmath>
#include <cstddef>
#include <numbers>
#include <string_view>
#include <variant>
#include <vector>

namespace accelnas::train {

namespace detail {
inline void match_state(std::vector<tensor>& s, const std::vector<parameter>& ps, float init) {
    if (s.size() == ps.size()) return;
    s.clear();
    for (const auto& p : ps) {
        tensor t = xt::empty<float>(p.value.shape());
        std::fill(t.begin(), t.end(), init);
        s.push_back(std::move(t));
    }
}
// Calls f(lo, hi) on parts of [0, n): split over `pool` when there is one and the parameter is large
// (element-wise updates: the result does not depend on the split).
template <class F>
void update_range(thread_pool* pool, std::size_t n, F&& f) {
    if (pool && pool->threads() > 1 && n >= (std::size_t{1} << 15)) pool->run(n, [&](std::size_t lo, std::size_t hi, std::size_t) { f(lo, hi); });
    else f(std::size_t{0}, n);
}
}  // namespace detail

/// SGD with momentum as PyTorch defines it: g += wd * w; buf = momentum * buf + g;
/// w -= lr * (Nesterov ? g + momentum * buf : buf).
struct sgd {
    float momentum = 0.9f;       ///< 0 disables momentum
    bool nesterov = true;        ///< Nesterov momentum
    float weight_decay = 4e-5f;  ///< L2 coefficient on `decay` parameters

    /// Applies one update with learning rate `lr`, large parameters split over `pool` when given.
    void step(std::vector<parameter>& ps, float lr, thread_pool* pool = nullptr) {
        detail::match_state(buf_, ps, 0.0f);
        for (std::size_t i = 0; i < ps.size(); ++i) {
            float* w = ps[i].value.data();
            const float* gr = ps[i].grad.data();
            float* b = buf_[i].data();
            const float wd = ps[i].decay ? weight_decay : 0.0f;
            // Locals and restrict pointers: the loops vectorise only when stores cannot alias them.
            detail::update_range(pool, ps[i].value.size(), [w, gr, b, wd, lr, mom = momentum, nest = nesterov](std::size_t lo, std::size_t hi) {
                float* __restrict wr = w;
                float* __restrict br = b;
                const float* __restrict grr = gr;
                const float m = mom, l = lr, d = wd;
                if (nest)
                    for (std::size_t j = lo; j < hi; ++j) {
                        const float g = grr[j] + d * wr[j];
                        br[j] = m * br[j] + g;
                        wr[j] -= l * (g + m * br[j]);
                    }
                else
                    for (std::size_t j = lo; j < hi; ++j) {
                        const float g = grr[j] + d * wr[j];
                        br[j] = m * br[j] + g;
                        wr[j] -= l * br[j];
                    }
            });
        }
    }

    std::vector<tensor> buf_ = {};  ///< momentum buffers (state; public so the struct stays an aggregate)
};

/// RMSProp as TensorFlow's RMSPropOptimizer (used for EfficientNet/MnasNet): ms starts at 1,
/// ms = decay * ms + (1 - decay) g^2; mom = momentum * mom + lr * g / sqrt(ms + eps); w -= mom.
struct rmsprop {
    float decay = 0.9f;          ///< decay of the squared-gradient average
    float momentum = 0.9f;       ///< momentum of the update
    float epsilon = 1e-3f;       ///< inside the square root (TF EfficientNet uses 1e-3)
    float weight_decay = 1e-5f;  ///< L2 coefficient on `decay` parameters

    /// Applies one update with learning rate `lr`, large parameters split over `pool` when given.
    void step(std::vector<parameter>& ps, float lr, thread_pool* pool = nullptr) {
        detail::match_state(ms_, ps, 1.0f);
        detail::match_state(mom_, ps, 0.0f);
        for (std::size_t i = 0; i < ps.size(); ++i) {
            float* w = ps[i].value.data();
            const float* gr = ps[i].grad.data();
            float* ms = ms_[i].data();
            float* mo = mom_[i].data();
            const float wd = ps[i].decay ? weight_decay : 0.0f;
            detail::update_range(pool, ps[i].value.size(),
                                 [w, gr, ms, mo, wd, lr, dec = decay, mom = momentum, e = epsilon](std::size_t lo, std::size_t hi) {
                float* __restrict wr = w;
                float* __restrict msr = ms;
                float* __restrict mor = mo;
                const float* __restrict grr = gr;
                const float dc = dec, m = mom, l = lr, d = wd, ep = e;
                for (std::size_t j = lo; j < hi; ++j) {
                    const float g = grr[j] + d * wr[j];
                    msr[j] = dc * msr[j] + (1.0f - dc) * g * g;
                    mor[j] = m * mor[j] + l * g / std::sqrt(msr[j] + ep);
                    wr[j] -= mor[j];
                }
            });
        }
    }

    std::vector<tensor> ms_ = {}, mom_ = {};  ///< state (public so the struct stays an aggregate)
};

/// Adam (Kingma & Ba) with L2 weight decay added to the gradient of `decay` parameters (the update is
/// `accelnas::adam_step`, core/adam.hpp).
struct adam {
    float beta1 = 0.9f, beta2 = 0.999f;  ///< moment decays
    float epsilon = 1e-8f;               ///< added to the root of the second moment
    float weight_decay = 0.0f;           ///< L2 coefficient on `decay` parameters

    /// Applies one update with learning rate `lr`, large parameters split over `pool` when given.
    void step(std::vector<parameter>& ps, float lr, thread_pool* pool = nullptr) {
        detail::match_state(m_, ps, 0.0f);
        detail::match_state(v_, ps, 0.0f);
        ++t_;
        const adam_corrections<float> c(beta1, beta2, t_);
        for (std::size_t i = 0; i < ps.size(); ++i) {
            float* w = ps[i].value.data();
            const float* gr = ps[i].grad.data();
            float* m = m_[i].data();
            float* v = v_[i].data();
            const float wd = ps[i].decay ? weight_decay : 0.0f;
            detail::update_range(pool, ps[i].value.size(), [&](std::size_t lo, std::size_t hi) {
                for (std::size_t j = lo; j < hi; ++j)
                    w[j] -= adam_step(m[j], v[j], gr[j] + wd * w[j], lr, beta1, beta2, epsilon, c);
            });
        }
    }

    std::vector<tensor> m_ = {}, v_ = {};  ///< moment estimates (state; public so the struct stays an aggregate)
    std::size_t t_ = 0;          ///< steps taken
};

/// One of the optimizers, chosen at run time (command-line tools).
using optimizer = std::variant<sgd, rmsprop, adam>;

/// Applies one step of whichever optimizer `o` holds, large parameters split over `pool` when given.
inline void step(optimizer& o, std::vector<parameter>& ps, float lr, thread_pool* pool = nullptr) {
    std::visit([&](auto& x) { x.step(ps, lr, pool); }, o);
}

/// Decay shape of a learning-rate schedule.
enum class schedule_kind { constant, cosine, exponential };

/// Parses "constant", "cosine" or "exponential".
inline schedule_kind parse_schedule_kind(std::string_view s) {
    if (s == "constant") return schedule_kind::constant;
    if (s == "cosine") return schedule_kind::cosine;
    if (s == "exponential") return schedule_kind::exponential;
    fail("unknown learning-rate schedule '", s, "' (expected constant, cosine or exponential)");
}

/// Learning rate per step: base * warm-up * decay, with warm-up = min(1, (s + 1) / warmup_steps)
/// (none when warmup_steps is 0) and decay = 0.5 (1 + cos(pi s / total_steps)) for cosine, or
/// rate^(s / decay_steps) (floored when staircase) for exponential. The cosine form with a one-epoch
/// warm-up is exactly the PyTorch peer's schedule.
struct lr_schedule {
    schedule_kind kind = schedule_kind::cosine;
    float base = 0.1f;               ///< peak learning rate
    std::size_t warmup_steps = 0;    ///< linear warm-up length
    std::size_t total_steps = 1;     ///< cosine: steps of the whole run
    float decay_rate = 0.97f;        ///< exponential: factor per decay_steps
    std::size_t decay_steps = 1;     ///< exponential: steps per factor
    bool staircase = true;           ///< exponential: decay in whole steps of decay_steps

    /// Learning rate at step `s` (0-based).
    float at(std::size_t s) const {
        require(total_steps > 0 && decay_steps > 0, "lr_schedule: total_steps and decay_steps must be positive");
        double lr = base;
        if (warmup_steps > 0) lr *= std::min(1.0, double(s + 1) / double(warmup_steps));
        switch (kind) {
        case schedule_kind::constant: break;
        case schedule_kind::cosine: lr *= 0.5 * (1.0 + std::cos(std::numbers::pi * double(s) / double(total_steps))); break;
        case schedule_kind::exponential: {
            double e = double(s) / double(decay_steps);
            if (staircase) e = std::floor(e);
            lr *= std::pow(double(decay_rate), e);
            break;
        }
        }
        return float(lr);
    }
};

}  // namespace accelnas::train
