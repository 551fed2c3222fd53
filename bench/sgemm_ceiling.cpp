// The one-core compute ceiling the trainer is measured against: an Eigen SGEMM (row-major, as the
// trainer's convolutions call it) at sizes of ResNet-50's GEMMs at 32x32 and batch 64 (rows = output
// pixels of the batch, inner = kh*kw*c_in, columns = c_out). GFLOP/s counts 2 flops per MAC.
#include <Eigen/Core>

#include <benchmark/benchmark.h>

namespace {

using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// args: rows, inner, columns
void sgemm(benchmark::State& st) {
    const auto m = st.range(0), k = st.range(1), n = st.range(2);
    const matrix a = matrix::Random(m, k), b = matrix::Random(k, n);
    matrix c(m, n);
    for (auto _ : st) {
        c.noalias() = a * b;
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    st.counters["GFLOPS"] = benchmark::Counter(2.0 * double(m) * double(k) * double(n),
                                               benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
// conv2 3x3 of a bottleneck at 8x8 (64 x 8 x 8 rows, 3*3*64 inner, 64 out); conv4 at 2x2 (3*3*256,
// 256); a 1x1 expansion at 8x8 (64 -> 256).
BENCHMARK(sgemm)->Args({4096, 576, 64})->Args({256, 2304, 256})->Args({4096, 64, 256})->Unit(benchmark::kMillisecond);

}  // namespace
