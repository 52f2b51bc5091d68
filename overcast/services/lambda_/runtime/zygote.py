"""The pre-imported parent that forks Python execution environments.

Started once per interpreter with a clean environment; it imports the runtime client and boto3
up front so that a new environment is a fork away (milliseconds) instead of a fresh interpreter
(hundreds of milliseconds). Runs under the function's Python, so: standard library only, 3.8+.

Protocol: commands arrive on a SOCK_SEQPACKET socket (fd in argv[1]), one JSON object per
message with the environment's output pipe attached as SCM_RIGHTS; events go out on stdout as
JSON lines: {"ready": ...}, {"spawned": id, "pid": n}, {"exited": pid, "status": code}.
"""

import gc
import json
import os
import signal
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
opt_mount = None  # imported by main(): runtime/ is not on the path before that
BASE_PATH: list[str] = []  # the interpreter's own path (stdlib, site-packages, SDK), behind the function's


def _emit(doc):
    # One write per line keeps events whole even when a signal handler emits mid-loop.
    os.write(1, (json.dumps(doc) + "\n").encode())


def _reap(signum, frame):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if os.WIFSIGNALED(status):
            _emit({"exited": pid, "signal": os.WTERMSIG(status)})
        else:
            _emit({"exited": pid, "status": os.WEXITSTATUS(status)})


def _become_environment(spec, out_fd, command_sock):
    import resource

    import bootstrap_python

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    command_sock.close()
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(null)
    os.close(out_fd)
    if spec.get("opt_source") is not None:
        # This process alone (and its children) sees its layers at /opt, before any import.
        reason = opt_mount.enter(spec["opt_source"])
        if reason is not None:  # the server's probe said yes; say on the function's output why not now
            os.write(2, f"Overcast: could not mount the layers at /opt: {reason}\n".encode())
    os.chdir(spec["cwd"])
    os.environ.clear()
    os.environ.update(spec["env"])
    import tempfile
    tempfile.tempdir = None
    if spec.get("file_size_limit"):
        limit = int(spec["file_size_limit"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.path[:] = spec.get("path_prepend", []) + BASE_PATH
    # A function that ships its own boto3 must get it, not the zygote's preloaded copy.
    task_root = spec["env"].get("LAMBDA_TASK_ROOT", "")
    for name in list(sys.modules):
        top = name.split(".", 1)[0]
        if top in ("boto3", "botocore", "s3transfer") and os.path.isdir(os.path.join(task_root, top)):
            del sys.modules[name]
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.argv = ["bootstrap"]
    code = 0
    try:
        bootstrap_python.main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


# Services whose models a function's first boto3.client() would otherwise read from disk.
PRELOADED_SERVICES = ("s3", "dynamodb", "sqs", "sns", "lambda", "sts")


def _preload_sdk():
    """A default boto3 session whose loader already holds the common data files and models,
    so boto3.client() in a function costs tens of milliseconds instead of hundreds. Nothing
    that depends on the environment (credentials, region, profile files) is resolved here."""
    try:
        import boto3

        session = boto3.Session()
        loader = session._session.get_component("data_loader")
        for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
            loader.load_data(name)
        for service in PRELOADED_SERVICES:
            loader.load_service_model(service, "service-2")
            loader.load_service_model(service, "endpoint-rule-set-1")
        boto3.DEFAULT_SESSION = session
    except Exception:
        pass


def main():
    command_sock = socket.socket(fileno=int(sys.argv[1]))
    sdk_path = sys.argv[2] if len(sys.argv) > 2 else ""
    sys.path.insert(0, HERE)
    if sdk_path:
        sys.path.append(sdk_path)
    import bootstrap_python  # noqa: F401  (pre-imported for every fork)
    global opt_mount
    import opt_mount  # loads libc once, so an environment's /opt costs only system calls
    try:
        import boto3  # noqa: F401
        import boto3.session  # noqa: F401
        import botocore.client  # noqa: F401
        have_boto3 = True
    except Exception:
        # The SDK borrowed from the server may not suit this interpreter (urllib3 2 on 3.9):
        # run without it rather than not at all, and leave no half-imported modules behind.
        have_boto3 = False
        for name in list(sys.modules):
            if name.split(".", 1)[0] in ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil"):
                del sys.modules[name]
    if have_boto3:
        _preload_sdk()
    BASE_PATH[:] = [p for p in sys.path if p != HERE]
    # Imported objects are shared with every fork; keep the collector from touching (and so
    # copying) their pages in each environment.
    gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)
    _emit({"ready": True, "version": list(sys.version_info[:3]), "boto3": have_boto3})
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(command_sock, 1 << 20, 4)
        except InterruptedError:
            continue
        if not message:
            return  # the server is gone
        spec = json.loads(message)
        if spec.get("op") == "exit":
            return
        out_fd = fds[0]
        # Hold SIGCHLD until the pid is announced so "exited" never precedes "spawned".
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
        try:
            pid = os.fork()
            if pid == 0:
                _become_environment(spec, out_fd, command_sock)
            os.close(out_fd)
            _emit({"spawned": spec["id"], "pid": pid})
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGCHLD])


if __name__ == "__main__":
    main()
