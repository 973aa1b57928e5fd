/*
 * sentiment.c - scoring one text with the VADER 3.3.x rules.
 *
 * Owns the reference's rules and scores (the valence rules, the "but" pass,
 * the normalisation and Python's rounding and number formatting),
 * reproduced with the reference's arithmetic order so that every double
 * matches, and the scoring of one text from end to end: the split into
 * looked-up words is sentiment_split.c's. Nothing here allocates for a short
 * text, and a long one takes one heap block.
 *
 * Speed (issue 4: a million short posts a second on one core): the rules
 * and the sums visit the lexicon words only; a lexicon word with no word a
 * rule reads in it or in the three before it (and no multi-word idiom
 * starting there) takes its valence straight; the sums are gathered as the
 * valences come, and the scores rounded without a branch on their digits.
 */
#include "text/sentiment.h"
#include "text/sentiment_split.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C_INCR   0.733
#define N_SCALAR -0.74

/* Texts whose scratch needs fit here are scored without touching the heap;
 * a text with emoji whose replacement is sure to fit REPLACE_SCRATCH has it
 * made in one pass. */
#define REPLACE_SCRATCH 4096
#define STACK_SCRATCH   16384

/* A product that the compiler may not fuse with a following addition: an FMA
 * (GNU C contracts by default when the target has one) would change the last
 * bit and so, now and then, a rounded score. Every product of the rules that
 * feeds a sum goes through here. */
static inline double mul(double a, double b)
{
#if defined(__GNUC__) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE2__)))
    double p = a * b;
    __asm__("" : "+x"(p)); /* the product leaves the register as it is: nothing to fuse */
    return p;
#else
    volatile double p = a * b; /* through memory elsewhere */
    return p;
#endif
}

/* ---- The valence rules ---- */

static inline int word_id(const sentiment__tok_t *w)
{
    return w->id;
}

static inline bool in_lexicon(const sentiment__tok_t *w)
{
    return w->flags & W_LEX;
}

static inline bool negated(const sentiment__tok_t *w)
{
    return w->flags & W_NEGATED;
}

/* The entry of the lowered forms of words ws[first..first + n) joined by
 * single spaces, when it has all of flag. */
static const sentiment__entry_t *joined_lookup(const sentiment_model_t *m,
                                               const sentiment__tok_t *ws, size_t first, size_t n,
                                               unsigned flag)
{
    char buf[64];
    size_t o = 0;
    for (size_t k = first; k < first + n; k++) {
        const sentiment__tok_t *w = &ws[k];
        if (o + w->lwlen + 1 > sizeof buf) return NULL; /* longer than any idiom */
        if (k > first) buf[o++] = ' ';
        memcpy(buf + o, w->lw, w->lwlen);
        o += w->lwlen;
    }
    const sentiment__entry_t *e = sentiment__lookup(m, buf, o);
    return e && (e->flags & flag) ? e : NULL;
}

/* joined_lookup() behind a cheap refusal: a word that no idiom has. */
static inline const sentiment__entry_t *joined(const sentiment_model_t *m,
                                               const sentiment__tok_t *ws, size_t first, size_t n,
                                               unsigned flag)
{
    for (size_t k = first; k < first + n; k++)
        if (!(ws[k].flags & W_IDIOM_PART)) return NULL;
    return joined_lookup(m, ws, first, n, flag);
}

static double scalar_inc_dec(const sentiment__tok_t *w, double valence, bool cap_diff)
{
    double scalar = 0.0;
    if (w->flags & W_BOOST) {
        scalar = sentiment__boost(w->e);
        if (valence < 0) scalar = -scalar;
        if ((w->flags & W_UPPER) && cap_diff) {
            if (valence > 0)
                scalar += C_INCR;
            else
                scalar -= C_INCR;
        }
    }
    return scalar;
}

static bool so_or_this(const sentiment__tok_t *w)
{
    int id = word_id(w);
    return id == SW__SO || id == SW__THIS;
}

static double negation_check(double valence, const sentiment__tok_t *ws, int start_i, size_t i)
{
    if (start_i == 0) {
        if (negated(&ws[i - 1])) valence = mul(valence, N_SCALAR);
    } else if (start_i == 1) {
        if (word_id(&ws[i - 2]) == SW__NEVER && so_or_this(&ws[i - 1]))
            valence = mul(valence, 1.25);
        else if (word_id(&ws[i - 2]) == SW__WITHOUT && word_id(&ws[i - 1]) == SW__DOUBT)
            ;
        else if (negated(&ws[i - 2]))
            valence = mul(valence, N_SCALAR);
    } else {
        if ((word_id(&ws[i - 3]) == SW__NEVER && so_or_this(&ws[i - 2])) || so_or_this(&ws[i - 1]))
            valence = mul(valence, 1.25);
        else if (word_id(&ws[i - 3]) == SW__WITHOUT &&
                 (word_id(&ws[i - 2]) == SW__DOUBT || word_id(&ws[i - 1]) == SW__DOUBT))
            ;
        else if (negated(&ws[i - 3]))
            valence = mul(valence, N_SCALAR);
    }
    return valence;
}

/* _special_idioms_check() for word i >= 3: each n-gram the reference joins
 * and looks up holds word i - 2, i - 1 or i, so without an idiom word there
 * nothing can match. */
static double special_idioms_check(const sentiment_model_t *m, double valence,
                                   const sentiment__tok_t *ws, size_t n, size_t i)
{
    const sentiment__entry_t *e;
    if (!((ws[i - 2].flags | ws[i - 1].flags | ws[i].flags) & W_IDIOM_PART)) return valence;

    /* onezero, twoonezero, twoone, threetwoone, threetwo: the first one wins */
    static const struct {
        uint8_t back, n;
    } seqs[] = {{1, 2}, {2, 3}, {2, 2}, {3, 3}, {3, 2}};
    for (size_t k = 0; k < 5; k++) {
        if ((e = joined(m, ws, i - seqs[k].back, seqs[k].n, SENTIMENT__SPECIAL)) != NULL) {
            valence = sentiment__special(e);
            break;
        }
    }
    if (n - 1 > i && (e = joined(m, ws, i, 2, SENTIMENT__SPECIAL)) != NULL)
        valence = sentiment__special(e);
    if (n - 1 > i + 1 && (e = joined(m, ws, i, 3, SENTIMENT__SPECIAL)) != NULL)
        valence = sentiment__special(e);
    /* booster/dampener bi-grams such as "sort of" or "kind of" */
    if ((e = joined(m, ws, i - 3, 3, SENTIMENT__BOOST)) != NULL)
        valence = valence + sentiment__boost(e);
    if ((e = joined(m, ws, i - 3, 2, SENTIMENT__BOOST)) != NULL)
        valence = valence + sentiment__boost(e);
    if ((e = joined(m, ws, i - 2, 2, SENTIMENT__BOOST)) != NULL)
        valence = valence + sentiment__boost(e);
    return valence;
}

static double least_check(double valence, const sentiment__tok_t *ws, size_t i)
{
    if (i > 1 && !in_lexicon(&ws[i - 1]) && word_id(&ws[i - 1]) == SW__LEAST) {
        int w2 = word_id(&ws[i - 2]);
        if (w2 != SW__AT && w2 != SW__VERY) valence = mul(valence, N_SCALAR);
    } else if (i > 0 && !in_lexicon(&ws[i - 1]) && word_id(&ws[i - 1]) == SW__LEAST) {
        valence = mul(valence, N_SCALAR);
    }
    return valence;
}

/* sentiment_valence() of the reference for word i, which is in the lexicon. */
static double word_valence(const sentiment_model_t *m, const sentiment__tok_t *ws, size_t n,
                           size_t i, bool cap_diff)
{
    const sentiment__tok_t *item = &ws[i];
    double lex = item->e->valence;
    double valence = lex;

    if (word_id(item) == SW__NO && i != n - 1 && in_lexicon(&ws[i + 1])) valence = 0.0;
    if ((i > 0 && word_id(&ws[i - 1]) == SW__NO) || (i > 1 && word_id(&ws[i - 2]) == SW__NO) ||
        (i > 2 && word_id(&ws[i - 3]) == SW__NO &&
         (word_id(&ws[i - 1]) == SW__OR || word_id(&ws[i - 1]) == SW__NOR)))
        valence = mul(lex, N_SCALAR);

    if ((item->flags & W_UPPER) && cap_diff) {
        if (valence > 0)
            valence += C_INCR;
        else
            valence -= C_INCR;
    }

    for (int start_i = 0; start_i < 3; start_i++) {
        if (i > (size_t)start_i && !in_lexicon(&ws[i - (size_t)start_i - 1])) {
            double s = scalar_inc_dec(&ws[i - (size_t)start_i - 1], valence, cap_diff);
            if (start_i == 1 && s != 0) s = mul(s, 0.95);
            if (start_i == 2 && s != 0) s = mul(s, 0.9);
            valence = valence + s;
            valence = negation_check(valence, ws, start_i, i);
            if (start_i == 2) valence = special_idioms_check(m, valence, ws, n, i);
        }
    }
    return least_check(valence, ws, i);
}

/* ---- The "but" rule ---- */

/* The but-pass state: for each distinct non-zero value, a leftist min-heap of
 * the positions holding it, so that list.index() is a heap top. */
typedef struct {
    uint64_t key; /* bit pattern of the value; 0 (that is +0.0) marks empty */
    int32_t root;
} value_slot_t;

typedef struct {
    int32_t *left, *right, *rank;
    value_slot_t *slots;
    size_t mask;
} but_state_t;

static size_t but_slots(size_t n)
{
    size_t s = 16;
    while (s < 4 * n) s <<= 1;
    return s;
}

static size_t but_bytes(size_t n)
{
    return but_slots(n) * sizeof(value_slot_t) + 3 * n * sizeof(int32_t);
}

static int32_t heap_rank(const but_state_t *b, int32_t x)
{
    return x < 0 ? 0 : b->rank[x];
}

static int32_t heap_merge(but_state_t *b, int32_t x, int32_t y)
{
    if (x < 0) return y;
    if (y < 0) return x;
    if (y < x) {
        int32_t t = x;
        x = y;
        y = t;
    }
    b->right[x] = heap_merge(b, b->right[x], y);
    if (heap_rank(b, b->left[x]) < heap_rank(b, b->right[x])) {
        int32_t t = b->left[x];
        b->left[x] = b->right[x];
        b->right[x] = t;
    }
    b->rank[x] = heap_rank(b, b->right[x]) + 1;
    return x;
}

static value_slot_t *value_slot(but_state_t *b, double v)
{
    uint64_t key;
    memcpy(&key, &v, sizeof key);
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & b->mask;
    while (b->slots[i].key != 0 && b->slots[i].key != key) i = (i + 1) & b->mask;
    if (b->slots[i].key == 0) {
        b->slots[i].key = key;
        b->slots[i].root = -1;
    }
    return &b->slots[i];
}

static void heap_push(but_state_t *b, double v, int32_t x)
{
    value_slot_t *s = value_slot(b, v);
    b->left[x] = b->right[x] = -1;
    b->rank[x] = 1;
    s->root = heap_merge(b, s->root, x);
}

/* _but_check(): every sentiment before the first "but" halves and every one
 * after it gains half, but each update lands on the first position holding an
 * equal value (the reference finds it with list.index()). Zeros stay zero and
 * are skipped. bi is the first "but"; mem holds but_bytes(n). */
static void but_check(size_t bi, size_t n, double *sent, void *mem)
{
    but_state_t b;
    size_t nslots = but_slots(n);
    b.slots = mem;
    b.mask = nslots - 1;
    b.left = (int32_t *)(b.slots + nslots);
    b.right = b.left + n;
    b.rank = b.right + n;
    memset(b.slots, 0, nslots * sizeof *b.slots);
    for (size_t k = 0; k < n; k++)
        if (sent[k] != 0) heap_push(&b, sent[k], (int32_t)k);

    for (size_t k = 0; k < n; k++) {
        double v = sent[k]; /* positions >= k are still unmodified */
        if (v == 0) continue;
        value_slot_t *s = value_slot(&b, v);
        int32_t si = s->root;
        if ((size_t)si == bi) continue;
        s->root = heap_merge(&b, b.left[si], b.right[si]);
        double nv = mul(v, (size_t)si < bi ? 0.5 : 1.5);
        sent[si] = nv;
        heap_push(&b, nv, si);
    }
}

/* ---- Scores and Python's number formatting ---- */

/* x when keep, else +0.0, without a branch (which sign a word's sentiment
 * has is a coin toss to the predictor). */
static inline double keep_if(double x, bool keep)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b &= -(uint64_t)keep;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* sentiment_round() away from a tie: glibc's printf rounds the exact binary
 * value half-even. */
static double round_near_tie(double x, int ndigits)
{
    char buf[400];
    if (!isfinite(x) || ndigits < 0 || ndigits > 300) return x;
    snprintf(buf, sizeof buf, "%.*f", ndigits, x);
    return strtod(buf, NULL);
}

/* sentiment_round() for p = 10^ndigits, 0 <= ndigits <= 8: inline, so that
 * the scores' constant p folds in. */
static inline double round_digits(double x, double p, int ndigits)
{
    double y = mul(fabs(x), p);
    if (__builtin_expect(y < 1e6, 1)) { /* and not NaN or infinite */
        /* y is within 1.2e-10 of the exact |x| * 10^ndigits, so a fraction
         * clearly off one half decides the rounding; n / p then is the double
         * nearest the decimal, as Python's strtod gives. A zero comes out as
         * it went in. */
        double f = (double)(int64_t)y, frac = y - f;      /* floor(): 0 <= y < 1e6 */
        if (__builtin_expect(fabs(frac - 0.5) > 1e-6, 1)) /* the halves are a coin toss */
            return copysign((f + (double)(frac > 0.5)) / p, x);
    }
    return round_near_tie(x, ndigits);
}

/* The sums score_valence() of the reference takes over the sentiments: only
 * the lexicon words' can be other than zero, and adding a zero leaves a sum
 * as it is (no sum here is ever -0.0), so they run over those alone, in
 * order, as each is found. */
typedef struct {
    double sum, pos, neg;
    size_t zeros; /* lexicon words whose sentiment is zero */
} sums_t;

static inline void add_sums(sums_t *s, double v)
{
    s->sum += v;
    s->pos += keep_if(v + 1, v > 0);
    s->neg += keep_if(v - 1, v < 0);
    s->zeros += v == 0;
}

/* The reference's score_valence() for n words, of which nlex are in the
 * lexicon, with the sums of their sentiments. */
static void score_valence(const sums_t *s, size_t n, size_t nlex, unsigned excl, unsigned quest,
                          sentiment_t *out)
{
    double compound = 0.0, pos = 0.0, neg = 0.0, neu = 0.0;
    if (n > 0) {
        double ep = mul((double)(excl > 4 ? 4 : excl), 0.292);
        double qm = 0.0;
        if (quest > 1) qm = quest <= 3 ? mul((double)quest, 0.18) : 0.96;
        double punct = ep + qm;
        /* sum += punct when above zero, -= when below: adding +0.0 otherwise */
        double sum_s = (s->sum + keep_if(punct, s->sum > 0)) - keep_if(punct, s->sum < 0);

        compound = sum_s / sqrt(mul(sum_s, sum_s) + 15.0);
        if (compound < -1.0) compound = -1.0;
        if (compound > 1.0) compound = 1.0;

        double pos_sum = s->pos, neg_sum = s->neg;
        size_t neu_count = n - nlex + s->zeros;
        bool more_pos = pos_sum > fabs(neg_sum), more_neg = pos_sum < fabs(neg_sum);
        pos_sum += keep_if(punct, more_pos);
        neg_sum -= keep_if(punct, more_neg);

        double total = pos_sum + fabs(neg_sum) + (double)neu_count;
        pos = fabs(pos_sum / total);
        neg = fabs(neg_sum / total);
        neu = fabs((double)neu_count / total);
    }
    out->neg = round_digits(neg, 1e3, 3);
    out->neu = round_digits(neu, 1e3, 3);
    out->pos = round_digits(pos, 1e3, 3);
    out->compound = round_digits(compound, 1e4, 4);
}

double sentiment_round(double x, int ndigits)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    if (ndigits >= 0 && ndigits <= 8) return round_digits(x, pow10[ndigits], ndigits);
    return round_near_tie(x, ndigits);
}

size_t sentiment_repr(double x, char *buf, size_t cap)
{
    char tmp[40];
    if (isnan(x)) return (size_t)snprintf(buf, cap, "nan");
    if (isinf(x)) return (size_t)snprintf(buf, cap, x < 0 ? "-inf" : "inf");
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (strtod(tmp, NULL) == x) break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);

    /* tmp is [-]d[.ddd]e[+-]XX: collect the digits and the exponent */
    char digits[20];
    size_t nd = 0;
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg) p++;
    for (; *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;

    char out[48];
    size_t o = 0;
    if (neg) out[o++] = '-';
    int decpt = exp10 + 1;
    if (decpt <= -4 || decpt > 16) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp10 < 0 ? '-' : '+',
                              exp10 < 0 ? -exp10 : exp10);
    } else if (decpt <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int k = 0; k < -decpt; k++) out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    } else {
        for (int k = 0; k < decpt; k++) out[o++] = (size_t)k < nd ? digits[k] : '0';
        out[o++] = '.';
        if ((size_t)decpt < nd) {
            memcpy(out + o, digits + decpt, nd - (size_t)decpt);
            o += nd - (size_t)decpt;
        } else {
            out[o++] = '0';
        }
    }
    out[o] = '\0';
    if (cap) snprintf(buf, cap, "%s", out);
    return o;
}

size_t sentiment_format_json(const sentiment_t *s, char *buf, size_t cap)
{
    char a[48], b[48], c[48], d[48];
    sentiment_repr(s->neg, a, sizeof a);
    sentiment_repr(s->neu, b, sizeof b);
    sentiment_repr(s->pos, c, sizeof c);
    sentiment_repr(s->compound, d, sizeof d);
    int n = snprintf(buf, cap, "{\"neg\":%s,\"neu\":%s,\"pos\":%s,\"compound\":%s}", a, b, c, d);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- Entry point ---- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Where score() puts things in its scratch, for a text of tlen bytes after
 * the emoji replacement: [replaced text][lowered words][sentiment__split_ascii()'s
 * masks][words][lexicon word indices][their sentiments][every word's
 * sentiment]; the "but" rule's state follows when it fits. */
typedef struct {
    size_t lower, split, words, lex, lexval, sent, end;
} layout_t;

static void lay_out(size_t tlen, bool has_emoji, layout_t *l)
{
    size_t nmax = tlen / 2 + 1;
    if (tlen > (SIZE_MAX >> 8)) abort(); /* cannot be laid out; a caller bug */
    l->lower = has_emoji ? align8(tlen) : 0;
    l->split = l->lower + align8(2 * tlen + 16); /* + 16: 16-byte loads and stores */
    l->words = l->split + align8(sentiment__split_ascii_bytes(tlen));
    l->lex = l->words + (nmax + WORD_SENTINELS + 1) * sizeof(sentiment__tok_t);
    l->lexval = l->lex + align8(nmax * sizeof(uint32_t));
    l->sent = l->lexval + nmax * sizeof(double);
    l->end = l->sent + nmax * sizeof(double);
}

/* The scratch for l: the stack's when it fits, else a heap block (*heap). */
static unsigned char *scratch(const layout_t *l, unsigned char *stack, size_t stack_len,
                              unsigned char **heap)
{
    if (*heap) {
        free(*heap);
        *heap = NULL;
    }
    if (l->end <= stack_len) return stack;
    *heap = malloc(l->end);
    if (!*heap) abort();
    return *heap;
}

static void set_up(sentiment__work_t *w, const layout_t *l, unsigned char *mem, const char *text,
                   size_t tlen)
{
    w->text = (char *)(uintptr_t)text; /* only read */
    w->len = tlen;
    w->words = (sentiment__tok_t *)(void *)(mem + l->words) + WORD_SENTINELS;
    for (size_t k = 1; k <= WORD_SENTINELS; k++) { /* what the rules read of them */
        w->words[-(ptrdiff_t)k].flags = 0;
        w->words[-(ptrdiff_t)k].id = SW__NONE;
    }
    w->lex = (uint32_t *)(void *)(mem + l->lex);
    w->lexval = (double *)(void *)(mem + l->lexval);
    w->sent = (double *)(void *)(mem + l->sent);
}

/* The sentiment of every lexicon word: sentiment_valence() of the reference,
 * straight when none of the three words before it nor itself is one that a
 * rule reads (nearly always), and through the rules otherwise. */
static void valences(const sentiment_model_t *m, sentiment__work_t *w, sums_t *sums)
{
    const sentiment__tok_t *ws = w->words;
    size_t n = w->nwords;
    bool cap_diff = w->nupper > 0 && w->nupper < n;
    w->words[n].flags = 0; /* the sentinel after the last word */
    for (size_t j = 0; j < w->nlex; j++) {
        size_t i = w->lex[j];
        const sentiment__tok_t *item = &ws[i];
        double v;
        /* the sentinels around ws[0 .. n) read as no word */
        unsigned near = item->flags | item[-1].flags | item[-2].flags | item[-3].flags;
        /* every n-gram the idiom rules look up begins in words i - 3 .. i */
        unsigned idiom =
            (item[-3].flags & (item[-2].flags >> 1)) | (item[-2].flags & (item[-1].flags >> 1)) |
            (item[-1].flags & (item[0].flags >> 1)) | (item[0].flags & (item[1].flags >> 1));
        if (__builtin_expect(!(near & W_RULE) && !(idiom & W_IDIOM_FIRST), 1)) {
            v = item->e->valence;
            if ((item->flags & W_UPPER) && cap_diff) v = v > 0 ? v + C_INCR : v - C_INCR;
        } else if (item->flags & W_BOOST) {
            v = 0.0;
        } else if (i < n - 1 && word_id(item) == SW__KIND && word_id(&ws[i + 1]) == SW__OF) {
            v = 0.0;
        } else {
            v = word_valence(m, ws, n, i, cap_diff);
        }
        w->lexval[j] = v;
        add_sums(sums, v);
    }
}

/* The "but" rule over every word's sentiment, scattered from and gathered
 * back into the lexicon words' ones. */
static void apply_but(sentiment__work_t *w, unsigned char *heap, const layout_t *l,
                      unsigned char *stack_end, unsigned char *mem)
{
    size_t n = w->nwords, need = but_bytes(n);
    memset(w->sent, 0, n * sizeof *w->sent); /* a word outside the lexicon scores zero */
    for (size_t j = 0; j < w->nlex; j++) w->sent[w->lex[j]] = w->lexval[j];
    unsigned char *bmem = mem + align8(l->end), *extra = NULL;
    if (heap || bmem + need > stack_end) {
        extra = malloc(need);
        if (!extra) abort();
        bmem = extra;
    }
    but_check(w->first_but, n, w->sent, bmem);
    free(extra);
    for (size_t j = 0; j < w->nlex; j++) w->lexval[j] = w->sent[w->lex[j]];
}

/* sentiment_score(), and sentiment__score_general() with fast false. */
static int score(const sentiment_model_t *m, const char *text, size_t len, sentiment_t *out,
                 bool fast)
{
    _Alignas(16) unsigned char stack[STACK_SCRATCH];
    unsigned char *heap = NULL, *mem;
    size_t tlen = len;
    bool has_emoji = false, ascii = false;
    layout_t l;
    sentiment__work_t w;

    memset(out, 0, sizeof *out);
    if (!text && len) return PARLEY_EINVAL;
    if (len == 0) return 0; /* no words: every score zero */
    lay_out(len, false, &l);
    mem = scratch(&l, stack, sizeof stack, &heap);
    set_up(&w, &l, mem, text, len);
    /* An all-ASCII text (valid UTF-8, no emoji) is split as it is; the split
     * itself finds out whether it is one. */
    if (fast && ASCII_PATH && sentiment__split_ascii(m, &w, (char *)mem + l.lower, mem + l.split))
        goto rules;

    /* Other texts: the emoji replaced in one pass into rep when it is sure to
     * fit, else measured first. */
    _Alignas(16) char rep[REPLACE_SCRATCH];
    size_t bound = len / 2 * (sentiment__emoji_max_len(m) + 1) + len % 2 + 16;
    if (len < sizeof rep && bound <= sizeof rep) {
        if (!sentiment__replace_into(m, (const unsigned char *)text, len, rep, &tlen, &has_emoji,
                                     &ascii)) {
            free(heap);
            return PARLEY_EINVAL;
        }
        if (has_emoji) {
            lay_out(tlen, false, &l);
            mem = scratch(&l, stack, sizeof stack, &heap);
            set_up(&w, &l, mem, rep, tlen);
        }
    } else if (!sentiment__measure(m, (const unsigned char *)text, len, &tlen, &has_emoji,
                                   &ascii)) {
        free(heap);
        return PARLEY_EINVAL;
    } else if (has_emoji) {
        lay_out(tlen, true, &l);
        mem = scratch(&l, stack, sizeof stack, &heap);
        set_up(&w, &l, mem, (char *)mem, tlen);
        sentiment__replace_emoji(m, (const unsigned char *)text, len, (char *)mem);
    }
    if (!(ascii && fast && ASCII_PATH &&
          sentiment__split_ascii(m, &w, (char *)mem + l.lower, mem + l.split)))
        sentiment__split_words(m, &w, (char *)mem + l.lower);

rules:;
    sums_t sums = {0.0, 0.0, 0.0, 0};
    if (w.nlex > 0) { /* else every valence is zero: the rules and "but" change nothing */
        valences(m, &w, &sums);
        if (__builtin_expect(w.first_but < w.nwords, 0)) {
            apply_but(&w, heap, &l, stack + sizeof stack, mem);
            sums = (sums_t){0.0, 0.0, 0.0, 0};
            for (size_t j = 0; j < w.nlex; j++) add_sums(&sums, w.lexval[j]);
        }
    }
    score_valence(&sums, w.nwords, w.nlex, w.excl, w.quest, out);
    if (heap) free(heap);
    return 0;
}

int sentiment_score(const sentiment_model_t *m, const char *text, size_t len, sentiment_t *out)
{
    return score(m, text, len, out, true);
}

int sentiment__score_general(const sentiment_model_t *m, const char *text, size_t len,
                             sentiment_t *out)
{
    return score(m, text, len, out, false);
}
