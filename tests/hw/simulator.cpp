// The discrete-event simulator and its compiler pass: the instruction stream, contention on the
// on-chip network, bank conflicts, overlap of independent ops, determinism, the bounded event loop,
// the Chrome trace, per-op limiter and utilization; robust configs and the SCALE-Sim convention.
#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include "nets.hpp"

#include <cmath>
#include <fstream>
#include <set>

using namespace accelnas;
using graph::activation;
using graph::network;

namespace {

using hw_test::single_conv;

// A config without fixed costs and with fast links, so that one mechanism at a time shows.
hw::edgetpu_config bare() {
    auto c = hw::targets::coral_usb();
    c.name = "bare";
    c.op_overhead_cycles = c.pool_overhead_cycles = c.vector_overhead_cycles = 0;
    c.inference_overhead_seconds = 0;
    c.host_latency_seconds = 0;
    return c;
}

}  // namespace

TEST_CASE("compiler: tile split, weight blocks and fetched rows of a convolution", "[hw][sim]") {
    // 28x28x64 -> 128, 3x3 SAME on 16 tiles of 64 cells x 4 lanes: the reduction is 9 x 64 = 576
    // long (9 blocks of 64 cells). Positions through the busiest tile per split: 16 row tiles: 2 rows
    // x 28 x (32 x 9 blocks) = 16,128; 4 x 4: 7 x 28 x (8 x 9) = 14,112; 1 row x 16 channel tiles:
    // 28 x 28 x (2 x 9) = 14,112. The tie goes to fewer weight blocks: 1 x 16, 18 blocks per tile.
    const auto net = single_conv(28, 64, 128, 3);
    const auto prog = hw::compile(net, hw::targets::coral_usb());
    REQUIRE(prog.ops.size() == 1);
    const auto& op = prog.ops[0];
    CHECK(op.ts == 1);
    CHECK(op.tk == 16);
    CHECK(op.blocks == 2 * 9);
    CHECK(op.passes.size() == 16 * 18);
    CHECK(op.block_bytes.at(0) == 64 * 4 + 4 * 4);  // 64 cells x 4 lanes of weights, 4 int32 biases
    // A pass streams all 784 positions; it fetches the 28 input rows (the padding rows are never
    // fetched) with ceil(64 cells / 9 taps) = 8 channels each.
    const auto& first = op.passes[0];
    CHECK(first.positions == 28 * 28);
    CHECK(first.read_bytes == 28 * 28 * 8);
    CHECK(first.write_bytes == 0);          // outputs leave with the last reduction block
    CHECK(op.passes[8].write_bytes == 28 * 28 * 4);
    // Row tiles fetch only their rows plus the halo: 4 rows of 14 at stride 2, 3x3 SAME on 28x28 -> 14x14.
    network s2("s2");
    auto x2 = s2.input({1, 28, 28, 64});
    s2.conv2d(x2, {.filters = 8, .kernel = 3, .stride = 2});
    const auto p2 = hw::compile(s2, hw::targets::coral_usb());
    // 16 x 1: 1 row x 14 x (2 x 9 blocks) = 252; 8 x 2: 2 rows x 14 x (1 x 9) = 252, fewer blocks.
    CHECK(p2.ops.at(0).ts == 8);
    // Tile 0 computes output rows 0 and 1: SAME padding adds one row, at the bottom (TensorFlow puts
    // the smaller half on top), so input rows 0..2 and 2..4: 5 rows fetched.
    CHECK(p2.ops[0].passes.at(0).read_bytes == 5 * 28 * 8);
    // MACs of all passes are the op's.
    std::int64_t macs = 0;
    for (const auto& p : op.passes) macs += p.macs;
    CHECK(macs == graph::cost_of(net).macs);
    CHECK(prog.param_bytes_cached == 9 * 64 * 128 + 4 * 128);
}

TEST_CASE("simulator: the same input gives the same cycles, op by op and in the trace", "[hw][sim]") {
    const auto net = zoo::build("inception_v1");
    const hw::simulator sim(hw::targets::coral_usb());
    hw::sim::trace t1, t2;
    const auto a = sim.estimate(net, t1), b = sim.estimate(net, t2);
    CHECK(a.total_cycles == b.total_cycles);
    REQUIRE(a.ops.size() == b.ops.size());
    for (std::size_t i = 0; i < a.ops.size(); ++i) CHECK(a.ops[i].cycles == b.ops[i].cycles);
    REQUIRE(t1.spans.size() == t2.spans.size());
    for (std::size_t i = 0; i < t1.spans.size(); ++i) {
        CHECK(t1.spans[i].start == t2.spans[i].start);
        CHECK(t1.spans[i].end == t2.spans[i].end);
    }
    CHECK(sim.seconds(net) == a.total_seconds);
}

TEST_CASE("simulator: tiles contend for the on-chip network", "[hw][sim]") {
    // A 1x1 conv at 7x7 with 1024 -> 1024 channels runs on 16 channel groups, each needing 1 MiB / 16
    // of weights per inference through the network. With a network of 8 B/cycle the groups queue
    // behind each other: the op takes at least its weight bytes / 8 cycles, far more than its compute.
    auto c = bare();
    c.sram_bytes_per_cycle = 8;
    const auto net = single_conv(7, 1024, 1024, 1);
    const auto r = hw::simulator(c).estimate(net);
    const double weight_cycles = (1024.0 * 1024 + 4 * 1024) / 8;
    CHECK(static_cast<double>(r.ops.at(0).cycles) >= weight_cycles);
    CHECK(r.ops[0].bound == hw::limiter::on_chip_memory);
    // With a fast network the same op is compute-bound and much shorter.
    auto fast = bare();
    fast.sram_bytes_per_cycle = 4096;
    const auto rf = hw::simulator(fast).estimate(net);
    CHECK(rf.ops.at(0).bound == hw::limiter::compute);
    CHECK(rf.ops[0].cycles * 2 < r.ops[0].cycles);
}

TEST_CASE("simulator: strided narrow-memory accesses conflict on banks", "[hw][sim]") {
    // A depthwise lane reads one byte per position at a stride of the position pitch. The narrow
    // memory has 16 banks of 4 bytes whatever its bandwidth (16 B/cycle here: 4 words a cycle at
    // most). At a 64-byte pitch (16 words) every byte lands on the same bank: one byte per cycle; at
    // 65 words the stride walks over all banks.
    hw::sim::narrow_memory m(16);
    STATIC_REQUIRE(hw::sim::narrow_memory::banks == 16);
    CHECK(hw::sim::narrow_memory(64.8).banks == 16);  // a fitted bandwidth does not change the banks
    CHECK(m.strided_rate(1, 64) == 1.0);
    CHECK(m.strided_rate(1, 64 * 4) == 1.0);  // 64 words apart: always bank 0
    CHECK(m.strided_rate(1, 65 * 4) == 4.0);  // 65 words apart: every bank, the port's 4 words a cycle
    CHECK(m.strided_rate(1, 4 * 5) == 4.0);   // 5 words apart: all 16 banks
    CHECK(m.strided_rate(1, 4 * 8) == 2.0);   // 8 words apart: banks 0 and 8
    // Contiguous streams run at the full rate.
    CHECK(m.cycles(160, 0, 0, 1.0, [] { return "x"; }) == 10);
    CHECK(m.cycles(160, 1, 64, m.strided_rate(1, 64), [] { return "x"; }) == 160);
    // The compiler pads a depthwise input's pitch to an odd number of words (64 channels: 17 words),
    // so in a whole op 64 channels cost no more than 68 on a device whose narrow memory is the bottleneck.
    auto c = bare();
    c.tile_bytes_per_cycle = 16;
    const auto n64 = single_conv(56, 64, 64, 3, true), n68 = single_conv(56, 68, 68, 3, true);
    CHECK(hw::compile(n64, c).ops.at(0).segment_stride == 68);
    CHECK(hw::compile(n68, c).ops.at(0).segment_stride == 68);
    const hw::simulator sim(c);
    CHECK(sim.estimate(n64).ops.at(0).cycles <= sim.estimate(n68).ops.at(0).cycles);
}

TEST_CASE("simulator: independent ops overlap, a chain does not", "[hw][sim]") {
    // Two branches from one input, joined by an add: the second branch's set-up and passes run while
    // the first still computes, so the whole is shorter than the sum of the ops' spans.
    network n("branches");
    auto x = n.input({1, 28, 28, 64});
    auto a = n.conv2d(x, {.filters = 64, .kernel = 3, .name = "a"});
    auto b = n.conv2d(x, {.filters = 64, .kernel = 3, .name = "b"});
    n.add(a, b);
    const auto r = hw::simulator(hw::targets::coral_usb()).estimate(n);
    const auto& oa = r.ops.at(0);
    const auto& ob = r.ops.at(1);
    CHECK(oa.name == "a");
    CHECK(ob.name == "b");
    // b's span overlaps a's: b adds less than its span to the inference.
    CHECK(ob.seconds * r.clock_hz < 0.9 * static_cast<double>(ob.cycles));
    // A chain of the same two convs: each adds its span (less the drain its successor overlaps).
    network chain("chain");
    auto y = chain.input({1, 28, 28, 64});
    y = chain.conv2d(y, {.filters = 64, .kernel = 3, .name = "a"});
    chain.conv2d(y, {.filters = 64, .kernel = 3, .name = "b"});
    const auto rc = hw::simulator(hw::targets::coral_usb()).estimate(chain);
    CHECK(rc.ops.at(1).seconds * rc.clock_hz >= 0.95 * static_cast<double>(rc.ops[1].cycles));
}

TEST_CASE("simulator: without branch set-up overlap an op waits for every earlier op", "[hw][sim]") {
    // Two ReLUs of one 16x16x64 input, joined by an add, on 16 tiles (one row each) with a
    // 1,000-cycle set-up per vector op. A ReLU pass moves 1,024 bytes in and 1,024 out through the
    // 64 B/cycle port: 32 cycles (its 1,024 elements take 16 at 64 per cycle). From the input:
    // - overlap (default): a sets up 0-1000 and runs 1000-1032; b reads only the input, so it sets up
    //   1000-2000 while a runs and runs 2000-2032: b adds 2032 - 1032 = 1000 cycles; the add starts
    //   when b is done, 2032;
    // - one op at a time: b's set-up waits for a, 1032-2032, and runs 2032-2064: it adds 1032 cycles;
    //   the add starts 32 cycles later, at 2064, and so does everything after it.
    network n("relus");
    auto x = n.input({1, 16, 16, 64});
    auto a = n.activate(x, activation::relu, "a");
    auto b = n.activate(x, activation::relu, "b");
    n.add(a, b, {.name = "sum"});
    auto c = bare();
    c.vector_overhead_cycles = 1000;
    auto serial = c;
    serial.overlap_branch_setup = false;
    const auto ro = hw::simulator(c).estimate(n), rs = hw::simulator(serial).estimate(n);
    REQUIRE(ro.ops.size() == 3);
    REQUIRE(rs.ops.size() == 3);
    CHECK(std::llround(ro.ops[0].seconds * ro.clock_hz) == 1032);
    CHECK(std::llround(rs.ops[0].seconds * rs.clock_hz) == 1032);
    CHECK(std::llround(ro.ops[1].seconds * ro.clock_hz) == 1000);
    CHECK(std::llround(rs.ops[1].seconds * rs.clock_hz) == 1032);
    CHECK(rs.total_cycles - ro.total_cycles == 32);
    // A chain, where every op reads its predecessor, runs the same either way.
    network chain("chain");
    auto y = chain.input({1, 16, 16, 64});
    y = chain.activate(y, activation::relu, "a");
    chain.activate(y, activation::relu, "b");
    CHECK(hw::simulator(c).estimate(chain).total_cycles == hw::simulator(serial).estimate(chain).total_cycles);
    // Shipped: only coral-latbench issues one op at a time.
    CHECK_FALSE(hw::targets::coral_latbench().overlap_branch_setup);
    CHECK(hw::targets::coral_usb().overlap_branch_setup);
}

TEST_CASE("simulator: limiter and utilization mean what they say, in both estimators", "[hw][sim]") {
    // A deep 3x3 conv with a fast narrow memory is compute-bound in both.
    const auto deep = single_conv(28, 256, 256, 3);
    for (const char* e : {"sim", "apm"}) {
        const auto r = hw::make_target("coral-usb", e).estimate(deep);
        INFO(e);
        CHECK(r.ops.at(0).bound == hw::limiter::compute);
        // utilization = MACs / (peak x span)
        const double peak = 16.0 * 64 * 4;
        CHECK(r.ops[0].utilization == Approx(static_cast<double>(r.ops[0].macs) / (peak * static_cast<double>(r.ops[0].cycles))));
    }
    // The same op with a narrow memory of 2 B/cycle is bound by it, whatever its compute time.
    auto slow = hw::targets::coral_usb();
    slow.tile_bytes_per_cycle = 2;
    for (const char* e : {"sim", "apm"}) {
        const auto r = hw::make_target("coral-usb", e, hw::device_config{slow}).estimate(deep);
        INFO(e);
        CHECK(r.ops.at(0).bound == hw::limiter::on_chip_memory);
    }
    // The two estimators' utilizations agree within 15% on a compute-bound op.
    const double us = hw::make_target("coral-usb", "sim").estimate(deep).ops[0].utilization;
    const double ua = hw::make_target("coral-usb", "apm").estimate(deep).ops[0].utilization;
    CHECK(us == Approx(ua).epsilon(0.15));
}

TEST_CASE("simulator: the Chrome trace has one track per resource and spans per op", "[hw][sim]") {
    const auto net = zoo::build("mobilenet_v2");
    const hw::simulator sim(hw::targets::coral_usb());
    hw::sim::trace t;
    const auto r = sim.estimate(net, t);
    std::set<std::string> tracks(t.tracks.begin(), t.tracks.end());
    for (const char* name : {"host link", "dma: input", "dma: outputs", "on-chip network", "vector path", "sequencer",
                             "tile 0", "tile 15"})
        CHECK(tracks.count(name) == 1);
    std::set<std::string> ops_on_tiles;
    for (const auto& s : t.spans) {
        CHECK(s.end > s.start);
        CHECK(s.end <= r.total_cycles);
        if (t.tracks[s.track].rfind("tile ", 0) == 0) ops_on_tiles.insert(s.name);
    }
    CHECK(ops_on_tiles.count(r.ops.at(0).name) == 1);
    const auto j = hw::sim::to_chrome_trace(t);
    std::size_t x = 0, meta = 0;
    for (const auto& e : j.at("traceEvents")) (e.at("ph") == "X" ? x : meta) += 1;
    CHECK(x == t.spans.size());
    CHECK(meta == 1 + 2 * t.tracks.size());
}

TEST_CASE("simulator: bad input is a clear error, never a hang", "[hw][sim][bad]") {
    // A row of input that does not fit a tile's narrow memory.
    auto c = hw::targets::coral_usb();
    c.tile_memory_bytes = 4096;
    network wide("wide");
    auto x = wide.input({1, 4, 4096, 8});
    wide.conv2d(x, {.filters = 8, .kernel = 3, .name = "wide_conv"});
    CHECK_THROWS_WITH(hw::simulator(c).estimate(wide), Catch::Contains("wide_conv") && Catch::Contains("narrow memory"));
    // A network with an op the target cannot run and no host fallback.
    auto strict = hw::targets::coral_usb();
    strict.host_fallback = false;
    network sw("swish");
    auto y = sw.input({1, 8, 8, 8});
    sw.conv2d(y, {.filters = 8, .act = activation::swish, .name = "swish_conv"});
    CHECK_THROWS_WITH(hw::simulator(strict).estimate(sw), Catch::Contains("swish_conv"));
    // A program whose instructions can never all run (a weight block no transfer delivers) stops
    // with an error naming the op instead of looping.
    const auto net = single_conv(8, 8, 8, 3);
    auto prog = hw::compile(net, hw::targets::coral_usb());
    prog.ops[0].passes[0].block = prog.ops[0].blocks + 5;
    hw::sim::device dev(prog, net, hw::targets::coral_usb(), nullptr);
    CHECK_THROWS_WITH(dev.run(), Catch::Contains("conv2d"));
    // The event loop's bound: a program that claims fewer instructions than its passes and transfers
    // (so the bound, 8 per instruction plus 64 per op, is below the events the run needs) stops with
    // the bound's error naming the op it was at, not a hang.
    const auto mv1 = zoo::build("mobilenet_v1");
    auto under = hw::compile(mv1, hw::targets::coral_usb());
    std::size_t passes = 0;
    for (const auto& o : under.ops) passes += o.passes.size();
    REQUIRE(passes > 64 * under.ops.size() + 1024);  // more passes than the understated bound allows events
    under.instructions = 0;
    hw::sim::device stuck(under, mv1, hw::targets::coral_usb(), nullptr);
    CHECK_THROWS_WITH(stuck.run(), Catch::Contains("did not finish within") && Catch::Contains("stuck at"));
}

TEST_CASE("configs: upper bounds, integer fields, partial overrides of a target", "[hw][bad]") {
    auto bad = [](auto mutate, const char* field) {
        auto c = hw::targets::coral_usb();
        mutate(c);
        CHECK_THROWS_WITH(hw::simulator(c), Catch::Contains(field));
        CHECK_THROWS_WITH(hw::apm(c), Catch::Contains(field));
    };
    bad([](auto& c) { c.host_bytes_per_second = 1e-6; }, "host_bytes_per_second");
    bad([](auto& c) { c.clock_hz = 1e-300; }, "clock_hz");
    bad([](auto& c) { c.clock_hz = 1e300; }, "clock_hz");
    bad([](auto& c) { c.tile_bytes_per_cycle = 1e30; }, "tile_bytes_per_cycle");
    bad([](auto& c) { c.param_cache_bytes = std::int64_t{1} << 60; }, "param_cache_bytes");
    bad([](auto& c) { c.op_overhead_cycles = std::int64_t{1} << 60; }, "op_overhead_cycles");
    CHECK_THROWS_WITH(hw::make_target("systolic-4611686018427387904x4611686018427387904-os"), Catch::Contains("rows"));
    // Integer fields given as a fraction are errors naming the key.
    auto j = hw::config_to_json(hw::targets::coral_usb());
    j["tiles"] = 16.9;
    CHECK_THROWS_WITH(hw::config_from_json(j), Catch::Contains("tiles") && Catch::Contains("integer"));
    // A partial config overrides the named target's shipped config, not the library defaults.
    const nlohmann::json partial = {{"schema", "accelnas.hw_config"}, {"kind", "edgetpu"}, {"clock_hz", 400e6}};
    const auto cfg = std::get<hw::edgetpu_config>(hw::config_from_json(partial, hw::targets::target_config("coral-devboard")));
    CHECK(cfg.clock_hz == 400e6);
    CHECK(cfg.host_bytes_per_second == hw::targets::coral_devboard().host_bytes_per_second);
    CHECK(cfg.name == "coral-devboard");
}

TEST_CASE("systolic targets count a VALID strided conv with SCALE-Sim's output size", "[hw]") {
    // 56x56x64, 3x3, stride 2, VALID, 64 filters on 32x32 os: SCALE-Sim's E = ceil((56 - 3 + 2) / 2) = 28
    // (TensorFlow's is 27): 784 pixels -> 25 row folds x 2 column folds of 9*64 + 32 + 32 - 2 = 638
    // cycles, minus one: 31,899.
    network n("valid");
    auto x = n.input({1, 56, 56, 64});
    n.conv2d(x, {.filters = 64, .kernel = 3, .stride = 2, .pad = graph::padding::valid});
    CHECK(n.ops()[1].out.h == 27);  // the graph keeps TensorFlow's size
    CHECK(hw::systolic_array(*hw::targets::parse_systolic("systolic-32x32-os")).op_cycles(n, 1) == 31899);
}
