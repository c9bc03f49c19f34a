/* An independent ICE peer for the integration suite, built on Debian's
 * libnice: one NiceAgent (full or lite, controlling or controlled), one
 * stream of 1 or 2 components with host candidates on 127.0.0.1 only (or
 * on the one address --address= names, e.g. ::1).
 *
 * Line protocol (the test drives it through pipes):
 *   stdout: a=ice-ufrag:, a=ice-pwd:, a=candidate: lines, then "END".
 *   stdin:  the remote side's a=ice-ufrag:, a=ice-pwd:, a=candidate: lines
 *           (others ignored), then "END".
 *   stdout: "READY <component>" once every component is READY, then the
 *           peer sends --count packets on each component (RTP on 1, RTCP on
 *           2, fixed payloads, one every 20 ms) and prints every packet it
 *           receives as "RECV <component> <hex>".
 *   With --restart: once a phase is done, nice_agent_restart, new
 *   credentials out ("a=ice-ufrag:", "a=ice-pwd:", candidates, "END"), the
 *   remote's new lines in, and a second phase as the first.
 *   Last line: one JSON summary; exit 0, or 1 on timeout/failure.
 *
 * A phase is done when all packets are sent and --expect packets arrived
 * (on all components together), or on --timeout seconds.
 */
#include <agent.h>
#include <gio/gio.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kSsrc = 0x4E494345 }; /* "NICE" */

static NiceAgent* agent;
static guint stream_id;
static guint ncomp = 1;
static int ready[3];
static int failed;
static unsigned received[3];
static unsigned sent[3];

static void on_state(NiceAgent* a, guint sid, guint comp, guint state, gpointer d) {
    (void)a, (void)sid, (void)d;
    if (comp > 2) return;
    if (state == NICE_COMPONENT_STATE_READY) ready[comp] = 1;
    if (state == NICE_COMPONENT_STATE_FAILED) failed = 1;
    fprintf(stderr, "nice_peer: component %u state %s\n", comp,
            nice_component_state_to_string(state));
}

static void on_recv(NiceAgent* a, guint sid, guint comp, guint len, gchar* buf, gpointer d) {
    (void)a, (void)sid, (void)d;
    if (comp > 2) return;
    received[comp]++;
    printf("RECV %u ", comp);
    for (guint i = 0; i < len; i++) printf("%02x", (unsigned char)buf[i]);
    printf("\n");
    fflush(stdout);
}

/* Same bytes as rtpPacket(0, seq, seq * 160, kSsrc, patternPayload(160, seq))
 * of tests/integration/rtp_peer.h. */
static guint rtp_packet(unsigned seq, unsigned char* out) {
    out[0] = 0x80;
    out[1] = 0;
    out[2] = (unsigned char)(seq >> 8), out[3] = (unsigned char)seq;
    unsigned ts = seq * 160;
    out[4] = (unsigned char)(ts >> 24), out[5] = (unsigned char)(ts >> 16);
    out[6] = (unsigned char)(ts >> 8), out[7] = (unsigned char)ts;
    out[8] = (kSsrc >> 24) & 0xff, out[9] = (kSsrc >> 16) & 0xff;
    out[10] = (kSsrc >> 8) & 0xff, out[11] = kSsrc & 0xff;
    for (unsigned i = 0; i < 160; i++) out[12 + i] = (unsigned char)(seq + i);
    return 172;
}

/* A receiver report: 81 c9 00 07, the SSRC, 24 bytes (seq + i). */
static guint rtcp_packet(unsigned seq, unsigned char* out) {
    out[0] = 0x81, out[1] = 0xc9, out[2] = 0, out[3] = 7;
    out[4] = (kSsrc >> 24) & 0xff, out[5] = (kSsrc >> 16) & 0xff;
    out[6] = (kSsrc >> 8) & 0xff, out[7] = kSsrc & 0xff;
    for (unsigned i = 0; i < 24; i++) out[8 + i] = (unsigned char)(seq + i);
    return 32;
}

static void print_local(void) {
    gchar *ufrag = NULL, *pwd = NULL;
    nice_agent_get_local_credentials(agent, stream_id, &ufrag, &pwd);
    printf("a=ice-ufrag:%s\na=ice-pwd:%s\n", ufrag, pwd);
    g_free(ufrag);
    g_free(pwd);
    for (guint c = 1; c <= ncomp; c++) {
        GSList* cands = nice_agent_get_local_candidates(agent, stream_id, c);
        for (GSList* i = cands; i; i = i->next) {
            gchar* line = nice_agent_generate_local_candidate_sdp(agent, i->data);
            printf("%s\n", line);
            g_free(line);
        }
        g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
    }
    printf("END\n");
    fflush(stdout);
}

static int read_remote(void) {
    char line[2048];
    char ufrag[256] = "", pwd[256] = "";
    GSList* cands[3] = {NULL, NULL, NULL};
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strcmp(line, "END")) break;
        if (!strncmp(line, "a=ice-ufrag:", 12))
            g_strlcpy(ufrag, line + 12, sizeof ufrag);
        else if (!strncmp(line, "a=ice-pwd:", 10))
            g_strlcpy(pwd, line + 10, sizeof pwd);
        else if (!strncmp(line, "a=candidate:", 12)) {
            NiceCandidate* c = nice_agent_parse_remote_candidate_sdp(agent, stream_id, line);
            if (!c) {
                fprintf(stderr, "nice_peer: unparsable candidate: %s\n", line);
                continue;
            }
            if (c->component_id >= 1 && c->component_id <= ncomp)
                cands[c->component_id] = g_slist_append(cands[c->component_id], c);
            else
                nice_candidate_free(c);
        }
    }
    if (!*ufrag || !*pwd) {
        fprintf(stderr, "nice_peer: no remote credentials\n");
        return 0;
    }
    nice_agent_set_remote_credentials(agent, stream_id, ufrag, pwd);
    for (guint c = 1; c <= ncomp; c++) {
        if (cands[c] && nice_agent_set_remote_candidates(agent, stream_id, c, cands[c]) < 1)
            fprintf(stderr, "nice_peer: remote candidates of component %u refused\n", c);
        g_slist_free_full(cands[c], (GDestroyNotify)nice_candidate_free);
    }
    return 1;
}

static int all_ready(void) {
    for (guint c = 1; c <= ncomp; c++)
        if (!ready[c]) return 0;
    return 1;
}

/* One phase: checks, then media. 1 when done in time. */
static int run_phase(GMainContext* ctx, unsigned count, unsigned expect, gint64 deadline) {
    while (!all_ready() && !failed && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, FALSE) || (g_usleep(2000), 0);
    if (!all_ready()) return 0;
    for (guint c = 1; c <= ncomp; c++) {
        NiceCandidate *l = NULL, *r = NULL;
        if (nice_agent_get_selected_pair(agent, stream_id, c, &l, &r)) {
            gchar la[NICE_ADDRESS_STRING_LEN], ra[NICE_ADDRESS_STRING_LEN];
            nice_address_to_string(&l->addr, la);
            nice_address_to_string(&r->addr, ra);
            printf("READY %u %s:%u %s:%u\n", c, la, nice_address_get_port(&l->addr), ra,
                   nice_address_get_port(&r->addr));
        }
    }
    fflush(stdout);
    unsigned base_recv = received[1] + received[2];
    unsigned seq = 0;
    /* The other side may select its pair a moment after ours. */
    gint64 next = g_get_monotonic_time() + 300000;
    while (g_get_monotonic_time() < deadline) {
        if (seq < count && g_get_monotonic_time() >= next) {
            unsigned char buf[256];
            guint len = rtp_packet(seq, buf);
            if (nice_agent_send(agent, stream_id, 1, len, (gchar*)buf) == (gint)len) sent[1]++;
            if (ncomp == 2) {
                len = rtcp_packet(seq, buf);
                if (nice_agent_send(agent, stream_id, 2, len, (gchar*)buf) == (gint)len) sent[2]++;
            }
            seq++;
            next += 20000;
        }
        if (seq >= count && received[1] + received[2] - base_recv >= expect) return 1;
        g_main_context_iteration(ctx, FALSE) || (g_usleep(1000), 0);
    }
    return 0;
}

int main(int argc, char** argv) {
    gboolean controlling = TRUE, lite = FALSE, restart = FALSE;
    int count = 10, expect = 10, timeout = 30, min_port = 63600, max_port = 63799;
    const char* address = "127.0.0.1";
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        if (!strcmp(a, "--controlled"))
            controlling = FALSE;
        else if (!strcmp(a, "--controlling"))
            controlling = TRUE;
        else if (!strcmp(a, "--lite"))
            lite = TRUE;
        else if (!strcmp(a, "--restart"))
            restart = TRUE;
        else if (!strncmp(a, "--components=", 13))
            ncomp = (guint)atoi(a + 13);
        else if (!strncmp(a, "--count=", 8))
            count = atoi(a + 8);
        else if (!strncmp(a, "--expect=", 9))
            expect = atoi(a + 9);
        else if (!strncmp(a, "--timeout=", 10))
            timeout = atoi(a + 10);
        else if (!strncmp(a, "--ports=", 8))
            sscanf(a + 8, "%d-%d", &min_port, &max_port);
        else if (!strncmp(a, "--address=", 10))
            address = a + 10;
        else {
            fprintf(stderr,
                    "usage: nice_peer [--controlling|--controlled] [--lite] [--restart] "
                    "[--components=1|2] [--count=N] [--expect=N] [--timeout=S] [--ports=A-B] [--address=IP]\n");
            return 2;
        }
    }
    if (ncomp < 1 || ncomp > 2) return 2;
    /* stdout is the line protocol: GLib's debug output goes to stderr. */
    g_log_writer_default_set_use_stderr(TRUE);
    GMainContext* ctx = g_main_context_default();
    agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245,
                                lite ? NICE_AGENT_OPTION_LITE_MODE : NICE_AGENT_OPTION_NONE);
    g_object_set(agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE, NULL);
    g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state), NULL);
    NiceAddress addr;
    nice_address_init(&addr);
    if (!nice_address_set_from_string(&addr, address)) return 2;
    nice_agent_add_local_address(agent, &addr);
    stream_id = nice_agent_add_stream(agent, ncomp);
    for (guint c = 1; c <= ncomp; c++) {
        nice_agent_set_port_range(agent, stream_id, c, (guint)min_port, (guint)max_port);
        nice_agent_attach_recv(agent, stream_id, c, ctx, on_recv, NULL);
    }
    if (!nice_agent_gather_candidates(agent, stream_id)) {
        fprintf(stderr, "nice_peer: gathering failed\n");
        return 1;
    }
    /* Host candidates only: gathering is done at once, but let the loop run. */
    for (int i = 0; i < 50; i++) g_main_context_iteration(ctx, FALSE);
    print_local();
    if (!read_remote()) return 1;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
    int ok = run_phase(ctx, (unsigned)count, (unsigned)expect, deadline);
    if (ok && restart) {
        ready[1] = ready[2] = 0;
        nice_agent_restart(agent);
        print_local();
        if (!read_remote()) return 1;
        deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
        ok = run_phase(ctx, (unsigned)count, (unsigned)expect, deadline);
    }
    const char* state = ok            ? "ok"
                        : failed      ? "failed"
                        : all_ready() ? "media-timeout"
                                      : "ice-timeout";
    /* "controlling" is the role asked for: libnice's "controlling-mode"
     * property does not follow a role conflict (its debug log does). */
    printf("{\"state\":\"%s\",\"controlling\":%s,\"sent\":[%u,%u],\"received\":[%u,%u]}\n", state,
           controlling ? "true" : "false", sent[1], sent[2], received[1], received[2]);
    fflush(stdout);
    g_object_unref(agent);
    return ok ? 0 : 1;
}
