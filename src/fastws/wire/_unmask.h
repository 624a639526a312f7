/* Unmasking a client's payload (RFC 6455 5.3) and telling whether it is
 * ASCII, in one pass: the compiled codec's inner loop (_codec_c.pyx).
 *
 * out[i] = data[i] ^ mask[(offset + i) & 3] for i < n; the result is nonzero
 * when any byte written has its high bit set (not ASCII). out may be data.
 *
 * On x86-64 with GCC or Clang: AVX2 when the CPU has it (asked once, at the
 * first call), else SSE2 (every x86-64 has it); elsewhere eight bytes at a
 * time. All three give the same bytes: the tests run each one.
 */
#ifndef FASTWS_UNMASK_H
#define FASTWS_UNMASK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FASTWS_HIGH_BITS 0x8080808080808080ULL

typedef uint64_t (*fastws_unmask_fn)(unsigned char *, const unsigned char *, size_t, uint64_t);

/* The mask from byte ``offset`` on, eight bytes long: a multiple of 4 keeps its phase. */
static inline uint64_t fastws_key64(const unsigned char *mask, int offset)
{
    unsigned char key[8];
    uint64_t key64;
    int k;
    for (k = 0; k < 8; k++)
        key[k] = mask[(offset + k) & 3];
    memcpy(&key64, key, 8);
    return key64;
}

/* What is left after the wide loops (fewer than their width), eight bytes then one at a time. */
static inline uint64_t fastws_unmask_tail(unsigned char *out, const unsigned char *data, size_t n, uint64_t key64)
{
    unsigned char key[8];
    uint64_t word, seen = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&word, data + i, 8);
        word ^= key64;
        memcpy(out + i, &word, 8);
        seen |= word;
    }
    memcpy(key, &key64, 8);
    for (; i < n; i++) {
        out[i] = data[i] ^ key[i & 7];
        seen |= out[i];
    }
    return seen & FASTWS_HIGH_BITS;
}

static uint64_t fastws_unmask_portable(unsigned char *out, const unsigned char *data, size_t n, uint64_t key64)
{
    return fastws_unmask_tail(out, data, n, key64);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FASTWS_UNMASK_X86 1

static uint64_t fastws_unmask_sse2(unsigned char *out, const unsigned char *data, size_t n, uint64_t key64)
{
    const __m128i key = _mm_set1_epi64x((long long)key64);
    __m128i seen = _mm_setzero_si128(), v;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(data + i)), key);
        _mm_storeu_si128((__m128i *)(out + i), v);
        seen = _mm_or_si128(seen, v);
    }
    return (uint64_t)_mm_movemask_epi8(seen) | fastws_unmask_tail(out + i, data + i, n - i, key64);
}

__attribute__((target("avx2"))) static uint64_t fastws_unmask_avx2(unsigned char *out, const unsigned char *data,
                                                                    size_t n, uint64_t key64)
{
    const __m256i key = _mm256_set1_epi64x((long long)key64);
    __m256i seen = _mm256_setzero_si256(), a, b;
    __m256i c, d;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) { /* four vectors an iteration: loads and stores overlap, less loop */
        a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i)), key);
        b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i + 32)), key);
        c = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i + 64)), key);
        d = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i + 96)), key);
        _mm256_storeu_si256((__m256i *)(out + i), a);
        _mm256_storeu_si256((__m256i *)(out + i + 32), b);
        _mm256_storeu_si256((__m256i *)(out + i + 64), c);
        _mm256_storeu_si256((__m256i *)(out + i + 96), d);
        seen = _mm256_or_si256(seen, _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d)));
    }
    for (; i + 64 <= n; i += 64) {
        a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i)), key);
        b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i + 32)), key);
        _mm256_storeu_si256((__m256i *)(out + i), a);
        _mm256_storeu_si256((__m256i *)(out + i + 32), b);
        seen = _mm256_or_si256(seen, _mm256_or_si256(a, b));
    }
    for (; i + 32 <= n; i += 32) {
        a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(data + i)), key);
        _mm256_storeu_si256((__m256i *)(out + i), a);
        seen = _mm256_or_si256(seen, a);
    }
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(seen) | fastws_unmask_tail(out + i, data + i, n - i, key64);
}

static fastws_unmask_fn fastws_unmask_best = NULL;

/* The one this CPU gets, asked once. */
static inline fastws_unmask_fn fastws_unmask_chosen(void)
{
    if (fastws_unmask_best == NULL) {
        __builtin_cpu_init();
        fastws_unmask_best = __builtin_cpu_supports("avx2") ? fastws_unmask_avx2 : fastws_unmask_sse2;
    }
    return fastws_unmask_best;
}
#else
static inline fastws_unmask_fn fastws_unmask_chosen(void)
{
    return fastws_unmask_portable;
}
#endif

/* The implementations this build has, by name (``name`` NULL: the one the CPU gets); NULL if none. */
static fastws_unmask_fn fastws_unmask_named(const char *name)
{
    if (name == NULL)
        return fastws_unmask_chosen();
#ifdef FASTWS_UNMASK_X86
    if (strcmp(name, "avx2") == 0)
        return fastws_unmask_chosen() == fastws_unmask_avx2 ? fastws_unmask_avx2 : NULL;
    if (strcmp(name, "sse2") == 0)
        return fastws_unmask_sse2;
#endif
    if (strcmp(name, "portable") == 0)
        return fastws_unmask_portable;
    return NULL;
}

/* Unmask ``data[:n]`` into ``out`` from mask byte ``offset``; nonzero if a byte written is not ASCII. */
static inline uint64_t fastws_unmask(unsigned char *out, const unsigned char *data, size_t n,
                                     const unsigned char *mask, int offset)
{
    uint64_t key64 = fastws_key64(mask, offset);
    if (n < 16)
        return fastws_unmask_tail(out, data, n, key64);
    return fastws_unmask_chosen()(out, data, n, key64);
}

#endif
