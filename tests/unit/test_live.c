/*
 * test_live.c - live capture end to end: the test makes a network namespace with a veth pair,
 * runs gridsensor on one end, replays the demo capture into the other with tcpreplay, stops the
 * sensor with SIGTERM and checks its stats. Traffic never leaves the namespace, which is
 * removed afterwards. Needs root, iproute2 and tcpreplay (scripts/setup.sh --test installs
 * them); skipped with a message otherwise.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

extern char **environ;

static char ns[64];

/* Runs a shell command built from a literal format. */
#define SH(...) (snprintf(shell_cmd, sizeof(shell_cmd), __VA_ARGS__), system(shell_cmd))
static char shell_cmd[8192];

static bool have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static void remove_namespace(void)
{
    if (ns[0] != '\0')
        SH("ip netns del %s 2>/dev/null", ns);
}

START_TEST(test_live_veth_capture)
{
    if (geteuid() != 0 || !have("ip") || !have("tcpreplay")) {
        fprintf(stderr, "SKIP: live capture test needs root, iproute2 and tcpreplay "
                        "(scripts/setup.sh --test)\n");
        return;
    }
    snprintf(ns, sizeof(ns), "gs-live-%d", (int)getpid());
    atexit(remove_namespace);
    ck_assert_int_eq(SH("ip netns add %s", ns), 0);
    ck_assert_int_eq(SH("ip -n %s link add gs-tx type veth peer name gs-rx", ns), 0);
    /* No IPv6 autoconfiguration chatter: only the replayed frames cross the pair. */
    SH("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1", ns);
    SH("ip netns exec %s sysctl -qw net.ipv6.conf.default.disable_ipv6=1", ns);
    /* Jumbo MTU: generated TLS certificates ride in segments larger than 1500 bytes. */
    ck_assert_int_eq(
        SH("ip -n %s link set gs-tx mtu 9000 up && ip -n %s link set gs-rx mtu 9000 up", ns, ns),
        0);

    char out_path[] = "/tmp/gs-live-XXXXXX";
    close(mkstemp(out_path));
    char out_spec[64];
    snprintf(out_spec, sizeof(out_spec), "file:%s", out_path);
    char *argv[] = {"ip",
                    "netns",
                    "exec",
                    ns,
                    (char *)gs_test_gridsensor(),
                    "--stats",
                    "--log-events",
                    "-o",
                    out_spec,
                    "-i",
                    "gs-rx",
                    NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawnp(&pid, "ip", NULL, NULL, argv, environ), 0);
    /* Let the sensor open the interface (ASan and nDPI start-up take a moment). */
    sleep(3);
    char demo[4096];
    snprintf(demo, sizeof(demo), "%s/pcaps/demo.pcap", gs_test_source_dir());
    ck_assert_int_eq(
        SH("ip netns exec %s tcpreplay -q --topspeed -i gs-tx %s >/dev/null 2>&1", ns, demo), 0);
    sleep(1);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sensor exit status %d", status);
    remove_namespace();
    ns[0] = '\0';

    FILE *fp = fopen(out_path, "r");
    ck_assert_ptr_nonnull(fp);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    unlink(out_path);
    json_t *stats = gs_test_find_stats(text);
    ck_assert_msg(stats != NULL, "no stats record in: %s", text);
    json_t *s = json_object_get(stats, "stats");
    json_int_t packets = json_integer_value(json_object_get(s, "packets"));
    /* Every demo frame arrives once (the kernel may add none: IPv6 is off, ARP is not
     * triggered by replayed frames). */
    ck_assert_int_eq(packets, gs_test_count_packets(demo));
    ck_assert_ptr_nonnull(json_object_get(s, "capture"));
    json_decref(stats);
}
END_TEST

static Suite *suite_live(void)
{
    Suite *s = suite_create("live");
    TCase *tc = tcase_create("veth");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_live_veth_capture);
    suite_add_tcase(s, tc);
    return s;
}

GS_TEST_MAIN(suite_live)
