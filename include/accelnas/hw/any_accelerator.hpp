#pragma once
/// \file
/// `hw::any_accelerator`: a type-erased accelerator model for the edge of a program (a target chosen
/// by name on the command line). Search loops that know their model at compile time use it directly.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/report.hpp>

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace accelnas::hw {

/// Holds any `accelerator_model` behind one virtual call per estimate. Copies share the model
/// (models are immutable), so copying is cheap and thread-safe.
class any_accelerator {
public:
    /// Wraps `m`.
    template <accelerator_model M>
        requires(!std::same_as<std::remove_cvref_t<M>, any_accelerator>)
    any_accelerator(M m) : p_(std::make_shared<const model<M>>(std::move(m))) {}  // NOLINT: implicit by design

    /// Target name of the wrapped model.
    std::string name() const { return std::string(self().name()); }
    /// Full report of the wrapped model.
    latency_report estimate(const graph::network& net) const { return self().estimate(net); }
    /// Total seconds of the wrapped model.
    double seconds(const graph::network& net) const { return self().seconds(net); }

private:
    struct base {
        virtual ~base() = default;
        virtual std::string name() const = 0;
        virtual latency_report estimate(const graph::network&) const = 0;
        virtual double seconds(const graph::network&) const = 0;
    };
    template <class M>
    struct model final : base {
        explicit model(M x) : m(std::move(x)) {}
        std::string name() const override { return std::string(m.name()); }
        latency_report estimate(const graph::network& n) const override { return m.estimate(n); }
        double seconds(const graph::network& n) const override { return m.seconds(n); }
        M m;
    };
    const base& self() const {
        require(p_ != nullptr, "any_accelerator: empty (moved-from) model");
        return *p_;
    }
    std::shared_ptr<const base> p_;
};

static_assert(accelerator_model<any_accelerator>);

}  // namespace accelnas::hw
