#pragma once
/// \file
/// A small Adam for the controllers' policy parameters (gradient *ascent*), JSON-serialisable; the
/// update itself is `accelnas::adam_step` (core/adam.hpp).
/// TuNAS uses beta1 = 0 (no momentum: the RL gradient's noise is already averaged by the baseline).

#include <accelnas/core/adam.hpp>
#include <accelnas/core/error.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace accelnas::search {

/// Adam hyper-parameters.
struct adam_options {
    double learning_rate = 0.05;  ///< step size
    double beta1 = 0.0;           ///< first-moment decay (0 as TuNAS)
    double beta2 = 0.999;         ///< second-moment decay
    double epsilon = 1e-8;        ///< denominator guard
};

/// Throws unless the Adam options are usable.
inline void validate(const adam_options& o, const char* who) {
    require(std::isfinite(o.learning_rate) && o.learning_rate > 0, who, ": learning_rate must be positive, got ", o.learning_rate);
    require(o.beta1 >= 0 && o.beta1 < 1, who, ": beta1 must be in [0, 1), got ", o.beta1);
    require(o.beta2 >= 0 && o.beta2 < 1, who, ": beta2 must be in [0, 1), got ", o.beta2);
    require(o.epsilon > 0, who, ": epsilon must be positive, got ", o.epsilon);
}

/// Adam moments for a flat parameter vector; `ascend` moves parameters along a gradient.
class adam {
public:
    /// Moments for `n` parameters.
    adam(std::size_t n, adam_options o) : opt_(o), m_(n, 0.0), v_(n, 0.0) {}

    /// One step: `theta += lr * mhat / (sqrt(vhat) + eps)` for the gradient `g` (same size as theta).
    void ascend(std::vector<double>& theta, const std::vector<double>& g) {
        require(theta.size() == m_.size() && g.size() == m_.size(), "adam: parameter/gradient size mismatch");
        ++t_;
        const adam_corrections<double> c(opt_.beta1, opt_.beta2, t_);
        for (std::size_t i = 0; i < theta.size(); ++i)
            theta[i] += adam_step(m_[i], v_[i], g[i], opt_.learning_rate, opt_.beta1, opt_.beta2, opt_.epsilon, c);
    }
    /// Steps taken.
    std::size_t steps() const noexcept { return t_; }

    /// Moments as JSON.
    nlohmann::json to_json() const { return {{"t", t_}, {"m", m_}, {"v", v_}}; }
    /// Restores moments saved by `to_json` (sizes must match).
    void from_json(const nlohmann::json& j) {
        require(j.is_object() && j.contains("t") && j.contains("m") && j.contains("v"), "adam: state JSON lacks t, m or v");
        auto m = j.at("m").get<std::vector<double>>(), v = j.at("v").get<std::vector<double>>();
        require(m.size() == m_.size() && v.size() == v_.size(), "adam: state JSON has ", m.size(), " moments, expected ", m_.size());
        t_ = j.at("t").get<std::size_t>();
        m_ = std::move(m);
        v_ = std::move(v);
    }

private:
    adam_options opt_;
    std::vector<double> m_, v_;
    std::size_t t_ = 0;
};

/// Exponential moving average of rewards (the policy-gradient baseline).
struct moving_baseline {
    double momentum = 0.95;  ///< weight of the old value
    double value = 0.0;      ///< current baseline
    bool started = false;    ///< false until the first reward (which sets the value)

    /// The advantage of `reward` against the current baseline, then the baseline update.
    double advantage_then_update(double reward) {
        if (!started) {
            value = reward;
            started = true;
        }
        const double adv = reward - value;
        value = momentum * value + (1.0 - momentum) * reward;
        return adv;
    }
    /// The advantages of a batch of rewards against the current baseline, then one update with
    /// their mean (as TuNAS: one baseline step per policy step); one reward is `advantage_then_update`.
    std::vector<double> advantages_then_update(const std::vector<double>& rewards) {
        require(!rewards.empty(), "baseline: empty batch of rewards");
        double mean = 0;
        for (double r : rewards) mean += r;
        mean /= static_cast<double>(rewards.size());
        if (!started) {
            value = mean;
            started = true;
        }
        std::vector<double> adv;
        adv.reserve(rewards.size());
        for (double r : rewards) adv.push_back(r - value);
        value = momentum * value + (1.0 - momentum) * mean;
        return adv;
    }
    /// As JSON.
    nlohmann::json to_json() const { return {{"momentum", momentum}, {"value", value}, {"started", started}}; }
    /// Restores a saved baseline.
    void from_json(const nlohmann::json& j) {
        require(j.is_object() && j.contains("value") && j.contains("started"), "baseline: state JSON lacks value or started");
        value = j.at("value").get<double>();
        started = j.at("started").get<bool>();
    }
};

}  // namespace accelnas::search
