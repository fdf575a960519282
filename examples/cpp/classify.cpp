// The C API from C++: RAII handles around cnx_model and cnx_session, an exception on error.
//   c++ -std=c++17 classify.cpp $(pkg-config --cflags --libs cnx-edge) -o classify-cpp
#include <cnx_edge.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnx {

struct Error : std::runtime_error {
    cnx_status status;
    Error(cnx_status s) : std::runtime_error(cnx_last_error()), status(s) {}
};

inline void check(cnx_status s) {
    if (s != CNX_OK) throw Error(s);
}

class Model {
  public:
    explicit Model(const std::string &path, int threads = 1) {
        cnx_model *m = nullptr;
        check(cnx_model_open(path.c_str(), threads, &m));
        model_.reset(m);
    }
    cnx_model *get() const { return model_.get(); }
    int classes() const { return cnx_model_class_count(model_.get()); }

  private:
    std::unique_ptr<cnx_model, decltype(&cnx_model_close)> model_{nullptr, cnx_model_close};
};

class Session {
  public:
    explicit Session(const Model &model) {
        cnx_session *s = nullptr;
        check(cnx_session_create(model.get(), &s));
        session_.reset(s);
    }
    std::vector<cnx_prediction> classify(const std::string &image, int top_k) {
        std::vector<cnx_prediction> out(top_k);
        check(cnx_session_classify_file(session_.get(), image.c_str(), top_k, out.data()));
        return out;
    }

  private:
    std::unique_ptr<cnx_session, decltype(&cnx_session_destroy)> session_{nullptr, cnx_session_destroy};
};

}  // namespace cnx

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL.cnx IMAGE...\n", argv[0]);
        return 2;
    }
    try {
        cnx::Model model(argv[1]);
        cnx::Session session(model);
        for (int i = 2; i < argc; i++) {
            auto top = session.classify(argv[i], model.classes() < 3 ? model.classes() : 3);
            std::printf("%s: %s (%.1f%%)\n", argv[i], top[0].label, 100.0 * top[0].probability);
        }
    } catch (const cnx::Error &e) {
        std::fprintf(stderr, "%s: %s\n", cnx_status_string(e.status), e.what());
        return 1;
    }
    return 0;
}
