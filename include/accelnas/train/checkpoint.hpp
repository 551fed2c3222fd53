#pragma once
/// \file
/// Training checkpoints: the model (parameters and batch-norm statistics, as `model::save`) plus
/// everything `train::fit` needs to continue a run exactly where it stopped - the optimizer with its
/// state, the schedule position (steps taken), the state of the rng that draws the order and the
/// augmentation, the shuffled order itself and the epoch. A run resumed from the checkpoint of
/// epoch k ends with bitwise the same weights as the uninterrupted run (same thread count). Files
/// are written whole or not at all (`write_file_atomically`).

#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/optimizers.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace accelnas::train {

/// Where a training run stands after a completed epoch.
struct training_state {
    std::size_t epoch = 0;             ///< epochs completed
    std::size_t step = 0;              ///< optimizer steps taken (the schedule's position)
    std::string run;                   ///< the settings a resumed run must match (written by `fit`)
    std::string rng_state;             ///< the rng of order and augmentation (its text form)
    std::vector<std::uint64_t> order;  ///< the training order (each epoch shuffles it further)
    train::optimizer opt = sgd{};      ///< the optimizer with its state
    double train_seconds = 0;          ///< training wall time so far
};

namespace detail {

inline constexpr char training_magic[8] = {'A', 'N', 'A', 'S', 'T', 'R', 'N', '1'};

template <class T>
void ckpt_put(std::ostream& f, T v) { f.write(reinterpret_cast<const char*>(&v), sizeof v); }
template <class T>
T ckpt_get(std::istream& f, const std::string& path) {
    T v{};
    f.read(reinterpret_cast<char*>(&v), sizeof v);
    require(bool(f), "train::load_training_checkpoint: '", path, "': truncated");
    return v;
}
inline void ckpt_put_string(std::ostream& f, const std::string& s) {
    ckpt_put<std::uint64_t>(f, s.size());
    f.write(s.data(), std::streamsize(s.size()));
}
inline std::string ckpt_get_string(std::istream& f, const std::string& path) {
    const auto n = ckpt_get<std::uint64_t>(f, path);
    require(n < (std::uint64_t{1} << 24), "train::load_training_checkpoint: '", path, "': corrupt string length");
    std::string s(n, '\0');
    f.read(s.data(), std::streamsize(n));
    require(bool(f), "train::load_training_checkpoint: '", path, "': truncated");
    return s;
}
inline void ckpt_put_tensors(std::ostream& f, const std::vector<tensor>& ts) {
    ckpt_put<std::uint64_t>(f, ts.size());
    for (const auto& t : ts) {
        for (auto d : t.shape()) ckpt_put<std::uint64_t>(f, d);
        f.write(reinterpret_cast<const char*>(t.data()), std::streamsize(t.size() * sizeof(float)));
    }
}
inline std::vector<tensor> ckpt_get_tensors(std::istream& f, const std::string& path, const model& m) {
    const auto n = ckpt_get<std::uint64_t>(f, path);
    const auto& ps = m.parameters();
    require(n == 0 || n == ps.size(), "train::load_training_checkpoint: '", path, "': optimizer state of ", n,
            " tensors for a model of ", ps.size(), " parameters");
    std::vector<tensor> ts;
    for (std::size_t i = 0; i < n; ++i) {
        shape4 s;
        for (auto& d : s) d = std::size_t(ckpt_get<std::uint64_t>(f, path));
        require(s == shape_of(ps[i].value), "train::load_training_checkpoint: '", path,
                "': optimizer state of '", ps[i].name, "' has another shape than the parameter");
        tensor t = xt::empty<float>(s);
        f.read(reinterpret_cast<char*>(t.data()), std::streamsize(t.size() * sizeof(float)));
        require(bool(f), "train::load_training_checkpoint: '", path, "': truncated (optimizer state)");
        ts.push_back(std::move(t));
    }
    return ts;
}

// The fields of each optimizer in file order; `io` writes or reads one field (a float, a bool, a
// step count or a vector of state tensors).
template <class IO>
void optimizer_fields(sgd& o, IO&& io) { io(o.momentum); io(o.nesterov); io(o.weight_decay); io(o.buf_); }
template <class IO>
void optimizer_fields(rmsprop& o, IO&& io) {
    io(o.decay); io(o.momentum); io(o.epsilon); io(o.weight_decay); io(o.ms_); io(o.mom_);
}
template <class IO>
void optimizer_fields(adam& o, IO&& io) {
    io(o.beta1); io(o.beta2); io(o.epsilon); io(o.weight_decay); io(o.m_); io(o.v_); io(o.t_);
}

}  // namespace detail

/// Writes `m` and `s` to `path`, whole or not at all.
inline void save_training_checkpoint(const std::string& path, const model& m, const training_state& s) {
    using namespace detail;
    write_file_atomically(path, [&](std::ostream& f) {
        f.write(training_magic, sizeof training_magic);
        m.save(f);
        ckpt_put<std::uint64_t>(f, s.epoch);
        ckpt_put<std::uint64_t>(f, s.step);
        ckpt_put_string(f, s.run);
        ckpt_put_string(f, s.rng_state);
        ckpt_put<std::uint64_t>(f, s.order.size());
        f.write(reinterpret_cast<const char*>(s.order.data()), std::streamsize(s.order.size() * sizeof(std::uint64_t)));
        ckpt_put<double>(f, s.train_seconds);
        ckpt_put<std::uint32_t>(f, std::uint32_t(s.opt.index()));
        std::visit(
            [&](const auto& o) {
                // The writer only reads the fields (one field list serves writing and reading).
                optimizer_fields(const_cast<std::decay_t<decltype(o)>&>(o), [&](const auto& field) {
                    using F = std::decay_t<decltype(field)>;
                    if constexpr (std::is_same_v<F, std::vector<tensor>>) ckpt_put_tensors(f, field);
                    else if constexpr (std::is_same_v<F, std::size_t>) ckpt_put<std::uint64_t>(f, field);
                    else ckpt_put(f, field);
                });
            },
            s.opt);
    });
}

/// True when `path` starts like a training checkpoint (rather than a `model::save` one).
inline bool is_training_checkpoint(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    char m[sizeof detail::training_magic] = {};
    f.read(m, sizeof m);
    return bool(f) && std::memcmp(m, detail::training_magic, sizeof m) == 0;
}

/// Reads a training checkpoint into `m` (which must be of the checkpoint's network) and returns the
/// run's state. A missing, truncated or foreign file raises `accelnas::error`; the model is changed
/// only when the whole file was read.
inline training_state load_training_checkpoint(const std::string& path, model& m) {
    using namespace detail;
    std::ifstream f(path, std::ios::binary);
    require(bool(f), "train::load_training_checkpoint: cannot open '", path, "'");
    char magic[sizeof training_magic];
    f.read(magic, sizeof magic);
    require(bool(f) && std::memcmp(magic, training_magic, sizeof magic) == 0, "train::load_training_checkpoint: '",
            path, "' is not a training checkpoint (a model checkpoint loads with --load / model::load)");
    // The model block is read into a scratch copy first, so a bad tail leaves `m` unchanged.
    std::vector<tensor> keep;
    for (const auto& p : m.parameters()) keep.push_back(p.value);
    std::vector<std::pair<tensor, tensor>> keep_bn;
    for (std::size_t i = 0; i < m.network().size(); ++i) {
        const auto [rm, rv] = m.bn_statistics(i);
        keep_bn.emplace_back(rm, rv);
    }
    m.load(f, path, false);
    try {
        training_state s;
        s.epoch = std::size_t(ckpt_get<std::uint64_t>(f, path));
        s.step = std::size_t(ckpt_get<std::uint64_t>(f, path));
        s.run = ckpt_get_string(f, path);
        s.rng_state = ckpt_get_string(f, path);
        const auto n = ckpt_get<std::uint64_t>(f, path);
        require(n < (std::uint64_t{1} << 40), "train::load_training_checkpoint: '", path, "': corrupt order length");
        s.order.resize(std::size_t(n));
        f.read(reinterpret_cast<char*>(s.order.data()), std::streamsize(n * sizeof(std::uint64_t)));
        require(bool(f), "train::load_training_checkpoint: '", path, "': truncated (order)");
        s.train_seconds = ckpt_get<double>(f, path);
        const auto kind = ckpt_get<std::uint32_t>(f, path);
        require(kind < std::variant_size_v<train::optimizer>, "train::load_training_checkpoint: '", path,
                "': unknown optimizer kind ", kind);
        s.opt = kind == 0 ? train::optimizer(sgd{}) : kind == 1 ? train::optimizer(rmsprop{}) : train::optimizer(adam{});
        std::visit(
            [&](auto& o) {
                optimizer_fields(o, [&](auto& field) {
                    using F = std::decay_t<decltype(field)>;
                    if constexpr (std::is_same_v<F, std::vector<tensor>>) field = ckpt_get_tensors(f, path, m);
                    else if constexpr (std::is_same_v<F, std::size_t>) field = std::size_t(ckpt_get<std::uint64_t>(f, path));
                    else field = ckpt_get<F>(f, path);
                });
            },
            s.opt);
        f.peek();
        require(f.eof(), "train::load_training_checkpoint: '", path, "': trailing bytes after the optimizer state");
        return s;
    } catch (...) {
        for (std::size_t i = 0; i < keep.size(); ++i) m.parameters()[i].value = keep[i];
        for (std::size_t i = 0; i < keep_bn.size(); ++i) m.restore_bn_statistics(i, keep_bn[i].first, keep_bn[i].second);
        throw;
    }
}

/// Loads the weights of either kind of checkpoint (`model::save` or a training checkpoint) into `m`:
/// what evaluation needs (`accelnas-train --load CKPT --eval-only`).
inline void load_weights(model& m, const std::string& path) {
    if (!is_training_checkpoint(path)) {
        m.load(path);
        return;
    }
    (void)load_training_checkpoint(path, m);
}

}  // namespace accelnas::train
