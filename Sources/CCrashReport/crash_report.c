// The handler runs after memory may be corrupt: it uses a static buffer, stack arrays and write-style calls.
// backtrace() and dladdr() are not on POSIX's async-signal-safe list; backtrace is primed at install time (its first
// call loads libgcc_s), and a crashing worker is about to die anyway, so the worst case is a missing report.
#define _GNU_SOURCE
#include "CCrashReport.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int reportSocket = -1;
static char alternateStack[64 * 1024];

static const char *signalName(int signal) {
    switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    default: return "a fatal signal";
    }
}

static void append(char *text, size_t *used, size_t capacity, const char *piece) {
    size_t n = strlen(piece);
    if (*used + n >= capacity) n = capacity - *used - 1;
    memcpy(text + *used, piece, n);
    *used += n;
    text[*used] = '\0';
}

static int isRuntimeLibrary(const char *name) {
    return strncmp(name, "libc.so", 7) == 0 || strncmp(name, "libgcc_s", 8) == 0 || strncmp(name, "libpthread", 10) == 0;
}

// "SIGABRT in libdcmtkcharls.so.17 < libdcmjpls.so.17 < libdcmdata.so.17 < cohort": the distinct libraries on the
// stack from the innermost outwards, the C runtime's own frames (raise, abort, assert) left out.
static size_t describe(int signal, char *text, size_t capacity) {
    void *frames[48];
    int count = backtrace(frames, 48);
    size_t used = 0;
    text[0] = '\0';
    append(text, &used, capacity, signalName(signal));
    const char *previous = NULL;
    int named = 0, pastHandler = 0;
    for (int i = 0; i < count && named < 5; ++i) {
        Dl_info info;
        if (dladdr(frames[i], &info) == 0 || info.dli_fname == NULL) continue;
        const char *slash = strrchr(info.dli_fname, '/');
        const char *name = slash ? slash + 1 : info.dli_fname;
        // The handler's own frames come first, then the C runtime's signal trampoline: start after it.
        if (isRuntimeLibrary(name)) { pastHandler = 1; continue; }
        if (!pastHandler || (previous && strcmp(previous, name) == 0)) continue;
        append(text, &used, capacity, named == 0 ? " in " : " < ");
        append(text, &used, capacity, name);
        previous = name;
        ++named;
    }
    return used;
}

static void onFatalSignal(int signal) {
    static char text[512];
    size_t length = describe(signal, text, sizeof text);
    uint32_t header = (uint32_t)length | CCRASH_REPORT_FLAG;
    unsigned char prefix[4] = {header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, (header >> 24) & 0xff};
    if (reportSocket >= 0) {
        (void)send(reportSocket, prefix, 4, MSG_NOSIGNAL);
        (void)send(reportSocket, text, length, MSG_NOSIGNAL);
    }
    // SA_RESETHAND restored the default action: returning re-runs the faulting instruction (or raise does it).
    raise(signal);
}

int ccrash_install(int socket) {
    void *prime[2];
    (void)backtrace(prime, 2);
    reportSocket = socket;
    stack_t stack = {.ss_sp = alternateStack, .ss_size = sizeof alternateStack, .ss_flags = 0};
    if (sigaltstack(&stack, NULL) != 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = onFatalSignal;
    action.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; ++i) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}
