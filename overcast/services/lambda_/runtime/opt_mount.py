"""Showing a function its layers at /opt, as Lambda does, without root.

An execution environment's process (just forked, single-threaded, before the handler is
imported) enters its own user and mount namespaces and bind-mounts the merged layer directory
read-only onto /opt. Only that process and its children see it; the server and every other
environment keep their own /opt. Where the kernel refuses (user namespaces disabled, a seccomp
filter, no /opt to mount over), the caller falls back to pointing the function's paths at the
unpacked layers and says so once per function.

Imported by the zygote (runs under the function's Python): standard library only, 3.8+.
Run as a script, it probes whether the mount works on this machine: `python opt_mount.py DIR
[TARGET]` prints "ok" or the reason it does not.
"""

import ctypes
import errno
import os
import sys

OPT = "/opt"
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME = 1 << 18, 1 << 21
# A read-only remount inside a user namespace must keep the flags the source mount was locked
# with (the kernel answers EPERM otherwise): statvfs flag -> mount flag.
_LOCKED_FLAGS = (
    (getattr(os, "ST_NOSUID", 2), MS_NOSUID), (getattr(os, "ST_NODEV", 4), MS_NODEV),
    (getattr(os, "ST_NOEXEC", 8), MS_NOEXEC), (getattr(os, "ST_NOATIME", 1024), MS_NOATIME),
    (getattr(os, "ST_NODIRATIME", 2048), MS_NODIRATIME), (getattr(os, "ST_RELATIME", 4096), MS_RELATIME),
)

# Loaded once in the parent (server or zygote) so a fresh child only makes system calls.
_libc: "ctypes.CDLL | None"
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)
    _libc.unshare.argtypes = (ctypes.c_int,)
except (OSError, AttributeError):  # not Linux / no libc symbols
    _libc = None


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _unshare():
    """Enter new mount (and, unless already privileged, user) namespaces."""
    assert _libc is not None
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:
        # The same ids inside as outside: files keep their owners, and the process is still
        # its own user for the server (signals, /proc, prlimit).
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        return
    first = ctypes.get_errno()
    # Root where user namespaces are off can still have a mount namespace of its own.
    if os.geteuid() == 0 and _libc.unshare(CLONE_NEWNS) == 0:
        return
    raise OSError(first, f"unshare: {os.strerror(first)}")


def enter(source, target=OPT):
    """Make `source` appear read-only at `target` for this process and its future children.

    Returns None on success, else why not (this process is then unchanged or, at worst, in a
    private namespace that still shows the original `target`)."""
    if _libc is None:
        return "no C library to make system calls with"
    if not os.path.isdir(target):
        return f"{target} does not exist on this machine"
    try:
        _unshare()
        # Private first, so the bind below never propagates back to the host's mount tree.
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making / private")
        _check(_libc.mount(os.fsencode(source), os.fsencode(target), None, MS_BIND | MS_REC, None),
               "bind-mounting the layers")
    except OSError as e:
        return str(e) if e.errno != errno.EPERM else f"{e} (user namespaces are not allowed here)"
    try:
        flags = os.statvfs(source).f_flag
        locked = 0
        for st_flag, ms_flag in _LOCKED_FLAGS:
            if flags & st_flag:
                locked |= ms_flag
        _check(_libc.mount(None, os.fsencode(target), None, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, None),
               "remounting read-only")
    except OSError:
        pass  # visible, only writable: the layers still show, which is what matters
    return None


def _probe(source, target):
    """Whether enter() works here; runs in a throwaway process."""
    reason = enter(source, target)
    if reason is None and sorted(os.listdir(target)) != sorted(os.listdir(source)):
        reason = f"the bind mount did not show the layers at {target}"
    print("ok" if reason is None else reason)


if __name__ == "__main__":
    _probe(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else OPT)
