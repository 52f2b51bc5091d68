/* A SQLite VFS that gathers the frames of a write-ahead-log commit into one write.

Why: SQLite writes each WAL frame with two pwrite() calls (its 24-byte header, then the page), so a
group commit of a few transactions that dirty ~100 pages makes ~200 system calls while it holds
the only writer connection; on the development machine that was most of a commit's time. This VFS
wraps the default one and, for WAL files only, keeps consecutive writes in memory, handing them to
the real file as one write when the commit frame is complete, before any other operation on the
file, and before SQLite publishes new frames to readers (the wal-index barrier and locks).
The database file itself is not buffered: a partial checkpoint lets readers take its pages from
it without syncing it first, so a failed deferred write could not be reported in time (and
coalescing a checkpoint's pages measured no faster).

What the data is and when it is durable does not change: a commit is written in full before its
COMMIT statement returns, and the server still syncs the WAL itself before acknowledging.

The rule that keeps readers and crash recovery right: no frame SQLite has published is still in a
buffer. SQLite publishes frames by writing the wal-index header, which it does only after writing
every frame of the commit, and always with a memory barrier (xShmBarrier) and lock calls (xShmLock)
on the database file around it; this VFS flushes the WAL buffers of that database there. The
commit-frame rule (a frame header whose "database size after commit" field is not zero, followed
by its page) flushes earlier, inside the write call, so that an I/O error is reported to SQLite as
a failed write rather than found later.

The structures below are SQLite's stable VFS ABI (sqlite3.h, "VFS version 3", unchanged since
3.7.6); they are restated here so that building needs only a C compiler and Python's headers.
*/

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef long long sqlite_int64;
typedef struct sqlite3_file sqlite3_file;
typedef struct sqlite3_io_methods sqlite3_io_methods;
typedef struct sqlite3_vfs sqlite3_vfs;
typedef void (*syscall_ptr)(void);

struct sqlite3_file {
    const sqlite3_io_methods *pMethods;
};

struct sqlite3_io_methods {
    int iVersion;
    int (*xClose)(sqlite3_file *);
    int (*xRead)(sqlite3_file *, void *, int, sqlite_int64);
    int (*xWrite)(sqlite3_file *, const void *, int, sqlite_int64);
    int (*xTruncate)(sqlite3_file *, sqlite_int64);
    int (*xSync)(sqlite3_file *, int);
    int (*xFileSize)(sqlite3_file *, sqlite_int64 *);
    int (*xLock)(sqlite3_file *, int);
    int (*xUnlock)(sqlite3_file *, int);
    int (*xCheckReservedLock)(sqlite3_file *, int *);
    int (*xFileControl)(sqlite3_file *, int, void *);
    int (*xSectorSize)(sqlite3_file *);
    int (*xDeviceCharacteristics)(sqlite3_file *);
    /* version 2 */
    int (*xShmMap)(sqlite3_file *, int, int, int, void volatile **);
    int (*xShmLock)(sqlite3_file *, int, int, int);
    void (*xShmBarrier)(sqlite3_file *);
    int (*xShmUnmap)(sqlite3_file *, int);
    /* version 3 */
    int (*xFetch)(sqlite3_file *, sqlite_int64, int, void **);
    int (*xUnfetch)(sqlite3_file *, sqlite_int64, void *);
};

struct sqlite3_vfs {
    int iVersion;
    int szOsFile;
    int mxPathname;
    sqlite3_vfs *pNext;
    const char *zName;
    void *pAppData;
    int (*xOpen)(sqlite3_vfs *, const char *, sqlite3_file *, int, int *);
    int (*xDelete)(sqlite3_vfs *, const char *, int);
    int (*xAccess)(sqlite3_vfs *, const char *, int, int *);
    int (*xFullPathname)(sqlite3_vfs *, const char *, int, char *);
    void *(*xDlOpen)(sqlite3_vfs *, const char *);
    void (*xDlError)(sqlite3_vfs *, int, char *);
    void (*(*xDlSym)(sqlite3_vfs *, void *, const char *))(void);
    void (*xDlClose)(sqlite3_vfs *, void *);
    int (*xRandomness)(sqlite3_vfs *, int, char *);
    int (*xSleep)(sqlite3_vfs *, int);
    int (*xCurrentTime)(sqlite3_vfs *, double *);
    int (*xGetLastError)(sqlite3_vfs *, int, char *);
    /* version 2 */
    int (*xCurrentTimeInt64)(sqlite3_vfs *, sqlite_int64 *);
    /* version 3 */
    int (*xSetSystemCall)(sqlite3_vfs *, const char *, syscall_ptr);
    syscall_ptr (*xGetSystemCall)(sqlite3_vfs *, const char *);
    const char *(*xNextSystemCall)(sqlite3_vfs *, const char *);
};

#define SQLITE_OK 0
#define SQLITE_NOMEM 7
#define SQLITE_IOERR 10
#define SQLITE_IOERR_WRITE (SQLITE_IOERR | (3 << 8))
#define SQLITE_SHM_UNLOCK 1
#define WAL_WRITE_LOCK 0 /* the wal-index lock slot of the writer (wal.c) */
#define SQLITE_OPEN_MAIN_DB 0x00000100
#define SQLITE_OPEN_WAL 0x00080000

#define WAL_HEADER_SIZE 32
#define WAL_FRAME_HEADER_SIZE 24
/* Past this, a write goes straight through: a commit of this many bytes gains nothing more. */
#define BUFFER_LIMIT (4 << 20)
/* The unix VFS writes at most 128 KiB - 1 bytes a call (os_unix.c, seekAndWriteFd) and reports a
   longer write as a full disk, so a flush is made of writes of this size. */
#define WRITE_LIMIT (128 * 1024 - 4096)

typedef struct WrappedFile WrappedFile;
struct WrappedFile {
    sqlite3_file base;   /* pMethods: this VFS's methods */
    sqlite3_file *real;  /* the default VFS's file, allocated right after this struct */
    const char *name;    /* SQLite keeps it valid until xClose */
    int is_wal;
    int buffered;        /* WAL files only, for now */
    /* buffered files only, all under `lock`: */
    pthread_mutex_t lock;
    unsigned char *buffer;
    size_t buffer_capacity;
    size_t buffer_length;
    sqlite_int64 buffer_offset;
    sqlite_int64 last_write_end; /* where the previous write ended, flushed or not */
    sqlite_int64 commit_page_offset; /* where the page of the last commit frame header goes, or -1 */
    /* A flush failed: frames SQLite was told were written are not. A failure reported by a read or
       a size call does not make SQLite give up the transaction (a full disk rolls back only the
       statement), so every later write and flushing call fails until the write lock is released,
       when SQLite has dropped every unpublished frame; the transaction cannot commit meanwhile. */
    int lost;
    size_t database_name_length; /* of `name`: the WAL's name is the database's name and "-wal" */
    WrappedFile *next_buffered;  /* the list of open buffered files, under buffered_list_lock */
};

/* Counters for /_overcast/health and the tests: writes SQLite made to buffered files, and writes
   this VFS made to the real files for them. Updated under each file's lock, read without one. */
static unsigned long long writes_received;
static unsigned long long writes_made;

static sqlite3_vfs *base_vfs;
static sqlite3_vfs wrapper_vfs;
static pthread_mutex_t buffered_list_lock = PTHREAD_MUTEX_INITIALIZER;
static WrappedFile *open_buffered_files;

#define REAL(file) (((WrappedFile *)(file))->real)
#define REAL_METHODS(file) (REAL(file)->pMethods)

/* ---- the WAL buffer ------------------------------------------------------------------------ */

static int flush_locked(WrappedFile *file) {
    if (file->buffer_length == 0)
        return SQLITE_OK;
    size_t length = file->buffer_length;
    file->buffer_length = 0;
    int rc = SQLITE_OK;
    for (size_t done = 0; done < length && rc == SQLITE_OK; done += WRITE_LIMIT) {
        size_t part = length - done < WRITE_LIMIT ? length - done : WRITE_LIMIT;
        rc = file->real->pMethods->xWrite(file->real, file->buffer + done, (int)part,
                                          file->buffer_offset + (sqlite_int64)done);
        __atomic_add_fetch(&writes_made, 1, __ATOMIC_RELAXED);
    }
    if (rc != SQLITE_OK)
        file->lost = 1;
    return rc;
}

static int flush(WrappedFile *file) {
    pthread_mutex_lock(&file->lock);
    int rc = file->lost ? SQLITE_IOERR_WRITE : flush_locked(file);
    pthread_mutex_unlock(&file->lock);
    return rc;
}

static int is_commit_frame_header(const void *data, int amount, sqlite_int64 offset) {
    if (amount != WAL_FRAME_HEADER_SIZE || offset < WAL_HEADER_SIZE)
        return 0;
    const unsigned char *header = data;
    /* bytes 4-7: the database's size in pages after the commit, zero for other frames */
    return (header[4] | header[5] | header[6] | header[7]) != 0;
}

static int write_through(WrappedFile *file, const void *data, int amount, sqlite_int64 offset) {
    __atomic_add_fetch(&writes_made, 1, __ATOMIC_RELAXED);
    return file->real->pMethods->xWrite(file->real, data, amount, offset);
}

static int reserve_locked(WrappedFile *file, size_t amount) {
    if (file->buffer_length + amount <= file->buffer_capacity)
        return 1;
    size_t capacity = file->buffer_capacity ? file->buffer_capacity : 65536;
    while (capacity < file->buffer_length + amount)
        capacity *= 2;
    unsigned char *grown = realloc(file->buffer, capacity);
    if (grown == NULL)
        return 0;
    file->buffer = grown;
    file->buffer_capacity = capacity;
    return 1;
}

static int buffered_write(WrappedFile *file, const void *data, int amount, sqlite_int64 offset) {
    int rc = SQLITE_OK;
    pthread_mutex_lock(&file->lock);
    __atomic_add_fetch(&writes_received, 1, __ATOMIC_RELAXED);
    if (file->lost) {
        rc = SQLITE_IOERR_WRITE;
        goto done;
    }
    /* The page of a commit frame: the commit is written once it is. Known by its offset, so that
       neither a flush from another thread nor a header written through loses track of it. */
    int completes_commit = file->commit_page_offset >= 0 && offset == file->commit_page_offset;
    if (completes_commit)
        file->commit_page_offset = -1;
    int commit_header = file->is_wal && is_commit_frame_header(data, amount, offset);
    int appends = offset == file->last_write_end;
    file->last_write_end = offset + amount;
    if (commit_header)
        file->commit_page_offset = offset + WAL_FRAME_HEADER_SIZE;
    if (file->buffer_length > 0 &&
        (offset != file->buffer_offset + (sqlite_int64)file->buffer_length ||
         file->buffer_length + (size_t)amount > BUFFER_LIMIT)) {
        rc = flush_locked(file);
        if (rc != SQLITE_OK)
            goto done;
    }
    /* A commit header that does not follow the previous write may be SQLite rewriting the headers
       of frames already written (walRewriteChecksums), with no page after it: it goes straight
       through, so that an error is reported here rather than found at publication. */
    if ((size_t)amount > BUFFER_LIMIT || (commit_header && !appends) || !reserve_locked(file, (size_t)amount)) {
        rc = flush_locked(file);
        if (rc == SQLITE_OK)
            rc = write_through(file, data, amount, offset);
        goto done;
    }
    if (file->buffer_length == 0)
        file->buffer_offset = offset;
    memcpy(file->buffer + file->buffer_length, data, (size_t)amount);
    file->buffer_length += (size_t)amount;
    if (completes_commit)
        rc = flush_locked(file);
done:
    pthread_mutex_unlock(&file->lock);
    return rc;
}

/* Runs `visit` under each file's lock on every open WAL of the database `database_name`; the
   first failure is returned. */
static int visit_wals_of(const char *database_name, size_t length, int (*visit)(WrappedFile *)) {
    int rc = SQLITE_OK;
    pthread_mutex_lock(&buffered_list_lock);
    for (WrappedFile *file = open_buffered_files; file != NULL; file = file->next_buffered) {
        if (file->database_name_length != length || memcmp(file->name, database_name, length) != 0)
            continue;
        pthread_mutex_lock(&file->lock);
        int visited = visit(file);
        pthread_mutex_unlock(&file->lock);
        if (rc == SQLITE_OK)
            rc = visited;
    }
    pthread_mutex_unlock(&buffered_list_lock);
    return rc;
}

/* The WAL write lock being released: the transaction that lost frames has ended without them.
   (In locking_mode=EXCLUSIVE SQLite makes no wal-index lock calls, so a lost state would last
   until the connection closes; Overcast's writer runs in the NORMAL mode.) */
static int clear_lost_locked(WrappedFile *file) {
    if (file->lost) {
        file->lost = 0;
        file->commit_page_offset = -1; /* whatever a refused write left there */
        file->last_write_end = -1;
    }
    return SQLITE_OK;
}

/* Before SQLite publishes frames: the database file's wal-index calls flush its WALs. */
static int flush_buffers_of_file(sqlite3_file *handle) {
    WrappedFile *file = (WrappedFile *)handle;
    return file->name ? visit_wals_of(file->name, file->database_name_length, flush_locked) : SQLITE_OK;
}

/* ---- I/O methods: forward, flushing a WAL's buffer first -------------------------------- */

static int flush_if_buffered(sqlite3_file *handle) {
    return ((WrappedFile *)handle)->buffered ? flush((WrappedFile *)handle) : SQLITE_OK;
}

/* For calls whose answer depends on the bytes: an error means the call is not made. */
#define FLUSH_FIRST(file)                                  \
    do {                                                   \
        int flush_rc = flush_if_buffered(file);            \
        if (flush_rc != SQLITE_OK)                         \
            return flush_rc;                               \
    } while (0)

static int wrapped_close(sqlite3_file *handle) {
    WrappedFile *file = (WrappedFile *)handle;
    int rc = SQLITE_OK;
    if (file->buffered) {
        pthread_mutex_lock(&buffered_list_lock);
        for (WrappedFile **link = &open_buffered_files; *link != NULL; link = &(*link)->next_buffered) {
            if (*link == file) {
                *link = file->next_buffered;
                break;
            }
        }
        pthread_mutex_unlock(&buffered_list_lock);
        rc = flush(file);
        free(file->buffer);
        file->buffer = NULL;
        pthread_mutex_destroy(&file->lock);
    }
    int closed = REAL_METHODS(handle)->xClose(REAL(handle));
    return rc != SQLITE_OK ? rc : closed;
}

static int wrapped_read(sqlite3_file *file, void *data, int amount, sqlite_int64 offset) {
    FLUSH_FIRST(file);
    return REAL_METHODS(file)->xRead(REAL(file), data, amount, offset);
}

static int wrapped_write(sqlite3_file *file, const void *data, int amount, sqlite_int64 offset) {
    if (((WrappedFile *)file)->buffered)
        return buffered_write((WrappedFile *)file, data, amount, offset);
    return REAL_METHODS(file)->xWrite(REAL(file), data, amount, offset);
}

static int wrapped_truncate(sqlite3_file *file, sqlite_int64 size) {
    FLUSH_FIRST(file);
    return REAL_METHODS(file)->xTruncate(REAL(file), size);
}

static int wrapped_sync(sqlite3_file *file, int flags) {
    FLUSH_FIRST(file);
    return REAL_METHODS(file)->xSync(REAL(file), flags);
}

static int wrapped_file_size(sqlite3_file *file, sqlite_int64 *size) {
    FLUSH_FIRST(file);
    return REAL_METHODS(file)->xFileSize(REAL(file), size);
}

static int wrapped_lock(sqlite3_file *file, int level) {
    FLUSH_FIRST(file);
    return REAL_METHODS(file)->xLock(REAL(file), level);
}

/* Unlocks and hints are made whatever the flush gave: a lock left held would stop every other
   connection, and SQLite does not look at what an unlock returns. */
static int wrapped_unlock(sqlite3_file *file, int level) {
    int flushed = flush_if_buffered(file);
    int rc = REAL_METHODS(file)->xUnlock(REAL(file), level);
    return flushed != SQLITE_OK ? flushed : rc;
}

static int wrapped_check_reserved_lock(sqlite3_file *file, int *result) {
    return REAL_METHODS(file)->xCheckReservedLock(REAL(file), result);
}

static int wrapped_file_control(sqlite3_file *file, int op, void *arg) {
    int flushed = flush_if_buffered(file);
    int rc = REAL_METHODS(file)->xFileControl(REAL(file), op, arg);
    return flushed != SQLITE_OK ? flushed : rc;
}

static int wrapped_sector_size(sqlite3_file *file) {
    return REAL_METHODS(file)->xSectorSize(REAL(file));
}

static int wrapped_device_characteristics(sqlite3_file *file) {
    return REAL_METHODS(file)->xDeviceCharacteristics(REAL(file));
}

static int wrapped_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    return REAL_METHODS(file)->xShmMap(REAL(file), region, size, extend, out);
}

/* The wal-index calls are made on the database file, never on the WAL. */
static int wrapped_shm_lock(sqlite3_file *file, int offset, int count, int flags) {
    int flushed = flush_buffers_of_file(file);
    if (flushed != SQLITE_OK && !(flags & SQLITE_SHM_UNLOCK))
        return flushed;
    /* Cleared while the write lock is still held: once it is released, another connection of
       this process may take it and lose frames of its own before this call could clear them. */
    if ((flags & SQLITE_SHM_UNLOCK) && offset == WAL_WRITE_LOCK && ((WrappedFile *)file)->name)
        visit_wals_of(((WrappedFile *)file)->name, ((WrappedFile *)file)->database_name_length, clear_lost_locked);
    int rc = REAL_METHODS(file)->xShmLock(REAL(file), offset, count, flags);
    return flushed != SQLITE_OK ? flushed : rc;
}

/* SQLite calls it between its two copies of a new wal-index header: frames not yet in the WAL
   must get there now, and a failure cannot be reported, so it ends the process before the
   frames are published (what a kill -9 at that moment would do, which loses nothing
   acknowledged). With synchronous=NORMAL or OFF the commit-frame rule in buffered_write leaves
   nothing to flush here. (With FULL and powersafe overwrite off, SQLite pads a commit and syncs
   part-way through its last frame, and the rest is flushed here; Overcast does not run so.) */
static void wrapped_shm_barrier(sqlite3_file *file) {
    if (flush_buffers_of_file(file) != SQLITE_OK) {
        fprintf(stderr, "overcast: a write to %s failed as SQLite published it; stopping before "
                        "readers could see it\n", ((WrappedFile *)file)->name);
        abort();
    }
    REAL_METHODS(file)->xShmBarrier(REAL(file));
}

static int wrapped_shm_unmap(sqlite3_file *file, int delete_flag) {
    int flushed = flush_buffers_of_file(file);
    int rc = REAL_METHODS(file)->xShmUnmap(REAL(file), delete_flag);
    return flushed != SQLITE_OK ? flushed : rc;
}

static int wrapped_fetch(sqlite3_file *file, sqlite_int64 offset, int amount, void **out) {
    return REAL_METHODS(file)->xFetch(REAL(file), offset, amount, out);
}

static int wrapped_unfetch(sqlite3_file *file, sqlite_int64 offset, void *page) {
    return REAL_METHODS(file)->xUnfetch(REAL(file), offset, page);
}

/* One table per version the default VFS's files may have, so that SQLite never sees a method
   the real file lacks. */
#define METHODS(version)                                                                        \
    {version, wrapped_close, wrapped_read, wrapped_write, wrapped_truncate, wrapped_sync,         \
     wrapped_file_size, wrapped_lock, wrapped_unlock, wrapped_check_reserved_lock,               \
     wrapped_file_control, wrapped_sector_size, wrapped_device_characteristics,                  \
     version >= 2 ? wrapped_shm_map : NULL, version >= 2 ? wrapped_shm_lock : NULL,             \
     version >= 2 ? wrapped_shm_barrier : NULL, version >= 2 ? wrapped_shm_unmap : NULL,       \
     version >= 3 ? wrapped_fetch : NULL, version >= 3 ? wrapped_unfetch : NULL}

static const sqlite3_io_methods methods_by_version[3] = {METHODS(1), METHODS(2), METHODS(3)};

/* ---- VFS methods: forward to the default VFS, passing it rather than this one ------------ */

static int wrapped_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *handle, int flags, int *out_flags) {
    (void)vfs;
    WrappedFile *file = (WrappedFile *)handle;
    memset(file, 0, sizeof(*file));
    file->real = (sqlite3_file *)&file[1];
    file->name = name;
    int rc = base_vfs->xOpen(base_vfs, name, file->real, flags, out_flags);
    if (file->real->pMethods == NULL) {
        handle->pMethods = NULL; /* SQLite will not call xClose */
        return rc;
    }
    int version = file->real->pMethods->iVersion;
    handle->pMethods = &methods_by_version[(version < 1 ? 1 : version > 3 ? 3 : version) - 1];
    if (rc != SQLITE_OK)
        return rc; /* closed again at once: not buffered, not listed */
    size_t name_length = name ? strlen(name) : 0;
    if ((flags & SQLITE_OPEN_WAL) && name_length > 4 && strcmp(name + name_length - 4, "-wal") == 0) {
        file->is_wal = 1;
        file->buffered = 1;
        file->database_name_length = name_length - 4;
    } else if (flags & SQLITE_OPEN_MAIN_DB) {
        file->database_name_length = name_length; /* the wal-index calls find its WAL by name */
    }
    if (file->buffered) {
        file->last_write_end = -1;
        file->commit_page_offset = -1;
        pthread_mutex_init(&file->lock, NULL);
        pthread_mutex_lock(&buffered_list_lock);
        file->next_buffered = open_buffered_files;
        open_buffered_files = file;
        pthread_mutex_unlock(&buffered_list_lock);
    }
    return rc;
}

static int wrapped_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    /* SQLite deletes a WAL only after its last connection closed it, and closing flushes. */
    (void)vfs;
    return base_vfs->xDelete(base_vfs, name, sync_dir);
}

static int wrapped_access(sqlite3_vfs *vfs, const char *name, int flags, int *result) {
    (void)vfs;
    return base_vfs->xAccess(base_vfs, name, flags, result);
}

static int wrapped_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out) {
    (void)vfs;
    return base_vfs->xFullPathname(base_vfs, name, size, out);
}

static void *wrapped_dl_open(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return base_vfs->xDlOpen(base_vfs, name);
}

static void wrapped_dl_error(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    base_vfs->xDlError(base_vfs, size, out);
}

static void (*wrapped_dl_sym(sqlite3_vfs *vfs, void *library, const char *symbol))(void) {
    (void)vfs;
    return base_vfs->xDlSym(base_vfs, library, symbol);
}

static void wrapped_dl_close(sqlite3_vfs *vfs, void *library) {
    (void)vfs;
    base_vfs->xDlClose(base_vfs, library);
}

static int wrapped_randomness(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return base_vfs->xRandomness(base_vfs, size, out);
}

static int wrapped_sleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return base_vfs->xSleep(base_vfs, microseconds);
}

static int wrapped_current_time(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    return base_vfs->xCurrentTime(base_vfs, out);
}

static int wrapped_get_last_error(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return base_vfs->xGetLastError ? base_vfs->xGetLastError(base_vfs, size, out) : 0;
}

static int wrapped_current_time_int64(sqlite3_vfs *vfs, sqlite_int64 *out) {
    (void)vfs;
    return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

/* ---- the module -------------------------------------------------------------------------- */

PyDoc_STRVAR(wrap_doc,
             "wrap(default_vfs_address, name) -> address\n\n"
             "Builds this VFS around the sqlite3_vfs at default_vfs_address (from sqlite3_vfs_find) "
             "and returns the address of the new sqlite3_vfs, for sqlite3_vfs_register. Once only.");

static PyObject *wrap(PyObject *module, PyObject *args) {
    (void)module;
    unsigned long long address;
    const char *name;
    if (!PyArg_ParseTuple(args, "Ks", &address, &name))
        return NULL;
    if (base_vfs != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the WAL-buffering VFS is already built");
        return NULL;
    }
    sqlite3_vfs *base = (sqlite3_vfs *)(uintptr_t)address;
    if (base == NULL || base->iVersion < 1) {
        PyErr_SetString(PyExc_ValueError, "not a sqlite3_vfs");
        return NULL;
    }
    char *owned_name = strdup(name);
    if (owned_name == NULL)
        return PyErr_NoMemory();
    base_vfs = base;
    wrapper_vfs.iVersion = base->iVersion >= 2 ? 2 : 1;
    wrapper_vfs.szOsFile = (int)sizeof(WrappedFile) + base->szOsFile;
    wrapper_vfs.mxPathname = base->mxPathname;
    wrapper_vfs.zName = owned_name;
    wrapper_vfs.xOpen = wrapped_open;
    wrapper_vfs.xDelete = wrapped_delete;
    wrapper_vfs.xAccess = wrapped_access;
    wrapper_vfs.xFullPathname = wrapped_full_pathname;
    wrapper_vfs.xDlOpen = wrapped_dl_open;
    wrapper_vfs.xDlError = wrapped_dl_error;
    wrapper_vfs.xDlSym = wrapped_dl_sym;
    wrapper_vfs.xDlClose = wrapped_dl_close;
    wrapper_vfs.xRandomness = wrapped_randomness;
    wrapper_vfs.xSleep = wrapped_sleep;
    wrapper_vfs.xCurrentTime = wrapped_current_time;
    wrapper_vfs.xGetLastError = wrapped_get_last_error;
    if (base->iVersion >= 2)
        wrapper_vfs.xCurrentTimeInt64 = wrapped_current_time_int64;
    return PyLong_FromUnsignedLongLong((unsigned long long)(uintptr_t)&wrapper_vfs);
}

PyDoc_STRVAR(stats_doc,
             "stats() -> (writes_received, writes_made)\n\n"
             "Writes SQLite made to WAL files, and writes this VFS made "
             "to the real files for them, since the process started.");

static PyObject *stats(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return Py_BuildValue("(KK)", __atomic_load_n(&writes_received, __ATOMIC_RELAXED),
                         __atomic_load_n(&writes_made, __ATOMIC_RELAXED));
}

static PyMethodDef module_methods[] = {
    {"wrap", wrap, METH_VARARGS, wrap_doc},
    {"stats", stats, METH_NOARGS, stats_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_walbuffer",
    "A SQLite VFS that writes a WAL commit's frames in one system call (see overcast/storage/vfs.py).",
    -1, module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__walbuffer(void) {
    return PyModule_Create(&module_definition);
}
