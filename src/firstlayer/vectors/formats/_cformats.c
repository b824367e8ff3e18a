/* The vector-file loops in C, built by pip (setup.py, an optional extension): the same
 * functions, arguments and results as the numba kernels they replace when this module is
 * built (_text_kernels.py: parse_lines, count_tokens; _binary_kernels.py: read_records,
 * copy_vectors), so that loading a vector file imports neither numba nor LLVM: a fresh
 * process loads a small file in ~0.1 s instead of ~0.6 s and ~130 MB less memory, and the
 * first call after installing compiles nothing. The algorithms and their reasons are
 * documented in those modules; the comments here only say where C differs.
 *
 * Arrays arrive through the buffer protocol (no NumPy headers needed to build), C-contiguous.
 * Every loop releases the GIL, as the numba versions do (nogil=True).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

/* A line's status after parsing (as in _text_kernels.py) */
enum { ST_OK = 0, ST_BLANK = 1, ST_SHORT = 2, ST_SLOW = 3, ST_SPACED = 4 };

static const double POW10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const uint64_t P10_INT[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                    100000000};
#define TWO_53 ((uint64_t)1 << 53)

static inline int is_space(unsigned c) { return c == 32 || (c >= 9 && c <= 13); }

/* ---- numbers: eight digits at a time (SWAR, as in _text_kernels.py) ------------------------ */
static inline uint64_t load8(const uint8_t *p) {
    uint64_t x = 0;
    for (int t = 0; t < 8; t++) x |= (uint64_t)p[t] << (8 * t); /* one load on little endian */
    return x;
}

static inline int leading_digits(uint64_t x) {
    uint64_t not_digit =
        ((x + 0x4646464646464646ULL) | (x - 0x3030303030303030ULL) | x) & 0x8080808080808080ULL;
    if (not_digit == 0) return 8;
    uint64_t lowest = not_digit & (~not_digit + 1);
    return (int)(((lowest >> 7) * 0x0001020304050607ULL) >> 56);
}

static inline uint64_t digits_value(uint64_t x, int n) {
    if (n < 8) x = (x << (8 * (8 - n))) | (0x3030303030303030ULL >> (8 * n));
    x -= 0x3030303030303030ULL;
    x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFULL;
    x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFULL;
    x = (x * 10000 + (x >> 32)) & 0xFFFFFFFFULL;
    return x;
}

/* float() of the token at buf[j] ending at the next space or hi, in Clinger's fast path:
 * sets *value and returns the end, or returns -1 (then *value = 0). size: bytes in buf (the
 * eight-byte loads may look past hi, never past size). */
static inline int64_t parse_number(const uint8_t *buf, int64_t size, int64_t j, int64_t hi,
                                   double *value) {
    int neg = buf[j] == 45;
    if (neg || buf[j] == 43) j++;
    uint64_t m = 0; /* unsigned: wraps like numba's int64 where digits > 17 (rejected) */
    int64_t digits = 0, frac = 0;
    while (j < hi) {
        int d = (int)buf[j] - 48;
        if (d < 0 || d > 9) break;
        m = m * 10 + (uint64_t)d;
        digits++;
        j++;
    }
    if (j < hi && buf[j] == 46) {
        j++;
        while (digits <= 9 && j + 8 <= size) {
            uint64_t x = load8(buf + j);
            int n = leading_digits(x);
            if (n > 0) {
                m = m * P10_INT[n] + digits_value(x, n);
                digits += n;
                frac += n;
                j += n;
            }
            if (n < 8) break;
        }
        while (j < hi) {
            int d = (int)buf[j] - 48;
            if (d < 0 || d > 9) break;
            m = m * 10 + (uint64_t)d;
            digits++;
            frac++;
            j++;
        }
    }
    int64_t p = -frac;
    if (j < hi && (buf[j] == 101 || buf[j] == 69)) {
        j++;
        int exp_neg = 0;
        if (j < hi && (buf[j] == 45 || buf[j] == 43)) {
            exp_neg = buf[j] == 45;
            j++;
        }
        int64_t exp = 0;
        int exp_digits = 0;
        while (j < hi && exp_digits < 4) {
            int d = (int)buf[j] - 48;
            if (d < 0 || d > 9) break;
            exp = exp * 10 + d;
            exp_digits++;
            j++;
        }
        if (exp_digits == 0) {
            *value = 0.0;
            return -1;
        }
        p += exp_neg ? -exp : exp;
    }
    if ((j < hi && !is_space(buf[j])) || digits == 0 || digits > 17 || m >= TWO_53) {
        *value = 0.0;
        return -1;
    }
    double v;
    if (m == 0)
        v = 0.0;
    else if (p >= 0 && p <= 22)
        v = (double)m * POW10[p];
    else if (p >= -22 && p < 0)
        v = (double)m / POW10[-p];
    else {
        *value = 0.0;
        return -1;
    }
    *value = neg ? -v : v;
    return j;
}

/* A row of out: float32 or float64 */
typedef struct {
    char *base;
    int is64;
    Py_ssize_t stride; /* bytes per row */
} Rows;

static inline void put(Rows *r, int64_t i, int64_t k, double v) {
    if (r->is64)
        ((double *)(r->base + i * r->stride))[k] = v;
    else
        ((float *)(r->base + i * r->stride))[k] = (float)v;
}

static inline int parse_line_forward(const uint8_t *buf, int64_t size, int64_t lo, int64_t hi,
                                     int64_t dim, Rows *out, int64_t i, int64_t *ws,
                                     int64_t *we) {
    int64_t j = lo;
    while (j < hi && is_space(buf[j])) j++;
    int64_t word_s = j;
    while (j < hi && !is_space(buf[j])) j++;
    int64_t word_e = j;
    if (word_e == word_s) return -1;
    for (int64_t k = 0; k < dim; k++) {
        while (j < hi && is_space(buf[j])) j++;
        if (j == hi) return -1;
        double v;
        j = parse_number(buf, size, j, hi, &v);
        if (j < 0) return -1;
        put(out, i, k, v);
    }
    while (j < hi && is_space(buf[j])) j++;
    if (j != hi) return -1;
    *ws = word_s;
    *we = word_e;
    return ST_OK;
}

static inline int parse_line(const uint8_t *buf, int64_t size, int64_t lo, int64_t hi,
                             int64_t dim, Rows *out, int64_t i, int64_t *ws, int64_t *we) {
    int64_t e = hi, k = dim - 1;
    int slow = 0;
    while (k >= 0) {
        while (e > lo && is_space(buf[e - 1])) e--;
        if (e == lo) break;
        int64_t s = e - 1;
        while (s > lo && !is_space(buf[s - 1])) s--;
        double v;
        int64_t end = parse_number(buf, size, s, e, &v);
        if (end != e) slow = 1;
        put(out, i, k, v);
        k--;
        e = s;
    }
    while (e > lo && is_space(buf[e - 1])) e--;
    int64_t s = lo;
    while (s < e && is_space(buf[s])) s++;
    *ws = s;
    *we = e;
    if (k == dim - 1 && s == e) return ST_BLANK;
    if (k >= 0 || s == e) return ST_SHORT;
    for (int64_t j = s; j < e; j++)
        if (is_space(buf[j])) return ST_SPACED;
    return slow ? ST_SLOW : ST_OK;
}

/* ---- argument helpers ---------------------------------------------------------------------- */
/* A C-contiguous buffer of items of `itemsize` bytes (format checked loosely by size and kind:
 * 'i' integer or 'f' float or 'u' unsigned byte) */
static int get_buf(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t itemsize, char kind,
                   const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    int ok = view->itemsize == itemsize;
    if (kind == 'i') ok = ok && (*f == 'q' || *f == 'l' || *f == 'Q' || *f == 'L');
    if (kind == 'u') ok = ok && (*f == 'B' || *f == 'b' || *f == 'c');
    if (kind == 'f') ok = ok && (*f == 'f' || *f == 'd');
    if (kind == 'I') ok = ok && (*f == 'I' || *f == 'i' || *f == 'L' || *f == 'l');
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s: unexpected item type %s (size %zd)", name, f,
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#define RELEASE_ALL(arr, n)                                         \
    do {                                                            \
        for (int _r = 0; _r < (n); _r++) PyBuffer_Release(&(arr)[_r]); \
    } while (0)

/* ---- parse_lines(buf, line_lo, line_hi, dim, out, key_s, key_e, status) --------------------- */
static PyObject *py_parse_lines(PyObject *self, PyObject *args) {
    PyObject *o[7];
    Py_ssize_t dim;
    if (!PyArg_ParseTuple(args, "OOOnOOOO", &o[0], &o[1], &o[2], &dim, &o[3], &o[4], &o[5],
                          &o[6]))
        return NULL;
    Py_buffer b[7];
    static const char kinds[7] = {'u', 'i', 'i', 'f', 'i', 'i', 'u'};
    static const int writable[7] = {0, 0, 0, 1, 1, 1, 1};
    static const char *names[7] = {"buf", "line_lo", "line_hi", "out", "key_s", "key_e",
                                   "status"};
    for (int r = 0; r < 7; r++) {
        Py_ssize_t size = kinds[r] == 'u' ? 1 : 8;
        if (r == 3) size = -1;
        if (size < 0) {
            int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE;
            if (PyObject_GetBuffer(o[3], &b[3], flags) < 0) {
                RELEASE_ALL(b, r);
                return NULL;
            }
            const char *f = b[3].format ? b[3].format : "B";
            if (*f == '<' || *f == '=' || *f == '@') f++;
            if (!((*f == 'f' && b[3].itemsize == 4) || (*f == 'd' && b[3].itemsize == 8))) {
                PyErr_SetString(PyExc_TypeError, "out must be float32 or float64");
                RELEASE_ALL(b, r + 1);
                return NULL;
            }
            continue;
        }
        if (get_buf(o[r], &b[r], writable[r], size, kinds[r], names[r]) < 0) {
            RELEASE_ALL(b, r);
            return NULL;
        }
    }
    Py_ssize_t lines = b[1].len / 8;
    Rows out = {(char *)b[3].buf, b[3].itemsize == 8, (Py_ssize_t)(dim * b[3].itemsize)};
    if (b[2].len / 8 != lines || b[4].len / 8 < lines || b[5].len / 8 < lines ||
        b[6].len < lines || b[3].len < lines * out.stride || dim < 0) {
        PyErr_SetString(PyExc_ValueError, "parse_lines: arrays of mismatched sizes");
        RELEASE_ALL(b, 7);
        return NULL;
    }
    const uint8_t *buf = (const uint8_t *)b[0].buf;
    int64_t size = b[0].len;
    const int64_t *lo = (const int64_t *)b[1].buf, *hi = (const int64_t *)b[2].buf;
    int64_t *ks = (int64_t *)b[4].buf, *ke = (int64_t *)b[5].buf;
    int8_t *status = (int8_t *)b[6].buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t i = 0; i < lines; i++) {
        if (lo[i] < 0 || hi[i] > size || lo[i] > hi[i]) {
            bad = 1;
            break;
        }
        int64_t s = 0, e = 0;
        int kind = parse_line_forward(buf, size, lo[i], hi[i], dim, &out, i, &s, &e);
        if (kind < 0) kind = parse_line(buf, size, lo[i], hi[i], dim, &out, i, &s, &e);
        status[i] = (int8_t)kind;
        ks[i] = s;
        ke[i] = e;
    }
    Py_END_ALLOW_THREADS;
    RELEASE_ALL(b, 7);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "parse_lines: a line outside the buffer");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ---- count_tokens(buf, line_lo, line_hi) -> bytes of int64 counts --------------------------- */
static PyObject *py_count_tokens(PyObject *self, PyObject *args) {
    PyObject *o[4];
    if (!PyArg_ParseTuple(args, "OOOO", &o[0], &o[1], &o[2], &o[3])) return NULL;
    Py_buffer b[4];
    static const char kinds[4] = {'u', 'i', 'i', 'i'};
    static const char *names[4] = {"buf", "line_lo", "line_hi", "counts"};
    for (int r = 0; r < 4; r++) {
        if (get_buf(o[r], &b[r], r == 3, kinds[r] == 'u' ? 1 : 8, kinds[r], names[r]) < 0) {
            RELEASE_ALL(b, r);
            return NULL;
        }
    }
    Py_ssize_t lines = b[1].len / 8;
    const uint8_t *buf = (const uint8_t *)b[0].buf;
    const int64_t *lo = (const int64_t *)b[1].buf, *hi = (const int64_t *)b[2].buf;
    int64_t *counts = (int64_t *)b[3].buf;
    int bad = b[2].len / 8 != lines || b[3].len / 8 < lines;
    if (!bad) {
        Py_BEGIN_ALLOW_THREADS;
        for (Py_ssize_t i = 0; i < lines && !bad; i++) {
            if (lo[i] < 0 || hi[i] > b[0].len || lo[i] > hi[i]) {
                bad = 1;
                break;
            }
            int inside = 0;
            int64_t n = 0;
            for (int64_t j = lo[i]; j < hi[i]; j++) {
                int space = is_space(buf[j]);
                if (!space && !inside) n++;
                inside = !space;
            }
            counts[i] = n;
        }
        Py_END_ALLOW_THREADS;
    }
    RELEASE_ALL(b, 4);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "count_tokens: arrays of mismatched sizes");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ---- read_records(buf, pos, record, most, max_word, starts, spaces, words, out) ------------- */
static PyObject *py_read_records(PyObject *self, PyObject *args) {
    PyObject *ob, *os, *osp, *ow, *oo;
    Py_ssize_t pos, record, most, max_word;
    if (!PyArg_ParseTuple(args, "OnnnnOOOO", &ob, &pos, &record, &most, &max_word, &os, &osp,
                          &ow, &oo))
        return NULL;
    Py_buffer b[5];
    PyObject *objs[5] = {ob, os, osp, ow, oo};
    static const char kinds[5] = {'u', 'i', 'i', 'u', 'u'};
    static const char *names[5] = {"buf", "starts", "spaces", "words", "out"};
    for (int r = 0; r < 5; r++) {
        if (get_buf(objs[r], &b[r], r > 0, kinds[r] == 'u' ? 1 : 8, kinds[r], names[r]) < 0) {
            RELEASE_ALL(b, r);
            return NULL;
        }
    }
    const uint8_t *buf = (const uint8_t *)b[0].buf;
    int64_t end = b[0].len;
    int64_t *starts = (int64_t *)b[1].buf, *spaces = (int64_t *)b[2].buf;
    uint8_t *words = (uint8_t *)b[3].buf;
    int64_t words_size = b[3].len;
    uint8_t *out = (uint8_t *)b[4].buf;
    int64_t out_rows = record > 0 ? b[4].len / record : 0;
    int copy = out_rows > 0;
    if (record < 1 || pos < 0 || most > b[1].len / 8 || most > b[2].len / 8 ||
        (copy && most > out_rows) || max_word < 1) {
        RELEASE_ALL(b, 5);
        PyErr_SetString(PyExc_ValueError, "read_records: arrays of mismatched sizes");
        return NULL;
    }
    int64_t n = 0, used = 0;
    int full = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (;;) {
        if (n == most || used + max_word + 1 > words_size) {
            full = 1;
            break;
        }
        int64_t space = -1;
        if (pos < end) {
            int64_t stop = pos + max_word < end ? pos + max_word : end;
            const uint8_t *hit = memchr(buf + pos, 32, (size_t)(stop - pos));
            if (hit) space = hit - buf;
        }
        if (space < 0 || space + 1 + record > end) break;
        int64_t start = pos;
        while (start < space && buf[start] == 10) start++;
        starts[n] = start;
        spaces[n] = space;
        if (n > 0) words[used++] = 10;
        memcpy(words + used, buf + start, (size_t)(space - start));
        used += space - start;
        if (copy) memcpy(out + n * record, buf + space + 1, (size_t)record);
        n++;
        pos = space + 1 + record;
    }
    Py_END_ALLOW_THREADS;
    RELEASE_ALL(b, 5);
    return Py_BuildValue("(LLLO)", (long long)n, (long long)pos, (long long)used,
                         full ? Py_True : Py_False);
}

/* ---- copy_vectors(buf, spaces, record, out) ------------------------------------------------- */
static PyObject *py_copy_vectors(PyObject *self, PyObject *args) {
    PyObject *ob, *osp, *oo;
    Py_ssize_t record;
    if (!PyArg_ParseTuple(args, "OOnO", &ob, &osp, &record, &oo)) return NULL;
    Py_buffer b[3];
    PyObject *objs[3] = {ob, osp, oo};
    static const char kinds[3] = {'u', 'i', 'u'};
    static const char *names[3] = {"buf", "spaces", "out"};
    for (int r = 0; r < 3; r++) {
        if (get_buf(objs[r], &b[r], r == 2, kinds[r] == 'u' ? 1 : 8, kinds[r], names[r]) < 0) {
            RELEASE_ALL(b, r);
            return NULL;
        }
    }
    const uint8_t *buf = (const uint8_t *)b[0].buf;
    const int64_t *spaces = (const int64_t *)b[1].buf;
    uint8_t *out = (uint8_t *)b[2].buf;
    Py_ssize_t k = b[1].len / 8;
    int bad = record < 0 || k * record > b[2].len;
    for (Py_ssize_t i = 0; i < k && !bad; i++)
        if (spaces[i] < 0 || spaces[i] + 1 + record > b[0].len) bad = 1;
    if (!bad) {
        Py_BEGIN_ALLOW_THREADS;
        for (Py_ssize_t i = 0; i < k; i++)
            memcpy(out + i * record, buf + spaces[i] + 1, (size_t)record);
        Py_END_ALLOW_THREADS;
    }
    RELEASE_ALL(b, 3);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "copy_vectors: a record outside the buffer");
        return NULL;
    }
    Py_RETURN_NONE;
}


/* ---- the text writer: format_rows (as _format_kernels.py, line for line) -------------------- */
enum { F_IN = 0, F_BELOW = 1, F_ABOVE = 2, F_UNSURE = 3 };
#define DECADE_MIN (-46)
#define POW2_MIN (-152)
#define POSITIONAL_FROM 0x38d1b718 /* the first float32 >= 1e-4 (checked by the tests) */
#define POSITIONAL_TO 0x49742400   /* the first float32 >= 1e6 */
static const double DECADES[86] = {1e-46, 1e-45, 1e-44, 1e-43, 1e-42, 1e-41, 1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35, 1e-34, 1e-33, 1e-32, 1e-31, 1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23, 1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39};
static double P10F[32];
static double POW2[106 - POW2_MIN];
static const int64_t P10I[19] = {1LL,
                                 10LL,
                                 100LL,
                                 1000LL,
                                 10000LL,
                                 100000LL,
                                 1000000LL,
                                 10000000LL,
                                 100000000LL,
                                 1000000000LL,
                                 10000000000LL,
                                 100000000000LL,
                                 1000000000000LL,
                                 10000000000000LL,
                                 100000000000000LL,
                                 1000000000000000LL,
                                 10000000000000000LL,
                                 100000000000000000LL,
                                 1000000000000000000LL};
static const double TWO_63 = 9223372036854775808.0;

static void init_tables(void) {
    /* float(10**k): exact up to 10**22, then the correctly rounded double (as the literal) */
    static const double p10[32] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
                                   1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
    memcpy(P10F, p10, sizeof p10);
    for (int i = POW2_MIN; i < 106; i++) POW2[i - POW2_MIN] = ldexp(1.0, i);
}

static inline int64_t floor_shift18(int64_t v) { /* v >> 18, rounding down (as numba's) */
    return v >= 0 ? v >> 18 : -((-v + (1 << 18) - 1) >> 18);
}

static inline double times_pow10(double v, int64_t k) {
    if (k >= 0) {
        if (k <= 22) return v * P10F[k];
        return v * P10F[22] * P10F[k - 22];
    }
    if (k >= -22) return v / P10F[-k];
    return v / P10F[22] / P10F[-k - 22];
}

static int64_t nearest_by_integer_division(double a, int64_t k) {
    int64_t unit = P10I[-k];
    int64_t whole = (int64_t)a;
    double fraction = a - (double)whole;
    int64_t q = whole / unit;
    int64_t rest = whole - q * unit;
    int64_t half = unit / 2;
    if (rest > half || (rest == half && (fraction > 0 || q % 2 == 1))) q += 1;
    return q;
}

static inline int classify_gap(double gap, double half_width, int power_of_two, int even) {
    if (gap >= 0) return (gap < half_width || (gap == half_width && even)) ? F_IN : F_ABOVE;
    double below = power_of_two ? 0.5 * half_width : half_width;
    return (-gap < below || (-gap == below && even)) ? F_IN : F_BELOW;
}

static int classify_near(double q, double low, double high, double margin) {
    if (q < low - margin) return F_BELOW;
    if (q > high + margin) return F_ABOVE;
    if (q <= low + margin || q >= high - margin) return F_UNSURE;
    return F_IN;
}

static int classify_in_integers(int64_t q, int64_t k, int64_t m, int64_t exp2,
                                int power_of_two) {
    int64_t q8 = 8 * q * P10I[k < 0 ? -k : 0];
    int64_t tens = P10I[k > 0 ? k : 0];
    int64_t high8 = (2 * m + 1) * ((int64_t)1 << (exp2 + 2)) * tens;
    int64_t low8;
    if (power_of_two)
        low8 = (4 * m - 1) * ((int64_t)1 << (exp2 + 1)) * tens;
    else
        low8 = (2 * m - 1) * ((int64_t)1 << (exp2 + 2)) * tens;
    if ((low8 < q8 && q8 < high8) || (m % 2 == 0 && (q8 == low8 || q8 == high8))) return F_IN;
    return q8 <= low8 ? F_BELOW : F_ABOVE;
}

static int try_digits(double a, int64_t e, int64_t p, int64_t m, int64_t exp2, int power_of_two,
                      int64_t *q_out) {
    int64_t k = p - 1 - e;
    double half_step = POW2[exp2 - 1 - POW2_MIN];
    int even = m % 2 == 0;
    int status;
    double q;
    if (k >= 0 && k <= 12) {
        double scaled = a * P10F[k];
        double half_width = half_step * P10F[k];
        q = rint(scaled);
        status = classify_gap(q - scaled, half_width, power_of_two, even);
        if (status == F_BELOW && power_of_two) {
            q += 1.0;
            status = classify_gap(q - scaled, half_width, power_of_two, even);
            if (status == F_ABOVE) status = F_BELOW;
        }
        *q_out = (int64_t)q;
        return status;
    }
    double scaled = times_pow10(a, k);
    q = rint(scaled);
    if (k < 0 && a < TWO_63)
        q = (double)nearest_by_integer_division(a, k);
    else if (fabs(fabs(scaled - q) - 0.5) <= scaled * 0x1p-48) {
        *q_out = 0;
        return F_UNSURE;
    }
    double high = times_pow10((double)(2 * m + 1) * half_step, k);
    double low;
    if (power_of_two)
        low = times_pow10((double)(4 * m - 1) * (0.5 * half_step), k);
    else
        low = times_pow10((double)(2 * m - 1) * half_step, k);
    double margin = scaled * 0x1p-44;
    int settle = exp2 >= -1 && exp2 <= 35 && k <= 2;
    status = classify_near(q, low, high, margin);
    if (status == F_UNSURE && settle)
        status = classify_in_integers((int64_t)q, k, m, exp2, power_of_two);
    if (status == F_BELOW && power_of_two) {
        q += 1.0;
        status = classify_near(q, low, high, margin);
        if (status == F_UNSURE && settle)
            status = classify_in_integers((int64_t)q, k, m, exp2, power_of_two);
        if (status == F_ABOVE) status = F_BELOW;
    }
    *q_out = (int64_t)q;
    return status;
}

static inline int fits_exactly(double a, double half_step, int64_t k, int even, double *q) {
    double scaled = a * P10F[k];
    double half_width = half_step * P10F[k];
    *q = rint(scaled);
    double gap = fabs(*q - scaled);
    return (gap < half_width) | ((gap == half_width) & even);
}

/* (q, k, count) of NumPy's shortest digits of x = m * 2**exp2 > 0; count 0: unsure */
static inline void shortest(int64_t m, int64_t exp2, int64_t lead2, int power_of_two,
                            int64_t *q_out, int64_t *k_out, int64_t *count_out) {
    double a = (double)m * POW2[exp2 - POW2_MIN];
    int64_t e = floor_shift18(lead2 * 78913);
    if (a >= DECADES[e + 1 - DECADE_MIN]) e += 1;
    if (e >= -4 && e <= 5 && !power_of_two) {
        double half_step = POW2[exp2 - 1 - POW2_MIN];
        int even = m % 2 == 0;
        double q6, q7, q8;
        int fits6 = fits_exactly(a, half_step, 5 - e, even, &q6);
        int fits7 = fits_exactly(a, half_step, 6 - e, even, &q7);
        int fits8 = fits_exactly(a, half_step, 7 - e, even, &q8);
        if (!fits6) {
            int64_t count = fits7 ? 7 : (fits8 ? 8 : 9);
            double q = fits7 ? q7 : (fits8 ? q8 : rint(a * P10F[8 - e]));
            *q_out = (int64_t)q;
            *k_out = count - 1 - e;
            *count_out = count;
            return;
        }
    }
    int64_t q;
    int status = try_digits(a, e, 8, m, exp2, power_of_two, &q);
    if (status == F_UNSURE) goto unsure;
    if (status != F_IN) {
        status = try_digits(a, e, 9, m, exp2, power_of_two, &q);
        if (status != F_IN) goto unsure;
        *q_out = q;
        *k_out = 8 - e;
        *count_out = 9;
        return;
    }
    int64_t best_q = q, best_p = 8, p_fails = 0, p_fits = 8;
    for (int64_t p = 7; p >= 6; p--) {
        status = try_digits(a, e, p, m, exp2, power_of_two, &q);
        if (status == F_UNSURE) goto unsure;
        if (status != F_IN) {
            p_fails = p;
            break;
        }
        best_q = q;
        best_p = p;
        p_fits = p;
    }
    while (p_fits - p_fails > 1) {
        int64_t p = (p_fails + p_fits) / 2;
        status = try_digits(a, e, p, m, exp2, power_of_two, &q);
        if (status == F_UNSURE) goto unsure;
        if (status == F_IN) {
            best_q = q;
            best_p = p;
            p_fits = p;
        } else
            p_fails = p;
    }
    {
        int64_t k = best_p - 1 - e;
        if (best_q == P10I[best_p]) {
            *q_out = 1;
            *k_out = k - best_p;
            *count_out = 1;
            return;
        }
        *q_out = best_q;
        *k_out = k;
        *count_out = best_p;
        return;
    }
unsure:
    *q_out = 0;
    *k_out = 0;
    *count_out = 0;
}

static inline void store8(uint8_t *out, int64_t pos, uint64_t word) {
    for (int t = 0; t < 8; t++) out[pos + t] = (uint8_t)(word >> (8 * t));
}

static inline uint64_t ascii8(uint64_t v) {
    uint64_t top = v / 10000;
    uint64_t x = top | ((v - 10000 * top) << 32);
    uint64_t hundreds = ((x * 10486) >> 20) & 0x0000007F0000007FULL;
    x = hundreds | ((x - hundreds * 100) << 16);
    uint64_t tens = ((x * 103) >> 10) & 0x000F000F000F000FULL;
    x = tens | ((x - tens * 10) << 8);
    return x + 0x3030303030303030ULL;
}

static inline void put_leading(uint8_t *out, int64_t pos, uint64_t v, int64_t count) {
    store8(out, pos, ascii8(v) >> (8 * (8 - count)));
}

static inline int64_t put_positional(uint8_t *out, int64_t pos, int64_t q, int64_t k,
                                     int64_t exp10) {
    int64_t whole_digits = exp10 + 1 > 1 ? exp10 + 1 : 1;
    if (k <= 0) {
        put_leading(out, pos, (uint64_t)(q * P10I[-k]), whole_digits);
        out[pos + whole_digits] = 46;
        out[pos + whole_digits + 1] = 48;
        return pos + whole_digits + 2;
    }
    uint64_t scaled = (uint64_t)(q * P10I[12 - k]);
    uint64_t whole = scaled / 1000000000000ULL;
    uint64_t fraction = scaled - 1000000000000ULL * whole;
    uint64_t top = fraction / 1000000ULL;
    put_leading(out, pos, whole, whole_digits);
    out[pos + whole_digits] = 46;
    put_leading(out, pos + whole_digits + 1, top, 6);
    put_leading(out, pos + whole_digits + 7, fraction - 1000000ULL * top, 6);
    return pos + whole_digits + 1 + k;
}

static int64_t put_scientific(uint8_t *out, int64_t pos, int64_t q, int64_t count,
                              int64_t exp10) {
    int64_t end = pos + count + (count > 1 ? 1 : 0);
    int64_t j = end - 1;
    for (int64_t i = count - 1; i >= 0; i--) {
        out[j] = (uint8_t)(48 + q % 10);
        q /= 10;
        j--;
        if (i == 1) {
            out[j] = 46;
            j--;
        }
    }
    out[end] = 101;
    out[end + 1] = exp10 < 0 ? 45 : 43;
    if (exp10 < 0) exp10 = -exp10;
    out[end + 2] = (uint8_t)(48 + exp10 / 10);
    out[end + 3] = (uint8_t)(48 + exp10 % 10);
    return end + 4;
}

static int64_t put_special(uint8_t *out, int64_t pos, int64_t bits) {
    if ((bits & 0x7FFFFF) && ((bits >> 23) & 0xFF) == 0xFF) {
        out[pos] = 110, out[pos + 1] = 97, out[pos + 2] = 110;
        return pos + 3;
    }
    if (bits >> 31) out[pos++] = 45;
    if (bits & 0x7FFFFFFF) {
        out[pos] = 105, out[pos + 1] = 110, out[pos + 2] = 102;
        return pos + 3;
    }
    out[pos] = 48, out[pos + 1] = 46, out[pos + 2] = 48;
    return pos + 3;
}

static inline void digits_of(int64_t bits, int64_t *q, int64_t *k, int64_t *count) {
    int64_t biased = (bits >> 23) & 0xFF;
    int64_t fraction = bits & 0x7FFFFF;
    if (biased == 0) {
        int64_t lead2 = -150, top = fraction;
        while (top) {
            top >>= 1;
            lead2++;
        }
        shortest(fraction, -149, lead2, 0, q, k, count);
        return;
    }
    shortest(fraction | 0x800000, biased - 150, biased - 127, fraction == 0 && biased > 1, q, k,
             count);
}

static inline int is_special(int64_t bits) {
    return ((bits >> 23) & 0xFF) == 0xFF || (bits & 0x7FFFFFFF) == 0;
}

static inline int64_t put_number(uint8_t *out, int64_t pos, int64_t bits, int64_t q, int64_t k,
                                 int64_t count) {
    out[pos] = 45;
    pos += bits >> 31;
    int64_t exp10 = count - 1 - k;
    int64_t mag = bits & 0x7FFFFFFF;
    if (POSITIONAL_FROM <= mag && mag < POSITIONAL_TO)
        return put_positional(out, pos, q, k, exp10);
    return put_scientific(out, pos, q, count, exp10);
}

/* format_rows(keys, key_ends, bits, out, slow_index, slow_at, dim) -> (length, slow) */
static PyObject *py_format_rows(PyObject *self, PyObject *args) {
    PyObject *o[6];
    Py_ssize_t dim;
    if (!PyArg_ParseTuple(args, "OOOOOOn", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &dim))
        return NULL;
    Py_buffer b[6];
    static const char kinds[6] = {'u', 'i', 'I', 'u', 'i', 'i'};
    static const Py_ssize_t sizes[6] = {1, 8, 4, 1, 8, 8};
    static const char *names[6] = {"keys", "key_ends", "bits", "out", "slow_index", "slow_at"};
    for (int r = 0; r < 6; r++) {
        if (get_buf(o[r], &b[r], r >= 3, sizes[r], kinds[r], names[r]) < 0) {
            RELEASE_ALL(b, r);
            return NULL;
        }
    }
    const uint8_t *keys = (const uint8_t *)b[0].buf;
    const int64_t *key_ends = (const int64_t *)b[1].buf;
    const uint32_t *bits = (const uint32_t *)b[2].buf;
    uint8_t *out = (uint8_t *)b[3].buf;
    int64_t *slow_index = (int64_t *)b[4].buf, *slow_at = (int64_t *)b[5].buf;
    int64_t rows = b[1].len / 8, total = b[2].len / 4;
    int bad = dim < 1 || rows * dim != total || b[4].len / 8 < total || b[5].len / 8 < total ||
              b[3].len < b[0].len + rows * (1 + dim * 16) + 16;
    for (int64_t r = 0; r < rows && !bad; r++)
        if (key_ends[r] > b[0].len || key_ends[r] < (r ? key_ends[r - 1] : 0)) bad = 1;
    int64_t (*digits)[3] = bad ? NULL : PyMem_RawMalloc(sizeof(int64_t[3]) * (size_t)dim);
    if (bad || digits == NULL) {
        RELEASE_ALL(b, 6);
        if (!bad) return PyErr_NoMemory();
        PyErr_SetString(PyExc_ValueError, "format_rows: arrays of mismatched sizes");
        return NULL;
    }
    int64_t pos = 0, start = 0, slow = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (int64_t r = 0; r < rows; r++) {
        const uint32_t *row = bits + r * dim;
        for (int64_t j = 0; j < dim; j++) {
            int64_t bj = row[j];
            if (!is_special(bj)) digits_of(bj, &digits[j][0], &digits[j][1], &digits[j][2]);
        }
        for (int64_t c = start; c < key_ends[r]; c++) out[pos++] = keys[c];
        start = key_ends[r];
        for (int64_t j = 0; j < dim; j++) {
            out[pos++] = 32;
            int64_t bj = row[j];
            if (is_special(bj))
                pos = put_special(out, pos, bj);
            else if (digits[j][2] == 0) {
                slow_index[slow] = r * dim + j;
                slow_at[slow] = pos;
                slow++;
            } else
                pos = put_number(out, pos, bj, digits[j][0], digits[j][1], digits[j][2]);
        }
        out[pos++] = 10;
    }
    Py_END_ALLOW_THREADS;
    PyMem_RawFree(digits);
    RELEASE_ALL(b, 6);
    return Py_BuildValue("(LL)", (long long)pos, (long long)slow);
}

static PyMethodDef methods[] = {
    {"parse_lines", py_parse_lines, METH_VARARGS,
     "parse_lines(buf, line_lo, line_hi, dim, out, key_s, key_e, status): as "
     "_text_kernels.parse_lines."},
    {"count_tokens_into", py_count_tokens, METH_VARARGS,
     "count_tokens_into(buf, line_lo, line_hi, counts): tokens per line into counts (int64)."},
    {"read_records", py_read_records, METH_VARARGS,
     "read_records(buf, pos, record, most, max_word, starts, spaces, words, out) -> "
     "(n, pos, used, full): as _binary_kernels.read_records."},
    {"copy_vectors", py_copy_vectors, METH_VARARGS,
     "copy_vectors(buf, spaces, record, out): as _binary_kernels.copy_vectors."},
    {"format_rows", py_format_rows, METH_VARARGS,
     "format_rows(keys, key_ends, bits, out, slow_index, slow_at, dim) -> (length, slow): as "
     "_format_kernels.format_rows (bits: the float32 rows viewed as uint32, flat)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cformats",
                                    "The vector-file loops in C (see _cformats.c).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__cformats(void) {
    init_tables();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "OK", ST_OK) < 0 ||
        PyModule_AddIntConstant(m, "BLANK", ST_BLANK) < 0 ||
        PyModule_AddIntConstant(m, "SHORT", ST_SHORT) < 0 ||
        PyModule_AddIntConstant(m, "SLOW", ST_SLOW) < 0 ||
        PyModule_AddIntConstant(m, "SPACED", ST_SPACED) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
