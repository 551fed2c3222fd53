#pragma once
/// \file
/// An RNN controller as in MnasNet (Tan et al. 2019): an LSTM emits the decisions one after the
/// other, each conditioned on the previous ones, trained by policy gradient (REINFORCE with a
/// moving-average baseline; MnasNet used PPO, the plain gradient is enough at this scale).

#include <accelnas/search/adam.hpp>
#include <accelnas/search/controller.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <vector>

namespace accelnas::search {

/// Options of `rnn_controller`.
struct rnn_options {
    std::size_t hidden = 32;            ///< LSTM hidden size (also the embedding size)
    adam_options adam = {.learning_rate = 0.01};  ///< optimizer of all LSTM parameters
    double baseline_momentum = 0.95;    ///< moving-average baseline momentum
    double entropy_bonus = 0.0;         ///< weight of the per-step entropy added to the objective
    double init_scale = 0.1;            ///< parameters start uniform in [-init_scale, init_scale]
    std::uint64_t init_seed = 1;        ///< seed of the parameter initialisation
};

/// LSTM policy over the decisions of a space of shape `Shape`. Step d reads the embedding of
/// decision d-1's choice (a start token at d = 0) and outputs logits over decision d's choices
/// through a head of its own.
template <class Shape = dynamic_shape>
class rnn_controller {
public:
    /// Over the compile-time shape `Shape`.
    explicit rnn_controller(rnn_options o = {}) requires(!std::is_same_v<Shape, dynamic_shape>)
        : rnn_controller(decision_layout{}, o) {}
    /// Over the runtime layout `l`.
    explicit rnn_controller(decision_layout l, rnn_options o = {})
        : layout_(detail::resolve_layout<Shape>(l)), opt_(o), adam_(0, o.adam), baseline_{o.baseline_momentum} {
        validate(o.adam, "rnn_controller");
        require(o.hidden >= 1, "rnn_controller: hidden must be at least 1");
        require(o.baseline_momentum >= 0 && o.baseline_momentum < 1, "rnn_controller: baseline_momentum must be in [0, 1)");
        require(o.entropy_bonus >= 0, "rnn_controller: entropy_bonus must be >= 0");
        require(o.init_scale > 0, "rnn_controller: init_scale must be positive");
        std::size_t off = 0;
        for (auto c : layout_.cardinalities) {
            offset_.push_back(off);
            off += c;
        }
        total_ = off;
        const std::size_t H = o.hidden;
        sizes_ = {(total_ + 1) * H, 4 * H * 2 * H, 4 * H, total_ * H, total_};
        std::size_t n = 0;
        for (auto s : sizes_) n += s;
        theta_.resize(n);
        rng g(o.init_seed);
        for (auto& x : theta_) x = (2.0 * uniform01(g) - 1.0) * o.init_scale;
        // forget-gate bias 1 (the usual LSTM initialisation)
        for (std::size_t k = H; k < 2 * H; ++k) theta_[sizes_[0] + sizes_[1] + k] = 1.0;
        adam_ = adam(n, o.adam);
    }

    /// The space's layout.
    const decision_layout& layout() const noexcept { return layout_; }
    /// Number of trainable parameters.
    std::size_t num_parameters() const noexcept { return theta_.size(); }
    /// Flat parameters (embedding, LSTM weights, LSTM bias, heads, head biases), for inspection and tests.
    std::vector<double>& parameters() noexcept { return theta_; }

    /// Samples the decisions one by one from the LSTM.
    space::architecture propose(rng& g) {
        space::architecture a;
        run(nullptr, &a, &g, nullptr, 0.0, 0.0);
        return a;
    }
    /// The greedy architecture (argmax at each step, fed back).
    space::architecture mode() const {
        space::architecture a;
        const_cast<rnn_controller*>(this)->run(nullptr, &a, nullptr, nullptr, 0.0, 0.0);
        return a;
    }
    /// Log-probability of `a` under the policy.
    double log_probability(const space::architecture& a) const {
        check_architecture(layout_, a, "rnn_controller::log_probability");
        return const_cast<rnn_controller*>(this)->run(&a, nullptr, nullptr, nullptr, 0.0, 0.0);
    }
    /// Sum over decisions of the policy's entropy at each step when the choices of `a` are fed back
    /// (the entropy term of the objective).
    double entropy_along(const space::architecture& a) const {
        check_architecture(layout_, a, "rnn_controller::entropy_along");
        const_cast<rnn_controller*>(this)->run(&a, nullptr, nullptr, nullptr, 0.0, 0.0);
        return last_entropy_;
    }
    /// Gradient of `advantage * log pi(a) + entropy_bonus * sum_d H_d` with respect to `parameters()`.
    std::vector<double> gradient(const space::architecture& a, double advantage, double entropy_bonus = 0.0) const {
        check_architecture(layout_, a, "rnn_controller::gradient");
        std::vector<double> g(theta_.size(), 0.0);
        const_cast<rnn_controller*>(this)->run(&a, nullptr, nullptr, &g, advantage, entropy_bonus);
        return g;
    }
    /// Policy-gradient step for `a` with `reward`.
    void observe(const space::architecture& a, double reward) {
        check_architecture(layout_, a, "rnn_controller::observe");
        detail::check_reward(reward, "rnn_controller::observe");
        const double adv = baseline_.advantage_then_update(reward);
        adam_.ascend(theta_, gradient(a, adv, opt_.entropy_bonus));
    }

    /// State as JSON (parameters, Adam moments, baseline).
    nlohmann::json to_json() const {
        auto j = detail::state_header("rnn", layout_);
        j["hidden"] = opt_.hidden;
        j["parameters"] = theta_;
        j["adam"] = adam_.to_json();
        j["baseline"] = baseline_.to_json();
        return j;
    }
    /// Restores a state saved by `to_json`.
    void from_json(const nlohmann::json& j) {
        detail::check_state_header(j, "rnn", layout_);
        require(detail::field(j, "hidden", "rnn").get<std::size_t>() == opt_.hidden, "rnn_controller: state JSON has another hidden size");
        auto t = detail::field(j, "parameters", "rnn").get<std::vector<double>>();
        require(t.size() == theta_.size(), "rnn_controller: state JSON has ", t.size(), " parameters, expected ", theta_.size());
        adam_.from_json(detail::field(j, "adam", "rnn"));
        baseline_.from_json(detail::field(j, "baseline", "rnn"));
        theta_ = std::move(t);
    }

private:
    using vec = Eigen::VectorXd;
    using cmat = Eigen::Map<const Eigen::MatrixXd>;
    using mmat = Eigen::Map<Eigen::MatrixXd>;

    /// One pass over the decisions. `given`: teacher-forced choices (else sample with `g`, or argmax
    /// when `g` is null, into `out`). With `grad`, back-propagates through time. Returns log pi.
    double run(const space::architecture* given, space::architecture* out, rng* g, std::vector<double>* grad,
               double adv, double ent) {
        const auto H = static_cast<Eigen::Index>(opt_.hidden);
        const auto T = layout_.size();
        const double* base = theta_.data();
        cmat emb(base, H, static_cast<Eigen::Index>(total_ + 1));  // column r = embedding of token r
        cmat W(base + sizes_[0], 4 * H, 2 * H);
        Eigen::Map<const vec> b(base + sizes_[0] + sizes_[1], 4 * H);
        cmat head(base + sizes_[0] + sizes_[1] + sizes_[2], static_cast<Eigen::Index>(total_), H);
        Eigen::Map<const vec> hb(base + sizes_[0] + sizes_[1] + sizes_[2] + sizes_[3], static_cast<Eigen::Index>(total_));

        struct step {
            vec xh, i, f, o, gg, c, c_prev, tc, h, p;
            std::size_t token = 0;
            int choice = 0;
        };
        std::vector<step> st(T);
        vec h = vec::Zero(H), c = vec::Zero(H);
        std::size_t token = 0;
        double logp = 0;
        last_entropy_ = 0;
        if (out) out->choices.clear();
        for (std::size_t d = 0; d < T; ++d) {
            step& s = st[d];
            s.token = token;
            s.xh.resize(2 * H);
            s.xh << emb.col(static_cast<Eigen::Index>(token)), h;
            const vec z = W * s.xh + b;
            auto sig = [](const vec& v) { return vec((1.0 + (-v.array()).exp()).inverse()); };
            s.i = sig(z.segment(0, H));
            s.f = sig(z.segment(H, H));
            s.o = sig(z.segment(2 * H, H));
            s.gg = z.segment(3 * H, H).array().tanh();
            s.c_prev = c;
            c = s.f.cwiseProduct(c) + s.i.cwiseProduct(s.gg);
            s.c = c;
            s.tc = c.array().tanh();
            h = s.o.cwiseProduct(s.tc);
            s.h = h;
            const auto K = static_cast<Eigen::Index>(layout_.cardinalities[d]);
            const auto off = static_cast<Eigen::Index>(offset_[d]);
            vec logits = head.middleRows(off, K) * h + hb.segment(off, K);
            logits.array() -= logits.maxCoeff();
            s.p = logits.array().exp();
            s.p /= s.p.sum();
            last_entropy_ -= (s.p.array() * s.p.array().max(1e-300).log()).sum();
            int a = 0;
            if (given) {
                a = given->choices[d];
            } else if (g) {
                const double u = uniform01(*g);
                double acc = 0;
                a = static_cast<int>(K - 1);
                for (Eigen::Index k = 0; k + 1 < K; ++k) {
                    acc += s.p[k];
                    if (u < acc) { a = static_cast<int>(k); break; }
                }
            } else {
                Eigen::Index k;
                s.p.maxCoeff(&k);
                a = static_cast<int>(k);
            }
            s.choice = a;
            if (out) out->choices.push_back(a);
            logp += std::log(s.p[a]);
            token = 1 + offset_[d] + static_cast<std::size_t>(a);
        }
        if (!grad) return logp;

        double* gb = grad->data();
        mmat gemb(gb, H, static_cast<Eigen::Index>(total_ + 1));
        mmat gW(gb + sizes_[0], 4 * H, 2 * H);
        Eigen::Map<vec> gbias(gb + sizes_[0] + sizes_[1], 4 * H);
        mmat ghead(gb + sizes_[0] + sizes_[1] + sizes_[2], static_cast<Eigen::Index>(total_), H);
        Eigen::Map<vec> ghb(gb + sizes_[0] + sizes_[1] + sizes_[2] + sizes_[3], static_cast<Eigen::Index>(total_));
        vec dh_next = vec::Zero(H), dc_next = vec::Zero(H);
        for (std::size_t d = T; d-- > 0;) {
            const step& s = st[d];
            const auto K = static_cast<Eigen::Index>(layout_.cardinalities[d]);
            const auto off = static_cast<Eigen::Index>(offset_[d]);
            // d objective / d logits
            const double Hd = -(s.p.array() * s.p.array().max(1e-300).log()).sum();
            vec dl = -adv * s.p;
            dl[s.choice] += adv;
            if (ent != 0.0) dl.array() += ent * (-s.p.array() * (s.p.array().max(1e-300).log() + Hd));
            ghead.middleRows(off, K) += dl * s.h.transpose();
            ghb.segment(off, K) += dl;
            vec dh = head.middleRows(off, K).transpose() * dl + dh_next;
            vec dc = dh.cwiseProduct(s.o).cwiseProduct((1.0 - s.tc.array().square()).matrix()) + dc_next;
            vec dz(4 * H);
            dz.segment(0, H) = dc.cwiseProduct(s.gg).cwiseProduct(s.i.cwiseProduct((1.0 - s.i.array()).matrix()));
            dz.segment(H, H) = dc.cwiseProduct(s.c_prev).cwiseProduct(s.f.cwiseProduct((1.0 - s.f.array()).matrix()));
            dz.segment(2 * H, H) = dh.cwiseProduct(s.tc).cwiseProduct(s.o.cwiseProduct((1.0 - s.o.array()).matrix()));
            dz.segment(3 * H, H) = dc.cwiseProduct(s.i).cwiseProduct((1.0 - s.gg.array().square()).matrix());
            gW += dz * s.xh.transpose();
            gbias += dz;
            const vec dxh = W.transpose() * dz;
            gemb.col(static_cast<Eigen::Index>(s.token)) += dxh.head(H);
            dh_next = dxh.tail(H);
            dc_next = dc.cwiseProduct(s.f);
        }
        return logp;
    }

    decision_layout layout_;
    rnn_options opt_;
    std::vector<std::size_t> offset_;
    std::size_t total_ = 0;
    std::array<std::size_t, 5> sizes_{};
    std::vector<double> theta_;
    adam adam_;
    moving_baseline baseline_;
    double last_entropy_ = 0;  // of the last run (entropy_along)
};

static_assert(controller<rnn_controller<>>);

}  // namespace accelnas::search
