"""Fork server for the offline cloud's Python runs: imports the heavy libraries once, then runs
each requested script in a forked child, as `python3 SCRIPT ARGS...` would (argv, environment,
stdin, stdout, stderr and exit status of its own). Saves the ~0.9 s import of pandas, scikit-learn
and xgboost per run; each run still has a process, and so a memory, of its own.

Protocol, one JSON object a line: request {"id", "script", "args", "env", "stdin", "stdout",
"stderr"} (file paths) on stdin; reply {"id", "status"} on stdout when the run has ended.
"""
import json
import os
import runpy
import sys
import threading

# Imported here only so that every forked child finds them loaded.
import numpy
import pandas
import sklearn.metrics
import sklearn.model_selection
import xgboost

lock = threading.Lock()
pending = {}
children = threading.Semaphore(0)  # one release per running child: the reaper waits only when there is one


def run_child(req):
    """In the forked child: becomes `python3 script args` with its own files, then exits."""
    os.environ.update(req["env"])
    for fd, path, mode in ((0, req["stdin"], os.O_RDONLY), (1, req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), (2, req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
        f = os.open(path, mode, 0o600)
        os.dup2(f, fd)
        os.close(f)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = [req["script"], *req["args"]]
    sys.path.insert(0, os.path.dirname(os.path.abspath(req["script"])))
    code = 0
    try:
        runpy.run_path(req["script"], run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int) and e.code is not None:
            print(e.code, file=sys.stderr)
    except BaseException:  # a script's crash is its exit status 1, as python3 reports it
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def reaper():
    while True:
        children.acquire()
        pid, status = os.wait()
        with lock:
            rid = pending.pop(pid, None)
            if rid is not None:
                sys.stdout.write(json.dumps({"id": rid, "status": os.waitstatus_to_exitcode(status)}) + "\n")
                sys.stdout.flush()


def main():
    threading.Thread(target=reaper, daemon=True).start()
    for line in sys.stdin:
        req = json.loads(line)
        with lock:
            pid = os.fork()
            if pid == 0:
                run_child(req)
            pending[pid] = req["id"]
        children.release()


if __name__ == "__main__":
    main()
