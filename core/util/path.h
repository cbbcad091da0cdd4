/* Relative paths made absolute against a directory: the INI file's, for
 * its values (config, plugin keys), or volt's working directory, for the
 * API's (read once, before lockdown). */
#ifndef VOLT_UTIL_PATH_H
#define VOLT_UTIL_PATH_H

/* "base/path", or a copy of path itself if it is absolute or base is NULL.
 * malloc'd; NULL when out of memory. */
char *path_resolve(const char *base, const char *path);

#endif
