#include "common/heat_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *heat_file_kind(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return "a regular file";
  case S_IFDIR: return "a directory";
  case S_IFIFO: return "a FIFO (named pipe)";
  case S_IFCHR: return "a character device";
  case S_IFBLK: return "a block device";
  case S_IFSOCK: return "a socket";
  default: return "not a regular file";
  }
}

int heat_file_open(const char *path, const char *what, FILE **out, int64_t *size,
                   heat_error *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return heat_error_set(err, HEAT_EIO, path, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return heat_error_set(err, HEAT_EIO, path, "cannot stat: %s", strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return heat_error_set(err, HEAT_EIO, path, "is %s, not %s; heat reads only regular files",
                          heat_file_kind((unsigned)st.st_mode), what);
  }
  /* Regular files never block; clear the flag so stdio sees an ordinary descriptor. */
  int flags = fcntl(fd, F_GETFL);
  FILE *fp = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ? NULL : fdopen(fd, "rb");
  if (!fp) {
    int e = errno;
    close(fd);
    return heat_error_set(err, HEAT_EIO, path, "cannot open: %s", strerror(e));
  }
  if (size) *size = (int64_t)st.st_size;
  *out = fp;
  return HEAT_OK;
}

int heat_file_read_text(const char *path, const char *what, int64_t max, char **text,
                        size_t *len, heat_error *err) {
  *text = NULL;
  *len = 0;
  FILE *fp;
  int64_t size;
  int rc = heat_file_open(path, what, &fp, &size, err);
  if (rc) return rc;
  if (size > max) {
    fclose(fp);
    return heat_error_set(err, HEAT_EINVAL, path,
                          "is %lld bytes; %s may be at most %lld bytes (%lld MiB)",
                          (long long)size, what, (long long)max, (long long)(max >> 20));
  }
  /* The file may grow between fstat and the read: read at most max + 1 bytes to notice. */
  size_t cap = (size_t)size + 1;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(fp);
    return heat_error_set(err, HEAT_ENOMEM, path, "out of memory reading the file");
  }
  size_t n = 0;
  for (;;) {
    if (n == cap) {
      if ((int64_t)cap > max) break;
      size_t ncap = cap * 2 > (size_t)max + 1 ? (size_t)max + 1 : cap * 2;
      char *nbuf = realloc(buf, ncap + 1);
      if (!nbuf) {
        rc = heat_error_set(err, HEAT_ENOMEM, path, "out of memory reading the file");
        goto fail;
      }
      buf = nbuf;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) {
    rc = heat_error_set(err, HEAT_EIO, path, "read error");
    goto fail;
  }
  if ((int64_t)n > max) {
    rc = heat_error_set(err, HEAT_EINVAL, path, "grew past %lld bytes while being read; %s may "
                        "be at most %lld bytes", (long long)max, what, (long long)max);
    goto fail;
  }
  buf[n] = '\0';
  if (memchr(buf, '\0', n)) {
    rc = heat_error_set(err, HEAT_EINVAL, path, "not a text file (contains NUL bytes)");
    goto fail;
  }
  fclose(fp);
  *text = buf;
  *len = n;
  return HEAT_OK;
fail:
  free(buf);
  fclose(fp);
  return rc;
}
