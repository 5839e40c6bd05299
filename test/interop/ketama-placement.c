/*
 * ketama-placement: which server does libmemcached's weighted ketama pick for a key?
 *
 *   ketama-placement HOST:PORT:WEIGHT... < keys
 *
 * Builds a memcached_st with the servers in the order given, switches it to weighted ketama
 * (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, which in libmemcached 1.1.x means distribution
 * MEMCACHED_DISTRIBUTION_CONSISTENT_WEIGHTED, key hash MD5 and continuum hash MD5), then reads
 * keys one per line from stdin and prints, for each, the server memcached_server_by_key() returns
 * as `host:port` (`[host]:port` when the host holds a ':', i.e. IPv6), one per line, in order.
 * A key libmemcached refuses (empty, or 251+ bytes) prints `ERROR <libmemcached error>`.
 *
 * No connection is made: memcached_server_by_key() only consults the continuum. IPv6 hosts may be
 * given bare (`::1:11311:1`, split at the last two colons) or bracketed (`[::1]:11311:1`).
 *
 * Build: cc -O2 -o ketama-placement ketama-placement.c $(pkg-config --cflags --libs libmemcached)
 */
#include <libmemcached/memcached.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const char *detail) {
  fprintf(stderr, "ketama-placement: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(2);
}

static unsigned long parse_number(const char *text, unsigned long max, const char *spec) {
  char *end = NULL;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value == 0 || value > max) {
    die("bad number in server spec", spec);
  }
  return value;
}

/* Splits `host:port:weight` (host may be an IPv6 address, bare or in brackets) in place. */
static void add_server(memcached_st *memc, char *spec) {
  char *original = strdup(spec);
  char *weight_sep = strrchr(spec, ':');
  if (weight_sep == NULL || weight_sep == spec) die("server spec is not host:port:weight", original);
  *weight_sep = '\0';
  char *port_sep = strrchr(spec, ':');
  if (port_sep == NULL || port_sep == spec) die("server spec is not host:port:weight", original);
  *port_sep = '\0';

  char *host = spec;
  size_t host_len = strlen(host);
  if (host[0] == '[' && host_len > 2 && host[host_len - 1] == ']') {
    host[host_len - 1] = '\0';
    host++;
  }
  in_port_t port = (in_port_t) parse_number(port_sep + 1, 65535, original);
  uint32_t weight = (uint32_t) parse_number(weight_sep + 1, 0xffffffffUL, original);

  memcached_return_t rc = memcached_server_add_with_weight(memc, host, port, weight);
  if (memcached_failed(rc)) die(memcached_strerror(memc, rc), original);
  free(original);
}

static void expect_behavior(memcached_st *memc, memcached_behavior_t flag, uint64_t want,
                            const char *name) {
  uint64_t got = memcached_behavior_get(memc, flag);
  if (got != want) {
    fprintf(stderr, "ketama-placement: %s is %llu, expected %llu\n", name,
            (unsigned long long) got, (unsigned long long) want);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s HOST:PORT:WEIGHT... < keys\n", argv[0]);
    return 2;
  }

  memcached_st *memc = memcached_create(NULL);
  if (memc == NULL) die("memcached_create failed", NULL);

  /*
   * Servers go in first, while the distribution is still the default (modula), so the continuum
   * is built once below instead of once per server_add (which made 64 servers take 0.1 s). The
   * result is the same: update_continuum() rebuilds the whole continuum from the server list,
   * weights and flags every time. memcached_server_add() would give weight 0; only the
   * _with_weight form carries a weight.
   */
  for (int i = 1; i < argc; i++) add_server(memc, argv[i]);
  if (memcached_server_count(memc) != (uint32_t) (argc - 1)) die("server count mismatch", NULL);

  /*
   * Order matters: setting MEMCACHED_BEHAVIOR_DISTRIBUTION to CONSISTENT clears the weighted flag
   * (memcached_behavior_set_distribution), while KETAMA_WEIGHTED = 1 sets the key and continuum
   * hashes to MD5 and the distribution to MEMCACHED_DISTRIBUTION_CONSISTENT_WEIGHTED. So the
   * distribution goes first and KETAMA_WEIGHTED last, and the outcome is checked below.
   */
  memcached_return_t rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                                                 MEMCACHED_DISTRIBUTION_CONSISTENT);
  if (memcached_failed(rc)) die("MEMCACHED_BEHAVIOR_DISTRIBUTION", memcached_strerror(memc, rc));
  rc = memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
  if (memcached_failed(rc)) die("MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED", memcached_strerror(memc, rc));

  expect_behavior(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1, "MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED");
  expect_behavior(memc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_WEIGHTED,
                  "MEMCACHED_BEHAVIOR_DISTRIBUTION");
  expect_behavior(memc, MEMCACHED_BEHAVIOR_HASH, MEMCACHED_HASH_MD5, "MEMCACHED_BEHAVIOR_HASH");
  expect_behavior(memc, MEMCACHED_BEHAVIOR_KETAMA_HASH, MEMCACHED_HASH_MD5,
                  "MEMCACHED_BEHAVIOR_KETAMA_HASH");
  expect_behavior(memc, MEMCACHED_BEHAVIOR_SORT_HOSTS, 0, "MEMCACHED_BEHAVIOR_SORT_HOSTS");
  expect_behavior(memc, MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 0, "MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS");

  static char out_buffer[1 << 16];
  setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);

  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &capacity, stdin)) != -1) {
    if (length > 0 && line[length - 1] == '\n') line[--length] = '\0';
    memcached_return_t error = MEMCACHED_SUCCESS;
    const memcached_instance_st *server = memcached_server_by_key(memc, line, (size_t) length, &error);
    if (server == NULL) {
      printf("ERROR %s\n", memcached_strerror(memc, error));
      continue;
    }
    const char *name = memcached_server_name(server);
    unsigned port = memcached_server_port(server);
    if (strchr(name, ':') != NULL) {
      printf("[%s]:%u\n", name, port);
    } else {
      printf("%s:%u\n", name, port);
    }
  }
  free(line);
  if (ferror(stdin)) die("reading stdin", strerror(errno));
  if (fflush(stdout) != 0) die("writing stdout", strerror(errno));

  memcached_free(memc);
  return 0;
}
