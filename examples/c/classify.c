/* classify: the top-5 classes of image files (JPEG/PNG) with a .cnx model, through cnx-edge's C API.
 *
 *   cc classify.c $(pkg-config --cflags --libs cnx-edge) -o classify
 *   ./classify atto-int8.cnx cat.jpg dog.png
 */
#include <cnx_edge.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.cnx IMAGE...\n", argv[0]);
        return 2;
    }
    cnx_model *model = NULL;
    if (cnx_model_open(argv[1], 1, &model) != CNX_OK) {
        fprintf(stderr, "%s\n", cnx_last_error());
        return 1;
    }
    cnx_session *session = NULL;
    if (cnx_session_create(model, &session) != CNX_OK) {
        fprintf(stderr, "%s\n", cnx_last_error());
        cnx_model_close(model);
        return 1;
    }
    printf("cnx-edge %s, %s model, %dx%d input, %d classes\n", cnx_version(), cnx_model_precision(model),
           cnx_model_input_height(model), cnx_model_input_width(model), cnx_model_class_count(model));
    int failures = 0;
    for (int i = 2; i < argc; i++) {
        cnx_prediction top[5];
        if (cnx_session_classify_file(session, argv[i], 5, top) != CNX_OK) {
            fprintf(stderr, "%s\n", cnx_last_error());
            failures++;
            continue;
        }
        printf("%s\n", argv[i]);
        int n = cnx_model_class_count(model) < 5 ? cnx_model_class_count(model) : 5;
        for (int k = 0; k < n; k++) printf("  %d. %5.1f%%  %4d  %s\n", k + 1, 100.0f * top[k].probability, top[k].class_index, top[k].label);
    }
    cnx_session_destroy(session);
    cnx_model_close(model);
    return failures ? 1 : 0;
}
