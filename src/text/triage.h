/*
 * triage.h - rule-based triage of inbound customer posts.
 *
 * Owns the labels a post can get (complaint, question, request with a topic,
 * praise, feedback, spam, risk with a subtype), the default English rule set,
 * the per-account rule language layered on top of it, and the compiled form of
 * a rule set. Pure functions: no I/O, no global state; a compiled triage_t is
 * read-only and may be shared by any number of threads.
 *
 * How a post is classified (transparent on purpose, every label comes with the
 * phrases that caused it):
 *   - The post is split with tok_split; words are NFKC case-folded (ASCII words
 *     by a fast path that gives the same result), apostrophes dropped ("don't"
 *     and "dont" are one word), runs of 3+ identical letters squeezed to one
 *     ("sooooo" -> "so"), hashtags lose their '#', URLs and e-mail addresses
 *     become the placeholders "<url>" and "<email>", emoji lose variation
 *     selectors and skin tones, and punctuation containing '?' becomes "?".
 *   - Every rule is a phrase of such tokens with a weight. Rules are compiled
 *     once into a hash table keyed by their first token; matching is one probe
 *     per token, longest phrase first, so time is linear in the post.
 *   - A phrase anchored with '^' only matches at the start of a sentence
 *     (after leading @mentions, or after . ! ? punctuation).
 *   - Negation: a complaint, praise or risk phrase starting with a word (not
 *     an emoji, not itself a negator) and preceded (within three
 *     words, no punctuation or "but" in between) by a negator (not, never,
 *     no, dont, isnt, ...) does not count; a negated praise phrase counts as
 *     complaint evidence at half weight ("not happy").
 *   - Each rule counts once per post. The weights of the matched rules are
 *     summed per (label, sub); a pair whose sum reaches min_score (default 1.0)
 *     is reported with confidence 1 - exp(-sum).
 *   - Structure: a post made only of links (plus mentions, hashtags, emoji)
 *     is spam:links. A spam post reports only its strongest spam label. Two or
 *     more shouted words (3+ capitals, known acronyms aside) count 1.0 for
 *     complaint, one counts 0.5. A reported risk other than press counts 1.0
 *     for complaint (0.5 for a worried "was I hacked?" question), and
 *     risk:hacked counts 0.5 for request:account. These appear in the
 *     evidence as "<links only>", "<shouting>", "<risk>" and "<hacked>".
 *   - request: topic evidence alone (a billing problem, a missing parcel)
 *     reports request:<topic>; half the generic request evidence ("please
 *     help", "I want to speak to") is added to every topic seen; generic
 *     evidence alone reports a bare "request". Praise without complaint, question or
 *     request evidence drops the request topics (a thank-you for a quick
 *     delivery is not a delivery request).
 *   - Praise together with complaint is reported as complaint + feedback
 *     ("great product, terrible delivery").
 *
 * Rule language (triage_config_parse_lines and the built-in default set):
 *     # comment
 *     label[.sub][=weight]: phrase[=weight], ^anchored phrase, ...
 * label is one of complaint question request praise feedback spam risk; sub is
 * 1-31 characters of [a-z0-9_-] (any name: brands add their own products as
 * request topics). Weight defaults to 1.0, range [-10, 10]; a negative weight
 * lets a brand suppress a default phrase. Phrases are at most
 * TRIAGE_MAX_PHRASE_TOKENS tokens and TRIAGE_MAX_PHRASE_BYTES bytes.
 */
#ifndef PARLEY_TEXT_TRIAGE_H
#define PARLEY_TEXT_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PARLEY_EINVAL
#define PARLEY_EINVAL (-22)
#endif
#ifndef PARLEY_ENOMEM
#define PARLEY_ENOMEM (-12)
#endif

#define TRIAGE_MAX_PHRASE_TOKENS 8
#define TRIAGE_MAX_PHRASE_BYTES  200
#define TRIAGE_MAX_SUB_BYTES     31
#define TRIAGE_MAX_LABELS        16 /* (label, sub) pairs reported per post */
#define TRIAGE_MAX_EVIDENCE      24 /* matched phrases kept per post */

typedef enum {
    TRIAGE_COMPLAINT,
    TRIAGE_QUESTION,
    TRIAGE_REQUEST,
    TRIAGE_PRAISE,
    TRIAGE_FEEDBACK,
    TRIAGE_SPAM,
    TRIAGE_RISK,
    TRIAGE_LABEL_COUNT
} triage_label_t;

/* One rule of a configuration; the strings are owned by the config. sub is ""
 * when the rule has no subtype. */
typedef struct {
    triage_label_t label;
    char *sub;
    char *phrase;
    double weight;
} triage_rule_t;

/* Account rules layered on the defaults. Initialise with triage_config_init,
 * fill with triage_config_add / triage_config_parse_lines, release with
 * triage_config_free. */
typedef struct {
    triage_rule_t *rules;
    size_t n_rules, cap_rules;
    bool no_defaults; /* true: the built-in English set is not loaded */
    double min_score; /* report threshold on summed weights; <= 0 means 1.0 */
} triage_config_t;

/* Where a rule text went wrong: 1-based line and a short reason. */
typedef struct {
    size_t line;
    char msg[96];
} triage_error_t;

/* A compiled rule set (defaults + config). */
typedef struct triage triage_t;

/* One reported label. sub is "" or a topic/subtype; it points into the
 * triage_t and lives as long as it does. */
typedef struct {
    triage_label_t label;
    const char *sub;
    double confidence; /* in (0, 1] */
} triage_hit_t;

/* One matched rule: the phrase as written in the rule, where it matched
 * (byte offsets into the post, end exclusive) and what it counted for. */
typedef struct {
    triage_label_t label;
    const char *sub;
    const char *phrase;
    uint32_t start, end;
    double weight; /* as counted: halved for a negated praise phrase */
} triage_evidence_t;

typedef struct {
    size_t n_labels;
    triage_hit_t labels[TRIAGE_MAX_LABELS]; /* in label order, then by sub */
    size_t n_evidence;
    triage_evidence_t evidence[TRIAGE_MAX_EVIDENCE]; /* text order; structure last */
} triage_result_t;

void triage_config_init(triage_config_t *cfg);
void triage_config_free(triage_config_t *cfg);

/* Copies one rule into cfg. sub may be NULL or ""; phrase is phrase[0..len).
 * Returns 0, PARLEY_EINVAL (bad label, sub, weight, empty or too long phrase)
 * or PARLEY_ENOMEM. */
int triage_config_add(triage_config_t *cfg, triage_label_t label, const char *sub,
                      const char *phrase, size_t len, double weight);

/* Parses rule lines (language above) from text[0..len) and appends the rules
 * to cfg. On error returns PARLEY_EINVAL with err filled (err may be NULL);
 * rules of the lines before the bad one stay added. */
int triage_config_parse_lines(triage_config_t *cfg, const char *text, size_t len,
                              triage_error_t *err);

/* Compiles defaults (unless cfg->no_defaults) plus cfg (may be NULL) into *out.
 * Returns 0, PARLEY_EINVAL with err filled, or PARLEY_ENOMEM. */
int triage_new(const triage_config_t *cfg, triage_t **out, triage_error_t *err);
void triage_free(triage_t *t);

/* Classifies text[0..len) into *out. Allocates nothing; linear in len. Any
 * bytes are accepted (invalid UTF-8 is skipped by the tokenizer). Returns 0,
 * or PARLEY_EINVAL when t or out is NULL. */
int triage_classify(const triage_t *t, const char *text, size_t len, triage_result_t *out);

/* Confidence of (label, sub) in r, 0 when absent. sub NULL matches any sub of
 * the label (the highest confidence is returned); "" matches the bare label. */
double triage_result_get(const triage_result_t *r, triage_label_t label, const char *sub);

/* "complaint", "question", ... ; "unknown" otherwise. */
const char *triage_label_name(triage_label_t label);

/* Parses a label name (name[0..len)); returns TRIAGE_LABEL_COUNT when unknown. */
triage_label_t triage_label_from_name(const char *name, size_t len);

/* The built-in default rule text (rule language above), NUL-terminated. */
const char *triage_default_rules(void);

#endif /* PARLEY_TEXT_TRIAGE_H */
