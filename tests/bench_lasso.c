/* bench_lasso.c: how close a Lasso pass over the data comes to the memory
 * bandwidth bound. Generates the correlated design (gen.h) of N x P floats,
 * measures this machine's copy bandwidth (memcpy of a buffer the size of X,
 * best of 5) and the time of lasso_pass over all rows (best of 5), and
 * prints both with the fraction bound/pass, where bound = bytes of X / copy
 * bandwidth (a pass must read X once).
 *
 *   bench_lasso [--n N] [--p P]     (default 5000 x 20000, 400 MB of floats)
 *   bench_lasso --check             (a small size; exits 0 if the figures are sane)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lasso/gen.h"
#include "lasso/model.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  lasso_gen_params g = lasso_gen_defaults();
  g.n = 5000;
  g.p = 20000;
  g.k = 50;
  int check = 0;
  for (int a = 1; a < argc; a++) {
    if (!strcmp(argv[a], "--check")) {
      check = 1;
      g.n = 400;
      g.p = 500;
      g.k = 10;
    } else if (!strcmp(argv[a], "--n") && a + 1 < argc) {
      g.n = (uint32_t)strtoul(argv[++a], NULL, 10);
    } else if (!strcmp(argv[a], "--p") && a + 1 < argc) {
      g.p = (uint32_t)strtoul(argv[++a], NULL, 10);
    } else {
      fprintf(stderr, "usage: %s [--n N] [--p P] | --check\n", argv[0]);
      return 2;
    }
  }
  char err[256];
  lasso_data d;
  if (lasso_generate(&g, &d, NULL, err, sizeof err)) {
    fprintf(stderr, "bench_lasso: %s\n", err);
    return 1;
  }
  size_t bytes = (size_t)d.n * d.p * sizeof(float);
  float *dst = malloc(bytes);
  double *beta = calloc(d.p, sizeof *beta), *acc = calloc(d.p, sizeof *acc);
  double *mean = malloc(d.p * sizeof *mean), ym;
  if (!dst || !beta || !acc || !mean) {
    fprintf(stderr, "bench_lasso: out of memory\n");
    return 1;
  }
  memset(dst, 1, bytes); /* fault the pages in before timing */
  double copy = 1e30, pass = 1e30;
  for (int r = 0; r < 5; r++) {
    double t0 = now_s();
    memcpy(dst, d.dense, bytes);
    double t = now_s() - t0;
    if (t < copy) copy = t;
  }
  lasso_data_means(&d, mean, &ym);
  for (uint32_t j = 0; j < d.p; j++) beta[j] = (j % 97 == 0) ? 0.5 : 0.0;
  double sse = 0.0, rsum = 0.0;
  for (int r = 0; r < 5; r++) {
    memset(acc, 0, d.p * sizeof *acc);
    sse = rsum = 0.0;
    double t0 = now_s();
    lasso_pass(&d, 0, d.n, beta, ym, &sse, &rsum, acc);
    double t = now_s() - t0;
    if (t < pass) pass = t;
  }
  double bw = (double)bytes / copy, bound = (double)bytes / bw;
  printf("design            %u x %u floats, %.1f MB\n", d.n, d.p, (double)bytes / 1e6);
  printf("copy bandwidth    %.2f GB/s (memcpy of X, best of 5)\n", bw / 1e9);
  printf("bandwidth bound   %.4f s per pass (bytes of X / copy bandwidth)\n", bound);
  printf("lasso pass        %.4f s per pass (residuals and gradient, best of 5)\n", pass);
  printf("fraction          %.2f of the bound (bound / pass)\n", bound / pass);
  printf("check             sse %.6g\n", sse);
  int ok = copy > 0 && pass > 0 && sse > 0 && dst[bytes / sizeof(float) - 1] == d.dense[bytes / sizeof(float) - 1];
  free(dst);
  free(beta);
  free(acc);
  free(mean);
  lasso_data_free(&d);
  return check ? !ok : 0;
}
