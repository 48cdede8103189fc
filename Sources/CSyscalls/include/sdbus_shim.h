// sd-bus for the systemd cgroup driver, with libsystemd loaded by dlopen on first use: linking
// it costs ~1 ms on every start of swrun (libgcrypt, liblzma, libzstd... come with it), and
// only `--systemd-cgroup` needs it. The calls Swift makes are non-variadic; the a(sv)
// property array of a unit is built one property at a time.
#ifndef SWRUN_SDBUS_SHIM_H
#define SWRUN_SDBUS_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct sw_sdbus sw_sdbus;

// Loads libsystemd.so.0 and connects to systemd: with user, the user's own manager over the
// session bus (rootless); else the system manager, on its private socket when we may use it
// (root), else over the system bus. NULL on failure with the reason in err.
sw_sdbus *sw_sdbus_open(int user, char *err, size_t errlen);
void sw_sdbus_close(sw_sdbus *b);
// The last failure: its message, and its D-Bus error name ("" when it was not a D-Bus error).
const char *sw_sdbus_error(const sw_sdbus *b);
const char *sw_sdbus_error_name(const sw_sdbus *b);

// Starts a message: StartTransientUnit(unit, mode, properties, no aux units) or
// SetUnitProperties(unit, runtime, properties). Properties follow; commit sends it.
int sw_sdbus_begin_start(sw_sdbus *b, const char *unit, const char *mode);
int sw_sdbus_begin_set(sw_sdbus *b, const char *unit, int runtime);
// One property each. A failure is kept and reported by commit.
void sw_sdbus_add_string(sw_sdbus *b, const char *name, const char *value);
void sw_sdbus_add_bool(sw_sdbus *b, const char *name, int value);
void sw_sdbus_add_u64(sw_sdbus *b, const char *name, uint64_t value);
void sw_sdbus_add_bytes(sw_sdbus *b, const char *name, const uint8_t *bytes, size_t n);
// An array property: begin with the element signature ("u", "s" or "(ss)"), add the
// elements with the matching call, end.
void sw_sdbus_array_begin(sw_sdbus *b, const char *name, const char *element);
void sw_sdbus_array_u32(sw_sdbus *b, uint32_t value);
void sw_sdbus_array_string(sw_sdbus *b, const char *value);
void sw_sdbus_array_pair(sw_sdbus *b, const char *first, const char *second);
void sw_sdbus_array_end(sw_sdbus *b);
// Sends the message. For StartTransientUnit, waits (up to timeout_usec) for the job's
// JobRemoved signal and copies its result ("done", "failed", ...) into result.
// 0 on success, a negative errno on failure.
int sw_sdbus_commit(sw_sdbus *b, uint64_t timeout_usec, char *result, size_t resultlen);

// StopUnit(unit, "replace") and the wait for its job, as commit.
int sw_sdbus_stop_unit(sw_sdbus *b, const char *unit, uint64_t timeout_usec, char *result, size_t resultlen);
int sw_sdbus_reset_failed_unit(sw_sdbus *b, const char *unit);
// AttachProcessesToUnit(unit, "", [pid]): the manager moves a process into the unit's cgroup.
int sw_sdbus_attach(sw_sdbus *b, const char *unit, uint32_t pid);
// systemd's version ("252.39-1" → 252), or a negative errno.
int sw_sdbus_version(sw_sdbus *b);
// A string property of the manager ("ControlGroup"); *out is malloc'd, for the caller to free.
int sw_sdbus_manager_string(sw_sdbus *b, const char *property, char **out);

#endif
