/* registry.c: the apps this build knows, by name. The list is static and
 * read-only; returned pointers are borrowed for the life of the program. */
#include <string.h>

#include "app.h"
#include "dnn/dnn.h"
#include "lasso/lasso.h"
#include "lda/lda.h"
#include "mf/mf.h"

static const app_ops *const all_apps[] = {&mf_app, &dnn_app, &lda_app, &lasso_app, NULL};

const app_ops *const *app_all(void) { return all_apps; }

const app_ops *app_find(const char *name) {
  if (!name) return NULL;
  for (const app_ops *const *a = all_apps; *a; a++)
    if (strcmp((*a)->name, name) == 0) return *a;
  return NULL;
}
