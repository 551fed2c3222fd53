// core/: the CSV line splitter, rank statistics and the Nelder-Mead minimizer, each on inputs whose
// answer is known by hand.

#include <accelnas/core/csv.hpp>
#include <accelnas/core/nelder_mead.hpp>
#include <accelnas/core/statistics.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace accelnas;
using strings = std::vector<std::string>;

TEST_CASE("split_csv_line: plain, empty and quoted fields", "[core]") {
    CHECK(split_csv_line("target,model,input") == strings{"target", "model", "input"});
    CHECK(split_csv_line("") == strings{""});
    CHECK(split_csv_line(",a,,") == strings{"", "a", "", ""});
    CHECK(split_csv_line("a,b\r") == strings{"a", "b"});  // CRLF line ending
    CHECK(split_csv_line(" a , b") == strings{" a ", " b"});  // no trimming
    CHECK(split_csv_line("\"x,y\",z") == strings{"x,y", "z"});
    CHECK(split_csv_line("\"say \"\"hi\"\"\",\"\"") == strings{"say \"hi\"", ""});
    CHECK(split_csv_line("a\"b,c") == strings{"a\"b", "c"});  // a quote inside an unquoted field is text
    CHECK(split_csv_line("|nor_conv_3x3~0|+|none~0|skip_connect~1|,0.5") ==
          strings{"|nor_conv_3x3~0|+|none~0|skip_connect~1|", "0.5"});
}

TEST_CASE("split_csv_line: malformed quoting is an error naming the field", "[core][bad]") {
    CHECK_THROWS_WITH(split_csv_line("a,\"b,c"), Catch::Contains("field 2") && Catch::Contains("unterminated"));
    CHECK_THROWS_WITH(split_csv_line("\"a\"b,c"), Catch::Contains("field 1") && Catch::Contains("after the closing quote"));
}

TEST_CASE("kendall_tau: tau-b, hand-counted pairs", "[core]") {
    // 10 pairs: concordant (1,2) (1,5) (2,5) (3,4) (3,5) (4,5), discordant (1,3) (1,4) (2,3) (2,4)
    CHECK(kendall_tau({1, 2, 3, 4, 5}, {3, 4, 1, 2, 5}) == Approx(0.2).epsilon(1e-12));
    // a tie in a: pair (1,2) counts for neither; 2 concordant of 2 untied in a, 3 untied in b
    CHECK(kendall_tau({1, 1, 2}, {1, 2, 3}) == Approx(2.0 / std::sqrt(6.0)).epsilon(1e-12));
    CHECK(kendall_tau({1, 2, 3}, {30, 20, 10}) == Approx(-1.0));
    CHECK(kendall_tau({1, 1, 1}, {1, 2, 3}) == 0.0);
    CHECK_THROWS_WITH(kendall_tau({1}, {1}), Catch::Contains("kendall_tau"));
    CHECK_THROWS_WITH(kendall_tau({1, 2}, {1, 2, 3}), Catch::Contains("kendall_tau"));
}

TEST_CASE("average_ranks and spearman with ties", "[core]") {
    CHECK(average_ranks({10, 20, 20, 5}) == std::vector<double>{1, 2.5, 2.5, 0});
    CHECK(average_ranks({3, 3, 3}) == std::vector<double>{1, 1, 1});
    // Ranks {0, 1.5, 1.5, 3} against {0, 1, 2, 3}: deviations {-1.5, 0, 0, 1.5} and {-1.5, -0.5, 0.5, 1.5},
    // so rho = 4.5 / sqrt(4.5 * 5) = sqrt(0.9).
    CHECK(spearman({1, 2, 2, 3}, {10, 20, 30, 40}) == Approx(std::sqrt(0.9)).epsilon(1e-12));
    CHECK(spearman({1, 2, 3, 4}, {1, 10, 100, 1000}) == Approx(1.0));  // monotone, not linear
    CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
    CHECK(spearman({1, 2, 3}, {5, 5, 5}) == 0.0);  // a constant series has no ranking
    CHECK_THROWS_WITH(spearman({1, 2}, {1, 2, 3}), Catch::Contains("equal-length"));
    CHECK_THROWS_WITH(spearman({1}, {1}), Catch::Contains("at least 2"));
}

TEST_CASE("percentile and summarize_errors", "[core]") {
    CHECK(percentile({4, 1, 3, 2}, 0.5) == Approx(2.5));
    CHECK(percentile({4, 1, 3, 2}, 0.9) == Approx(3.7));
    CHECK(percentile({7}, 0.9) == 7.0);
    CHECK(percentile({}, 0.5) == 0.0);
    CHECK_THROWS_WITH(percentile({1}, 1.5), Catch::Contains("[0, 1]"));
    // Relative errors 0.05, 0, 0.25.
    const auto s = summarize_errors({1.05, 2.0, 2.5}, {1.0, 2.0, 2.0});
    CHECK(s.n == 3);
    CHECK(s.median_rel == Approx(0.05));
    CHECK(s.mean_rel == Approx(0.1));
    CHECK(s.p90_rel == Approx(0.25 - 0.2 * 0.2));  // between 0.05 and 0.25 at position 1.8
    CHECK(s.within10 == Approx(2.0 / 3.0));
    CHECK(s.rmse == Approx(std::sqrt((0.0025 + 0.25) / 3)));
    CHECK(s.spearman == Approx(std::sqrt(0.75)));  // ranks {0, 1, 2} vs {0, 1.5, 1.5}
    CHECK(summarize_errors({}, {}).n == 0);
    CHECK_THROWS_WITH(summarize_errors({1.0}, {0.0}), Catch::Contains("not positive"));
    CHECK_THROWS_WITH(summarize_errors({1.0}, {1.0, 2.0}), Catch::Contains("1 predictions for 2"));
}

TEST_CASE("nelder_mead finds the minimum of Rosenbrock's valley and of a scaled bowl", "[core]") {
    const auto rosenbrock = [](const Eigen::VectorXd& x) {
        return 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0]);
    };
    Eigen::VectorXd x0(2);
    x0 << -1.2, 1.0;  // the classic start; the minimum is (1, 1) with value 0
    const auto x = nelder_mead(rosenbrock, x0, 0.5, 5000, 1e-16);
    CHECK(x[0] == Approx(1.0).epsilon(1e-3));
    CHECK(x[1] == Approx(1.0).epsilon(1e-3));
    CHECK(rosenbrock(x) < 1e-6);

    // A stateful functor (counting its calls) is accepted, and the budget holds up to one iteration.
    struct bowl {
        int calls = 0;
        double operator()(const Eigen::VectorXd& x) {
            ++calls;
            return (x[0] - 1) * (x[0] - 1) + 10 * (x[1] + 2) * (x[1] + 2) + 0.1 * (x[2] - 3) * (x[2] - 3);
        }
    } f;
    const auto y = nelder_mead(f, Eigen::VectorXd::Zero(3), 0.3, 4000);
    CHECK(y[0] == Approx(1.0).epsilon(1e-3));
    CHECK(y[1] == Approx(-2.0).epsilon(1e-3));
    CHECK(y[2] == Approx(3.0).epsilon(1e-3));
    CHECK(f.calls <= 4000 + 4);
    bowl g;
    nelder_mead(g, Eigen::VectorXd::Zero(3), 0.3, 50);
    CHECK(g.calls <= 50 + 4);
}

TEST_CASE("nelder_mead treats NaN as worse than any value and rejects an empty point", "[core]") {
    const auto f = [](const Eigen::VectorXd& x) {
        return x[0] < 0 ? std::numeric_limits<double>::quiet_NaN() : (x[0] - 2) * (x[0] - 2);
    };
    const auto x = nelder_mead(f, Eigen::VectorXd::Constant(1, 0.1), 0.5);
    CHECK(x[0] == Approx(2.0).epsilon(1e-4));
    CHECK_THROWS_WITH(nelder_mead(f, Eigen::VectorXd()), Catch::Contains("no parameters"));
}
