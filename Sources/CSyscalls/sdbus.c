// sd-bus through dlopen: see sdbus_shim.h for why. The header of libsystemd-dev gives the
// types and prototypes; nothing here links against libsystemd.
#define _GNU_SOURCE
#include "sdbus_shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define SD_FUNCS(X)                                                                   \
    X(sd_bus_open_system) X(sd_bus_open_user) X(sd_bus_new) X(sd_bus_set_address) X(sd_bus_start)         \
    X(sd_bus_flush_close_unref) X(sd_bus_message_new_method_call)                     \
    X(sd_bus_message_append) X(sd_bus_message_append_basic)                           \
    X(sd_bus_message_append_array) X(sd_bus_message_open_container)                   \
    X(sd_bus_message_close_container) X(sd_bus_message_read) X(sd_bus_message_unref)  \
    X(sd_bus_call) X(sd_bus_call_method) X(sd_bus_error_free)                         \
    X(sd_bus_match_signal) X(sd_bus_slot_unref) X(sd_bus_process) X(sd_bus_wait)      \
    X(sd_bus_get_property_string)

static struct {
#define X(f) __typeof__(f) *f;
    SD_FUNCS(X)
#undef X
} sd;
static int sd_loaded;

struct sw_sdbus {
    sd_bus *bus;
    int private_socket;
    sd_bus_message *msg;   // the message being built
    int building_start;    // msg is StartTransientUnit (commit waits for its job)
    int pending;           // first error while building msg
    char *job;             // the job being waited for
    int job_done;
    char job_result[32];
    char error[512];
    char error_name[128];
};

static int load(char *err, size_t errlen) {
    if (sd_loaded) return 0;
    void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load libsystemd.so.0: %s", dlerror());
        return -ENOENT;
    }
#define X(f)                                                                          \
    sd.f = (__typeof__(f) *)dlsym(h, #f);                                             \
    if (!sd.f) {                                                                      \
        snprintf(err, errlen, "libsystemd.so.0 lacks %s", #f);                        \
        return -ENOSYS;                                                               \
    }
    SD_FUNCS(X)
#undef X
    sd_loaded = 1;
    return 0;
}

static int fail(sw_sdbus *b, int r, const char *what, const sd_bus_error *e) {
    if (e && e->name) {
        snprintf(b->error, sizeof b->error, "%s: %s", what, e->message ? e->message : e->name);
        snprintf(b->error_name, sizeof b->error_name, "%s", e->name);
    } else {
        snprintf(b->error, sizeof b->error, "%s: %s", what, strerror(r < 0 ? -r : r));
        b->error_name[0] = 0;
    }
    return r < 0 ? r : -EIO;
}

static int connect_private(sd_bus **out) {
    sd_bus *bus = NULL;
    int r = sd.sd_bus_new(&bus);
    if (r < 0) return r;
    r = sd.sd_bus_set_address(bus, "unix:path=/run/systemd/private");
    if (r >= 0) r = sd.sd_bus_start(bus);
    if (r < 0) { sd.sd_bus_flush_close_unref(bus); return r; }
    *out = bus;
    return 0;
}

sw_sdbus *sw_sdbus_open(int user, char *err, size_t errlen) {
    if (load(err, errlen) < 0) return NULL;
    sw_sdbus *b = calloc(1, sizeof *b);
    if (!b) { snprintf(err, errlen, "out of memory"); return NULL; }
    if (user) {
        // The user's own manager, on the session bus ($DBUS_SESSION_BUS_ADDRESS or
        // $XDG_RUNTIME_DIR/bus). From a user namespace too: sd-bus's EXTERNAL auth lets the bus
        // take the caller's uid from the socket, which the kernel maps to the user's own.
        int r = sd.sd_bus_open_user(&b->bus);
        if (r < 0) {
            snprintf(err, errlen, "cannot connect to the user's systemd over D-Bus (%s): %s",
                     getenv("DBUS_SESSION_BUS_ADDRESS") ? "$DBUS_SESSION_BUS_ADDRESS"
                     : getenv("XDG_RUNTIME_DIR") ? "$XDG_RUNTIME_DIR/bus" : "no $XDG_RUNTIME_DIR",
                     strerror(-r));
            free(b);
            return NULL;
        }
        return b;
    }
    // The private socket needs no bus daemon and saves its round trips; systemd lets only
    // root use it, as systemctl does.
    if (geteuid() == 0 && connect_private(&b->bus) == 0) {
        b->private_socket = 1;
        return b;
    }
    int r = sd.sd_bus_open_system(&b->bus);
    if (r < 0) {
        snprintf(err, errlen, "cannot connect to systemd over D-Bus: %s", strerror(-r));
        free(b);
        return NULL;
    }
    return b;
}

static void reset_message(sw_sdbus *b) {
    if (b->msg) b->msg = sd.sd_bus_message_unref(b->msg);
    b->pending = 0;
    b->building_start = 0;
}

void sw_sdbus_close(sw_sdbus *b) {
    if (!b) return;
    reset_message(b);
    free(b->job);
    if (b->bus) sd.sd_bus_flush_close_unref(b->bus);
    free(b);
}

const char *sw_sdbus_error(const sw_sdbus *b) { return b->error; }
const char *sw_sdbus_error_name(const sw_sdbus *b) { return b->error_name; }

static int new_call(sw_sdbus *b, const char *member) {
    reset_message(b);
    int r = sd.sd_bus_message_new_method_call(b->bus, &b->msg, "org.freedesktop.systemd1",
                                              "/org/freedesktop/systemd1",
                                              "org.freedesktop.systemd1.Manager", member);
    return r < 0 ? fail(b, r, member, NULL) : 0;
}

int sw_sdbus_begin_start(sw_sdbus *b, const char *unit, const char *mode) {
    int r = new_call(b, "StartTransientUnit");
    if (r < 0) return r;
    b->building_start = 1;
    r = sd.sd_bus_message_append(b->msg, "ss", unit, mode);
    if (r >= 0) r = sd.sd_bus_message_open_container(b->msg, 'a', "(sv)");
    return r < 0 ? fail(b, r, "build StartTransientUnit", NULL) : 0;
}

int sw_sdbus_begin_set(sw_sdbus *b, const char *unit, int runtime) {
    int r = new_call(b, "SetUnitProperties");
    if (r < 0) return r;
    r = sd.sd_bus_message_append(b->msg, "sb", unit, runtime);
    if (r >= 0) r = sd.sd_bus_message_open_container(b->msg, 'a', "(sv)");
    return r < 0 ? fail(b, r, "build SetUnitProperties", NULL) : 0;
}

static void keep(sw_sdbus *b, int r) {
    if (r < 0 && b->pending == 0) b->pending = r;
}

// Opens "(sv)" with the property name and the variant of the given signature.
static int open_property(sw_sdbus *b, const char *name, const char *signature) {
    if (!b->msg || b->pending) return -1;
    int r = sd.sd_bus_message_open_container(b->msg, 'r', "sv");
    if (r >= 0) r = sd.sd_bus_message_append_basic(b->msg, 's', name);
    if (r >= 0) r = sd.sd_bus_message_open_container(b->msg, 'v', signature);
    keep(b, r);
    return r;
}

static void close_property(sw_sdbus *b) {
    int r = sd.sd_bus_message_close_container(b->msg);
    if (r >= 0) r = sd.sd_bus_message_close_container(b->msg);
    keep(b, r);
}

void sw_sdbus_add_string(sw_sdbus *b, const char *name, const char *value) {
    if (open_property(b, name, "s") < 0) return;
    keep(b, sd.sd_bus_message_append_basic(b->msg, 's', value));
    close_property(b);
}

void sw_sdbus_add_bool(sw_sdbus *b, const char *name, int value) {
    if (open_property(b, name, "b") < 0) return;
    int v = value != 0;
    keep(b, sd.sd_bus_message_append_basic(b->msg, 'b', &v));
    close_property(b);
}

void sw_sdbus_add_u64(sw_sdbus *b, const char *name, uint64_t value) {
    if (open_property(b, name, "t") < 0) return;
    keep(b, sd.sd_bus_message_append_basic(b->msg, 't', &value));
    close_property(b);
}

void sw_sdbus_add_bytes(sw_sdbus *b, const char *name, const uint8_t *bytes, size_t n) {
    if (open_property(b, name, "ay") < 0) return;
    keep(b, sd.sd_bus_message_append_array(b->msg, 'y', bytes, n));
    close_property(b);
}

void sw_sdbus_array_begin(sw_sdbus *b, const char *name, const char *element) {
    char signature[16];
    snprintf(signature, sizeof signature, "a%s", element);
    if (open_property(b, name, signature) < 0) return;
    keep(b, sd.sd_bus_message_open_container(b->msg, 'a', element));
}

void sw_sdbus_array_u32(sw_sdbus *b, uint32_t value) {
    if (b->pending) return;
    keep(b, sd.sd_bus_message_append_basic(b->msg, 'u', &value));
}

void sw_sdbus_array_string(sw_sdbus *b, const char *value) {
    if (b->pending) return;
    keep(b, sd.sd_bus_message_append_basic(b->msg, 's', value));
}

void sw_sdbus_array_pair(sw_sdbus *b, const char *first, const char *second) {
    if (b->pending) return;
    keep(b, sd.sd_bus_message_append(b->msg, "(ss)", first, second));
}

void sw_sdbus_array_end(sw_sdbus *b) {
    if (b->pending) return;
    keep(b, sd.sd_bus_message_close_container(b->msg));
    close_property(b);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
    (void)ret_error;
    sw_sdbus *b = userdata;
    uint32_t id;
    const char *path, *unit, *result;
    if (sd.sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
    if (b->job && strcmp(path, b->job) == 0) {
        snprintf(b->job_result, sizeof b->job_result, "%s", result);
        b->job_done = 1;
    }
    return 0;
}

static uint64_t now_usec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

// Sends b->msg, which returns a job object path, and waits for that job to be removed.
// The match is added before the call: the signal can come before the reply.
static int call_and_wait(sw_sdbus *b, const char *what, uint64_t timeout_usec, char *result,
                         size_t resultlen) {
    sd_bus_slot *slot = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    int r = sd.sd_bus_match_signal(b->bus, &slot,
                                   b->private_socket ? NULL : "org.freedesktop.systemd1",
                                   "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                   "JobRemoved", on_job_removed, b);
    if (r < 0) return fail(b, r, "subscribe to JobRemoved", NULL);
    free(b->job);
    b->job = NULL;
    b->job_done = 0;
    r = sd.sd_bus_call(b->bus, b->msg, timeout_usec, &e, &reply);
    if (r < 0) {
        r = fail(b, r, what, &e);
        goto out;
    }
    const char *job;
    r = sd.sd_bus_message_read(reply, "o", &job);
    if (r < 0) { r = fail(b, r, what, NULL); goto out; }
    b->job = strdup(job);
    if (!b->job) { r = fail(b, -ENOMEM, what, NULL); goto out; }
    uint64_t deadline = now_usec() + timeout_usec;
    while (!b->job_done) {
        r = sd.sd_bus_process(b->bus, NULL);
        if (r < 0) { r = fail(b, r, "wait for the systemd job", NULL); goto out; }
        if (r > 0) continue;
        uint64_t now = now_usec();
        if (now >= deadline) {
            snprintf(b->error, sizeof b->error, "%s: timed out waiting for job %s", what, b->job);
            b->error_name[0] = 0;
            r = -ETIMEDOUT;
            goto out;
        }
        r = sd.sd_bus_wait(b->bus, deadline - now);
        if (r < 0) { r = fail(b, r, "wait for the systemd job", NULL); goto out; }
    }
    snprintf(result, resultlen, "%s", b->job_result);
    r = 0;
out:
    if (reply) sd.sd_bus_message_unref(reply);
    sd.sd_bus_error_free(&e);
    if (slot) sd.sd_bus_slot_unref(slot);
    return r;
}

int sw_sdbus_commit(sw_sdbus *b, uint64_t timeout_usec, char *result, size_t resultlen) {
    if (!b->msg) return fail(b, -EINVAL, "commit", NULL);
    int r = b->pending;
    if (r == 0) {
        r = sd.sd_bus_message_close_container(b->msg);  // the a(sv)
        if (r >= 0 && b->building_start) r = sd.sd_bus_message_append(b->msg, "a(sa(sv))", 0);
    }
    if (r < 0) {
        fail(b, r, "build the unit's properties", NULL);
        reset_message(b);
        return r;
    }
    if (b->building_start) {
        r = call_and_wait(b, "StartTransientUnit", timeout_usec, result, resultlen);
    } else {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        r = sd.sd_bus_call(b->bus, b->msg, timeout_usec, &e, NULL);
        if (r < 0) fail(b, r, "SetUnitProperties", &e);
        sd.sd_bus_error_free(&e);
        if (resultlen) result[0] = 0;
    }
    reset_message(b);
    return r < 0 ? r : 0;
}

int sw_sdbus_stop_unit(sw_sdbus *b, const char *unit, uint64_t timeout_usec, char *result, size_t resultlen) {
    int r = new_call(b, "StopUnit");
    if (r < 0) return r;
    r = sd.sd_bus_message_append(b->msg, "ss", unit, "replace");
    if (r < 0) { reset_message(b); return fail(b, r, "build StopUnit", NULL); }
    r = call_and_wait(b, "StopUnit", timeout_usec, result, resultlen);
    reset_message(b);
    return r;
}

int sw_sdbus_reset_failed_unit(sw_sdbus *b, const char *unit) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd.sd_bus_call_method(b->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL,
                                  "s", unit);
    if (r < 0) fail(b, r, "ResetFailedUnit", &e);
    sd.sd_bus_error_free(&e);
    return r < 0 ? r : 0;
}

int sw_sdbus_attach(sw_sdbus *b, const char *unit, uint32_t pid) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd.sd_bus_call_method(b->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "AttachProcessesToUnit", &e, NULL,
                                  "ssau", unit, "", 1, pid);
    if (r < 0) fail(b, r, "AttachProcessesToUnit", &e);
    sd.sd_bus_error_free(&e);
    return r < 0 ? r : 0;
}

int sw_sdbus_manager_string(sw_sdbus *b, const char *property, char **out) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    *out = NULL;
    int r = sd.sd_bus_get_property_string(b->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                          "org.freedesktop.systemd1.Manager", property, &e, out);
    if (r < 0) {
        char what[96];
        snprintf(what, sizeof what, "read systemd's %s", property);
        fail(b, r, what, &e);
    }
    sd.sd_bus_error_free(&e);
    return r < 0 ? r : 0;
}

int sw_sdbus_version(sw_sdbus *b) {
    char *v = NULL;
    int r = sw_sdbus_manager_string(b, "Version", &v);
    if (r < 0) return r;
    // "252.39-1~deb12u2", "v245.4-1.fc32", "245": the leading number.
    const char *p = v;
    while (*p == '"' || *p == 'v') p++;
    int version = 0, digits = 0;
    for (; *p >= '0' && *p <= '9' && version < 100000; p++, digits++) version = version * 10 + (*p - '0');
    free(v);
    return digits ? version : fail(b, -EINVAL, "parse systemd's Version", NULL);
}
