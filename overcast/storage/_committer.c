/* A native thread that COMMITs a batch run on the event loop and then syncs the WAL, without
Python's GIL (see nativecommit.py for how the server uses it).

Why: a batch run on the event loop's thread used to be committed by a Python thread, which had
to win the GIL from the busy loop before it could start the COMMIT, again when SQLite returned,
and again after the sync: on the development machine the connection sat idle ~0.7 ms a batch
waiting for the first of these alone, and the hand-overs cost the loop a fifth of its time. This
thread touches no Python object: it calls sqlite3_exec(db, "COMMIT") and fdatasync(2) and tells
the loop through an eventfd, which the loop reads when it gets to it.

Per batch, in order: submit() hands over the connection (the caller holds Overcast's connection
lock and uses nothing of the connection until the commit is reported); the thread commits,
records the result and writes the eventfd; then, unless the commit failed, syncs the WAL and
counts the batch as synced (successfully or not) and writes the eventfd again. A batch submitted
while the previous one is syncing waits for that sync: a sync covers everything committed before
it, so the next batch's sync follows at once.

Syncs, this thread's and those Python makes through sync(), go one at a time under one mutex,
and the first failure is kept: Linux reports a lost write-back once per open file, so a later
sync could succeed over pages that never reached the disk; after one failure every sync fails.

The SQLite functions are passed in as addresses (those of the library Python's sqlite3 module
uses), so building needs only a C compiler and Python's headers.
*/

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef int (*exec_function)(void *db, const char *sql, void *callback, void *argument, char **error);
typedef void (*free_function)(void *);

typedef struct {
    PyObject_HEAD
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mutex; /* guards everything below but the sync state */
    pthread_cond_t wake;   /* a commit submitted, or stopping */
    pthread_cond_t idle;   /* a batch finished (for drain) */
    void *db;
    int commit_pending, commit_reported, stopping;
    int commit_status;
    char *commit_error; /* sqlite3_malloc'ed message of a failed commit, or NULL */
    unsigned long long submitted, finished, finished_ok;
    int notify_fd, wal_fd; /* wal_fd -1: nothing to sync (the server runs without fsync) */
    exec_function sqlite_exec;
    free_function sqlite_free;
    pthread_mutex_t sync_mutex;
    int sync_errno; /* the first failed sync's errno, 0 while none failed */
} Committer;

static void notify(Committer *self) {
    uint64_t one = 1;
    ssize_t written;
    do {
        written = write(self->notify_fd, &one, sizeof one);
    } while (written < 0 && errno == EINTR);
}

/* fdatasync under the sync mutex; the errno of the first failure ever, 0 if none. */
static int sync_wal(Committer *self) {
    pthread_mutex_lock(&self->sync_mutex);
    if (self->sync_errno == 0 && self->wal_fd >= 0) {
        int status;
        do {
            status = fdatasync(self->wal_fd);
        } while (status < 0 && errno == EINTR);
        if (status < 0) self->sync_errno = errno;
    }
    int result = self->sync_errno;
    pthread_mutex_unlock(&self->sync_mutex);
    return result;
}

static int sync_errno_now(Committer *self) {
    pthread_mutex_lock(&self->sync_mutex);
    int result = self->sync_errno;
    pthread_mutex_unlock(&self->sync_mutex);
    return result;
}

static void *run(void *argument) {
    Committer *self = argument;
    pthread_mutex_lock(&self->mutex);
    for (;;) {
        while (!self->commit_pending && !self->stopping) pthread_cond_wait(&self->wake, &self->mutex);
        if (!self->commit_pending) break; /* stopping, and nothing left to commit */
        void *db = self->db;
        pthread_mutex_unlock(&self->mutex);
        char *error = NULL;
        int status = self->sqlite_exec(db, "COMMIT", NULL, NULL, &error);
        pthread_mutex_lock(&self->mutex);
        self->commit_status = status;
        self->commit_error = error;
        self->commit_pending = 0;
        self->commit_reported = 1;
        notify(self);
        pthread_mutex_unlock(&self->mutex);
        /* A failed COMMIT has nothing to sync (the caller knows its jobs failed); it counts as
           synced unless a sync failed before it, so that the batches counted ok always come
           before the first one that is not (the caller tells them apart by that count). */
        int failure = status == 0 ? sync_wal(self) : sync_errno_now(self);
        pthread_mutex_lock(&self->mutex);
        self->finished++;
        if (failure == 0) self->finished_ok++;
        notify(self);
        pthread_cond_broadcast(&self->idle);
    }
    pthread_mutex_unlock(&self->mutex);
    return NULL;
}

static int committer_init(Committer *self, PyObject *args, PyObject *kwargs) {
    unsigned long long exec_address, free_address;
    int notify_fd, wal_fd;
    if (self->thread_started) {
        PyErr_SetString(PyExc_RuntimeError, "Committer already initialised");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "KKii", &exec_address, &free_address, &notify_fd, &wal_fd)) return -1;
    if (!exec_address || !free_address) {
        PyErr_SetString(PyExc_ValueError, "the SQLite function addresses must not be 0");
        return -1;
    }
    self->sqlite_exec = (exec_function)(uintptr_t)exec_address;
    self->sqlite_free = (free_function)(uintptr_t)free_address;
    self->notify_fd = notify_fd;
    self->wal_fd = wal_fd;
    pthread_mutex_init(&self->mutex, NULL);
    pthread_mutex_init(&self->sync_mutex, NULL);
    pthread_cond_init(&self->wake, NULL);
    pthread_cond_init(&self->idle, NULL);
    if (pthread_create(&self->thread, NULL, run, self) != 0) {
        PyErr_SetString(PyExc_OSError, "could not start the committing thread");
        return -1;
    }
    self->thread_started = 1;
    return 0;
}

static PyObject *committer_submit(Committer *self, PyObject *db_address) {
    void *db = PyLong_AsVoidPtr(db_address);
    if (db == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no connection handle");
        return NULL;
    }
    pthread_mutex_lock(&self->mutex);
    if (self->commit_pending || self->stopping || !self->thread_started) {
        pthread_mutex_unlock(&self->mutex);
        PyErr_SetString(PyExc_RuntimeError, "a commit is already pending, or the committer stopped");
        return NULL;
    }
    self->db = db;
    self->commit_pending = 1;
    self->submitted++;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->mutex);
    Py_RETURN_NONE;
}

/* ((status, message) of a commit not reported before, or None; batches finished; of them, those
   whose sync succeeded; the first sync failure's errno or 0). */
static PyObject *committer_poll(Committer *self, PyObject *unused) {
    (void)unused;
    PyObject *commit = NULL;
    pthread_mutex_lock(&self->mutex);
    /* The report is cleared only once it is built: a failure to build it (memory) leaves it for
       the next poll rather than losing it (its batch would hold the connection for ever). */
    if (self->commit_reported) {
        char *error = self->commit_error;
        PyObject *message = error ? PyUnicode_DecodeUTF8(error, (Py_ssize_t)strlen(error), "replace")
                                  : Py_NewRef(Py_None);
        if (message != NULL) commit = Py_BuildValue("(iN)", self->commit_status, message);
        if (commit == NULL) {
            pthread_mutex_unlock(&self->mutex);
            return NULL;
        }
        if (error) self->sqlite_free(error);
        self->commit_error = NULL;
        self->commit_reported = 0;
    } else {
        commit = Py_NewRef(Py_None);
    }
    unsigned long long finished = self->finished, finished_ok = self->finished_ok;
    pthread_mutex_unlock(&self->mutex);
    int sync_errno = sync_errno_now(self);
    return Py_BuildValue("(NKKi)", commit, finished, finished_ok, sync_errno);
}

/* Python's own syncs (batches committed elsewhere), one at a time with this thread's. */
static PyObject *committer_sync(Committer *self, PyObject *unused) {
    int result;
    Py_BEGIN_ALLOW_THREADS
    result = sync_wal(self);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(result);
}

/* Wait, without the GIL, until every submitted batch has finished (committed and synced). */
static PyObject *committer_drain(Committer *self, PyObject *unused) {
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->mutex);
    while (self->thread_started && self->finished < self->submitted) pthread_cond_wait(&self->idle, &self->mutex);
    pthread_mutex_unlock(&self->mutex);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static void stop(Committer *self) {
    if (!self->thread_started) return;
    pthread_mutex_lock(&self->mutex);
    self->stopping = 1;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->mutex);
    Py_BEGIN_ALLOW_THREADS
    pthread_join(self->thread, NULL);
    Py_END_ALLOW_THREADS
    self->thread_started = 0;
    if (self->commit_error) {
        self->sqlite_free(self->commit_error);
        self->commit_error = NULL;
    }
}

/* Stops the thread once the batch it has (if any) is committed and synced. */
static PyObject *committer_close(Committer *self, PyObject *unused) {
    stop(self);
    Py_RETURN_NONE;
}

static void committer_dealloc(Committer *self) {
    stop(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef committer_methods[] = {
    {"submit", (PyCFunction)committer_submit, METH_O, "Commit the connection at this address."},
    {"poll", (PyCFunction)committer_poll, METH_NOARGS, "What finished since the last poll."},
    {"sync", (PyCFunction)committer_sync, METH_NOARGS, "Sync the WAL; the first failure's errno, or 0."},
    {"drain", (PyCFunction)committer_drain, METH_NOARGS, "Wait until every submitted batch finished."},
    {"close", (PyCFunction)committer_close, METH_NOARGS, "Stop the thread."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CommitterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "overcast.storage._committer.Committer",
    .tp_basicsize = sizeof(Committer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)committer_init,
    .tp_dealloc = (destructor)committer_dealloc,
    .tp_methods = committer_methods,
};

static struct PyModuleDef committer_module = {
    PyModuleDef_HEAD_INIT, "_committer", "COMMIT and sync off the GIL (see nativecommit.py).", -1, NULL,
};

PyMODINIT_FUNC PyInit__committer(void) {
    if (PyType_Ready(&CommitterType) < 0) return NULL;
    PyObject *module = PyModule_Create(&committer_module);
    if (module == NULL) return NULL;
    Py_INCREF(&CommitterType);
    if (PyModule_AddObject(module, "Committer", (PyObject *)&CommitterType) < 0) {
        Py_DECREF(&CommitterType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
