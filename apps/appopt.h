/* appopt.h: what every app's "key=value,key=value" option parser shares:
 * the message prefix and the strict number reader. Owns nothing. */
#ifndef APPOPT_H
#define APPOPT_H

#include <stddef.h>

/* Writes "<app> options: " and the formatted message into err[errlen]
 * (if err is non-NULL) and returns ST_EPARSE. */
int appopt_fail(char *err, size_t errlen, const char *app, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The whole of s[0..len) as a finite number (no leading blank, nothing
 * after it): 0 and *out, or -1. */
int appopt_number(const char *s, size_t len, double *out);

/* A generator's command line ("--name value" or "--name=value"): splits
 * argv[*a] into name[namelen] and *val (borrowed from argv), advancing *a
 * past a separate value. 0, or 2 (the exit status) after printing why to
 * stderr under prog's name: not a --flag, a name too long, no value. */
int appopt_flag(const char *prog, int argc, char **argv, int *a, char *name, size_t namelen,
                const char **val);

#endif
