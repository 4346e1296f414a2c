"""Is a process still running? — the liveness test of the month lock's `.held` file (SPEC §8;
issue 28.5 d). A lock file left by a dead run on this computer is taken over; one whose run is
alive is not.

On Windows `os.kill(pid, 0)` is no test (it terminates the process, or fails for another
user's): OpenProcess + GetExitCodeProcess answer instead — STILL_ACTIVE while it runs; a pid
that OpenProcess refuses with access denied exists (another user's run). Elsewhere signal 0.
"""

from __future__ import annotations

import os

WINDOWS = os.name == "nt"
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
STILL_ACTIVE = 259
ERROR_ACCESS_DENIED = 5


def alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    return alive_windows(pid) if WINDOWS else _alive_posix(pid)


def _alive_posix(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's live process
        return True
    return True


def alive_windows(pid: int, kernel32=None, last_error=None) -> bool:
    """The Windows test through kernel32 (given by a test that forces this branch elsewhere)."""
    import ctypes

    if kernel32 is None:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        last_error = ctypes.get_last_error
    handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, int(pid))
    if not handle:
        return last_error() == ERROR_ACCESS_DENIED
    try:
        code = ctypes.c_ulong(0)
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # cannot tell: never take over a lock that may be held
        return code.value == STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
