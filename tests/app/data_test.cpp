// Data sets by name (app/data.hpp) and the proxy task's use of the validation part (app/proxy.hpp).
#include <accelnas/app/data.hpp>
#include <accelnas/app/proxy.hpp>
#include <accelnas/space/registry.hpp>

#include <catch2/catch.hpp>

using namespace accelnas;

TEST_CASE("data set names: kinds, folders, the bare-folder form, errors", "[app]") {
    auto p = app::parse_data_spec("cifar10:/data/c10");
    CHECK(p.kind == "cifar10");
    CHECK(p.dir == "/data/c10");
    CHECK(app::parse_data_spec("fashion-mnist").dir == train::default_fashion_mnist_dir);
    CHECK(app::parse_data_spec("fashion-mnist:/x").dir == "/x");
    CHECK(app::parse_data_spec("cifar100-coarse:d").kind == "cifar100-coarse");
    CHECK(app::parse_data_spec("folder:a:b").dir == "a:b");
    p = app::parse_data_spec("/some/dir:with-colon");  // a bare folder: Fashion-MNIST's IDX files
    CHECK(p.kind == "fashion-mnist");
    CHECK(p.dir == "/some/dir:with-colon");
    CHECK_THROWS_WITH(app::parse_data_spec("imagenet:/x"), Catch::Contains("unknown data set 'imagenet'"));
    CHECK_THROWS_WITH(app::parse_data_spec("cifar10:"), Catch::Contains("cifar10 needs its folder"));
    CHECK_THROWS_WITH(app::parse_data_spec(""), Catch::Contains("empty data set name"));
    CHECK_THROWS_AS(app::load_data(app::parse_data_spec("cifar10:/nonexistent")), accelnas::error);
}

TEST_CASE("proxy task: scored on the validation part, the test part only when asked", "[app]") {
    app::proxy_options o;
    o.train_images = 300;
    o.validation_images = 200;
    o.test_images = 100;
    const auto d = app::load_proxy_data("fashion-mnist:" ACCELNAS_FMNIST_DIR, o, 4);
    CHECK(d.train.count == 300);
    CHECK(d.validation.count == 200);
    CHECK(d.test.count == 100);
    const auto& sp = space::find_space("edgetpu");
    const auto net = app::proxy_network(sp, sp.parse(space::efficientnet_edgetpu_s_text), o);
    const auto with = app::proxy_train(net, d, o, 9, true), without = app::proxy_train(net, d, o, 9, false);
    CHECK(with.validation == without.validation);
    CHECK(without.test == 0.0);
    CHECK(with.test > 0.0);
    CHECK(app::proxy_accuracy(net, d, o, 9) == with.validation);
    train::dataset no_val = d;
    no_val.validation = {};
    CHECK_THROWS_WITH(app::proxy_accuracy(net, no_val, o, 9), Catch::Contains("no validation part"));
}
