#pragma once
/// \file
/// `any_controller`: one type-erased wrapper for tools that pick the controller by name at run time
/// (`make_controller("reinforce", layout)`). Code that knows its controller uses the type itself.

#include <accelnas/search/controller.hpp>
#include <accelnas/search/evolution.hpp>
#include <accelnas/search/random_search.hpp>
#include <accelnas/search/reinforce.hpp>
#include <accelnas/search/rnn_controller.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accelnas::search {

/// Any `controller` behind one virtual call per proposal or observation.
class any_controller {
public:
    /// Wraps controller `c`.
    template <controller C>
        requires(!std::same_as<std::remove_cvref_t<C>, any_controller>)
    explicit any_controller(C c) : p_(std::make_unique<model<C>>(std::move(c))) {}

    /// The space's layout.
    const decision_layout& layout() const { return p_->layout(); }
    /// A proposal of the wrapped controller.
    space::architecture propose(rng& g) { return p_->propose(g); }
    /// Forwards an observation.
    void observe(const space::architecture& a, double r) { p_->observe(a, r); }
    /// Forwards a round of observations (`search::observe_batch` of the wrapped controller).
    void observe_batch(std::span<const space::architecture> a, std::span<const double> r) { p_->observe_batch(a, r); }
    /// The wrapped controller's state.
    nlohmann::json to_json() const { return p_->to_json(); }
    /// Restores the wrapped controller's state.
    void from_json(const nlohmann::json& j) { p_->from_json(j); }

private:
    struct base {
        virtual ~base() = default;
        virtual const decision_layout& layout() const = 0;
        virtual space::architecture propose(rng&) = 0;
        virtual void observe(const space::architecture&, double) = 0;
        virtual void observe_batch(std::span<const space::architecture>, std::span<const double>) = 0;
        virtual nlohmann::json to_json() const = 0;
        virtual void from_json(const nlohmann::json&) = 0;
    };
    template <class C>
    struct model final : base {
        explicit model(C x) : c(std::move(x)) {}
        const decision_layout& layout() const override { return c.layout(); }
        space::architecture propose(rng& g) override { return c.propose(g); }
        void observe(const space::architecture& a, double r) override { c.observe(a, r); }
        void observe_batch(std::span<const space::architecture> a, std::span<const double> r) override {
            search::observe_batch(c, a, r);
        }
        nlohmann::json to_json() const override { return c.to_json(); }
        void from_json(const nlohmann::json& j) override { c.from_json(j); }
        C c;
    };
    std::unique_ptr<base> p_;
};

static_assert(controller<any_controller>);

/// Names `make_controller` knows.
inline std::vector<std::string> controller_names() { return {"random", "evolution", "reinforce", "rnn"}; }

/// Options of the controllers `make_controller` builds (each reads its own part).
struct controller_options {
    evolution_options evolution = {};  ///< for "evolution"
    reinforce_options reinforce = {};  ///< for "reinforce"
    rnn_options rnn = {};              ///< for "rnn"
};

/// The controller called `name` ("random", "evolution", "reinforce", "rnn") over layout `l`;
/// `accelnas::error` listing the names otherwise.
inline any_controller make_controller(std::string_view name, const decision_layout& l, const controller_options& o = {}) {
    if (name == "random") return any_controller(random_search<>(l));
    if (name == "evolution") return any_controller(evolution<>(l, o.evolution));
    if (name == "reinforce") return any_controller(reinforce<>(l, o.reinforce));
    if (name == "rnn") return any_controller(rnn_controller<>(l, o.rnn));
    fail("unknown controller '", name, "' (expected one of: random, evolution, reinforce, rnn)");
}

}  // namespace accelnas::search
