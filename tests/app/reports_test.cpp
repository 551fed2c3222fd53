// The report formatters of the tools (app/info_report.hpp, app/latency_report.hpp,
// app/space_report.hpp) and the tool rules (app/tool.hpp).

#include <accelnas/app/info_report.hpp>
#include <accelnas/app/latency_report.hpp>
#include <accelnas/app/space_report.hpp>
#include <accelnas/app/tool.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace accelnas;

TEST_CASE("tool rules: exit codes and the one message form", "[app]") {
    CHECK(app::error_line("accelnas-x", "bad") == "accelnas-x: error: bad");
    std::ostringstream err;
    CHECK(app::run_guarded("accelnas-x", [] { return 0; }, err) == 0);
    CHECK(err.str().empty());
    CHECK(app::run_guarded("accelnas-x", []() -> int { app::usage_fail("--budget must be at least 1"); }, err) == 2);
    CHECK(err.str() == "accelnas-x: error: --budget must be at least 1\nRun with --help for more information.\n");
    err.str("");
    CHECK(app::run_guarded("accelnas-x", []() -> int { fail("model spec 'x': unknown"); }, err) == 1);
    CHECK(err.str() == "accelnas-x: error: model spec 'x': unknown\n");
    err.str("");
    CHECK(app::run_guarded("accelnas-x", []() -> int { throw std::runtime_error("vector::reserve"); }, err) == 1);
    CHECK(err.str() == "accelnas-x: error: vector::reserve\n");
    CHECK_THROWS_AS(app::usage_require(false, "x"), app::usage_error);
    CHECK_NOTHROW(app::usage_require(true, "x"));
    CHECK(app::printf_string("%5.1f|%s", 2.25, "ab") == "  2.2|ab");
    CHECK(app::printf_string("%s", std::string(300, 'y').c_str()).size() == 300);
}

TEST_CASE("info report: helpers and a model's row against its published counts", "[app]") {
    namespace info = app::info;
    CHECK(info::csv_field("plain") == "plain");
    CHECK(info::csv_field("a,b") == "\"a,b\"");
    CHECK(info::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(info::plain(1.79e9) == "1790000000");
    CHECK(info::percent(76.0) == "76.0");
    CHECK(info::percent(77.23) == "77.23");
    CHECK(info::diff_pct(zoo::published_figure{100.0, "src"}, 102) == "+2.0%");
    CHECK(info::diff_pct(std::nullopt, 5).empty());
    // VGG-16 at 224: 15,470,264,320 MACs and 138,357,544 parameters (Simonyan & Zisserman; the
    // counts every reference implementation reproduces).
    const auto r = info::make_row("vgg16");
    CHECK(info::input_text(r.net) == "224x224x3");
    std::ostringstream csv;
    info::print(csv, {r}, "csv", false);
    std::string header, row;
    std::istringstream in(csv.str());
    std::getline(in, header);
    std::getline(in, row);
    CHECK(header.rfind("model,input,ops,macs,params,bn_params,", 0) == 0);
    CHECK(row.rfind("vgg16,224x224x3,", 0) == 0);
    CHECK(row.find(",15470264320,138357544,0,") != std::string::npos);
    std::ostringstream json;
    info::print(json, {info::make_row("resnet50_v1@299")}, "json", false);
    const auto j = nlohmann::json::parse(json.str());
    REQUIRE(j.size() == 1);
    CHECK(j[0]["model"] == "resnet50_v1@299");
    CHECK(j[0]["input"] == nlohmann::json::array({299, 299, 3}));
    CHECK_FALSE(j[0].contains("published"));  // published figures are for the standard size only
    std::ostringstream bad;
    CHECK_THROWS_WITH(info::print(bad, {r}, "xml", false), "unknown format 'xml' (expected table, csv or json)");
    std::ostringstream known;
    info::print_known_points(known, {"mnasnet_a1"});
    CHECK(known.str().rfind("mnasnet_a1 mnasnet:block=", 0) == 0);
    CHECK_THROWS_WITH(info::print_known_points(known, {"vgg16"}),
                      "no SPEC given is a known point of a shipped space (known: efficientnet_edgetpu_s, mobilenet_edgetpu, mnasnet_a1)");
}

TEST_CASE("latency report: batch files, CSV rows, table lines, JSON", "[app]") {
    const auto path = std::filesystem::path(ACCELNAS_BINARY_DIR) / "app_reports_batch.txt";
    std::ofstream(path) << "# comment\nmobilenet_v2\r\n\nvgg16@160\n";
    CHECK(app::latency::read_spec_lines(path.string()) == std::vector<std::string>{"mobilenet_v2", "vgg16@160"});
    CHECK_THROWS_WITH(app::latency::read_spec_lines("/no/such/batch.txt"), "--batch: cannot open '/no/such/batch.txt'");
    std::ostringstream os;
    app::latency::print_csv_latency(os, "m", "coral-usb", "apm", 0.0012345678);
    CHECK(os.str() == "m,coral-usb,apm,1.234568,,,\n");
    hw::latency_report r;
    r.network = "net";
    r.target = "t";
    r.estimator = "sim";
    r.total_seconds = 0.0025;
    std::ostringstream table;
    app::latency::print_table(table, r, false);
    CHECK(table.str() == "net                                      t                sim       2.500 ms\n");
    std::ostringstream csv;
    app::latency::print_csv_header(csv, false);
    app::latency::print_csv(csv, "spec", "t", "sim", r, false);
    CHECK(csv.str() == "model,target,estimator,latency_ms,cycles,param_bytes_cached,param_bytes_streamed\n"
                       "spec,t,sim,2.500000,0,0,0\n");
    const auto j = app::latency::to_json("spec", r, false);
    CHECK(j["spec"] == "spec");
    CHECK_FALSE(j.contains("ops"));
    CHECK(app::latency::to_json("spec", r, true).contains("ops"));
}

TEST_CASE("space report: decoding at the deployment input and the cost line", "[app]") {
    namespace sr = app::space_report;
    const auto& s = space::find_space("mnasnet");
    CHECK(s.deployment.resolution == 224);
    CHECK(s.deployment.channels == 3);
    CHECK(s.deployment.classes == 1000);
    const auto a = s.parse(space::mnasnet_a1_text);
    const auto net = sr::decode(s, a, {});
    CHECK(net.input_shape() == graph::tensor_shape{1, 224, 224, 3});
    CHECK(net.ops().back().out.c == 1000);
    std::ostringstream os;
    sr::print_costs(os, net, "A1");
    // MnasNet-A1: 312 M MACs and 3.9 M parameters in the MnasNet paper (table 1); BN parameters
    // are not counted here.
    CHECK(os.str().rfind("   311.58 M MACs    3.854 M params    93 ops  224x224  A1\n", 0) == 0);
    sr::decode_options small;
    small.resolution = 160;
    small.classes = 10;
    CHECK(sr::decode(s, a, small).input_shape() == graph::tensor_shape{1, 160, 160, 3});
    CHECK(sr::decode(s, a, small).ops().back().out.c == 10);
    const auto scaled = sr::decode(s, a, {.scaling = space::compound_scaling{.width = 1.0, .depth = 1.0, .resolution = 192}});
    CHECK(scaled.input_shape() == graph::tensor_shape{1, 192, 192, 3});
}
