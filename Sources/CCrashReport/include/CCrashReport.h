/* CCrashReport: a worker process's last words. On a fatal signal the handler writes one frame on the worker's
 * socket naming the signal and the libraries on the crashing stack, then lets the signal kill the process, so the
 * parent can tell a crash inside a third-party decoder from one in Cohort's own code. */
#ifndef CCRASH_REPORT_H
#define CCRASH_REPORT_H

/** Frames whose 4-byte little-endian length has this bit set are crash reports, not replies. */
#define CCRASH_REPORT_FLAG 0x80000000u

/** Installs the handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGABRT (on an alternate stack),
 *  reporting on `socket`. Call once, early, in a worker process only. Returns 0 on success. */
int ccrash_install(int socket);

#endif
