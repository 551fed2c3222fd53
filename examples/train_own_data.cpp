// Training on your own data: Fashion-MNIST, the CIFAR-10/100 binary files, or a folder of PNG/JPEG
// images with one folder per class. Every loader carves a validation part out of the training
// images (10% by default, chosen by a seed): choose on it, and read the test part once, at the end.
//
//   example_train_own_data                  # writes a tiny CIFAR-10-format folder here, trains on it
//   example_train_own_data cifar10 DIR      # DIR: the unpacked cifar-10-binary.tar.gz
//   example_train_own_data cifar100 DIR     # DIR: the unpacked cifar-100-binary.tar.gz
//   example_train_own_data folder DIR       # DIR/train/<class>/*.png|jpg and DIR/test/<class>/...
//   example_train_own_data fashion-mnist    # Debian's dataset-fashion-mnist
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>
#ifdef ACCELNAS_WITH_IMAGE_IO
#include <accelnas/imageio/image_folder.hpp>  // the optional accelnas::image_io target (libpng, libjpeg)
#endif

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace accelnas;

// A CIFAR-10 folder in the real format, 20 images per file: each record is one label byte and the
// red, green and blue 32x32 planes. Class k is a colour, so one epoch learns something.
void write_tiny_cifar10(const std::string& dir) {
    std::filesystem::create_directories(dir);
    rng g(1);
    auto write = [&](const std::string& name) {
        std::ofstream f(dir + "/" + name, std::ios::binary);
        for (int i = 0; i < 20; ++i) {
            const int k = int(uniform_index(g, 10));
            f.put(char(k));
            for (int c = 0; c < 3; ++c)
                for (int p = 0; p < 1024; ++p) f.put(char(20 * k + 40 * c + int(uniform_index(g, 30))));
        }
    };
    for (int b = 1; b <= 5; ++b) write("data_batch_" + std::to_string(b) + ".bin");
    write("test_batch.bin");
}

int main(int argc, char** argv) {
    const std::string kind = argc > 1 ? argv[1] : "demo", dir = argc > 2 ? argv[2] : "";
    train::load_options lo;  // validation = 0.1, seed = 0, no limits, normalisation computed
    train::dataset data;
    if (kind == "demo") {
        write_tiny_cifar10("tiny-cifar10");
        data = train::load_cifar10("tiny-cifar10", lo);
    } else if (kind == "cifar10") {
        data = train::load_cifar10(dir, lo);
    } else if (kind == "cifar100") {
        data = train::load_cifar100(dir, lo, train::cifar100_labels::fine);  // or ::coarse (20 classes)
    } else if (kind == "fashion-mnist") {
        data = train::load_fashion_mnist(dir.empty() ? train::default_fashion_mnist_dir : dir, lo);
    } else if (kind == "folder") {
#ifdef ACCELNAS_WITH_IMAGE_IO
        // Resized to 32x32 RGB; the decoded images are cached in folder.cache for the next run.
        data = train::load_image_folder(dir, {.size = 32, .channels = 3, .cache = "folder.cache"}, lo);
#else
        std::fprintf(stderr, "built without accelnas::image_io (libpng-dev, libjpeg62-turbo-dev)\n");
        return 1;
#endif
    } else {
        std::fprintf(stderr, "unknown data set '%s'\n", kind.c_str());
        return 2;
    }
    std::printf("%zu training, %zu validation, %zu test images of %zux%zux%zu, %zu classes; channel means", data.train.count,
                data.validation.count, data.test.count, data.train.rows, data.train.cols, data.train.channels,
                data.classes);
    for (float m : data.mean) std::printf(" %.3f", double(m));
    std::printf("\n");

    // The CIFAR recipe: a random crop with 4 pixels of padding and horizontal flips, on 32x32 inputs
    // (Fashion-MNIST's 28x28 images are centred in them).
    train::fit_options o;
    o.epochs = 1;
    o.augment = {.size = 32, .channels = data.train.channels, .flip = true, .shift = 4};
    o.evaluate_test = false;  // epochs report the validation accuracy only
    const auto net = train::adapt_network(graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"),
                                          32, data.train.channels, data.classes);
    rng g(o.seed);
    train::model m(net, g);
    const auto r = train::fit(m, data, o);
    std::printf("validation accuracy %.4f after %zu epoch(s)\n", r.val_acc, r.epochs);
    // Once the choices are made: the test images, read once.
    if (data.test.count) std::printf("test accuracy %.4f\n", train::evaluate(m, data, data.test, o.augment));
    return 0;
}
