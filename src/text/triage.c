/*
 * triage.c - rule-based triage of inbound customer posts.
 *
 * Owns the default English rule set, the rule-line parser, the compiled
 * phrase table (hash of first token -> phrases) and the classification of
 * one post. Never allocates while classifying and never keeps state between
 * calls; see triage.h for the rules of the game.
 */
#include "text/triage.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text/tokenize.h"

/* The built-in English rule set, written in the rule language so that an
 * agent or admin can read exactly what the defaults do. */
static const char default_rules[] =
    "# complaint: the customer is unhappy or reports a failure\n"
    "complaint: worst, terrible, awful, horrible, appalling, disgusting, disgraceful, shocking,"
    " pathetic, useless, ridiculous, unacceptable, shambles, what a joke, a joke, joke of,"
    " rubbish, disappointed, disappointing, gutted, fed up, sick of, had enough, enough is enough,"
    " furious, angry, livid, fuming, annoyed, frustrated, frustrating, nightmare, rude, ignored,"
    " ignoring, no reply, no response, no answer, no one, nobody, not a single, still waiting,"
    " still no, still not, still nothing, been waiting, on hold, hung up, never arrived,"
    " never came, never happened, never received, never turned up, hasnt arrived, hasnt come,"
    " havent received, didnt arrive, didnt turn up, not working, doesnt work, isnt working,"
    " stopped working, wont work, not loading, wont load, broken, damaged, smashed, crushed,"
    " cracked, filthy, dirty, overcharged, charged twice, double charged, rip off, ripoff,"
    " not happy, not good, not cool, not ok, not impressed, not on, do better, sort it out,"
    " humiliating, embarrassing, ruined, wasted, waste of, third time, 3rd time, times now,"
    " every single, thanks for nothing, cant believe, unusable, wtf, ffs, smh, #fail,"
    " please stop, stop calling, stop sending, stop taking, out of sync, never comes, not fixed,"
    " wont let me, still billing, nothing here, dead, missed, went back, no hot water,"
    " 😡, 🤬, 😤, 😠, 🤢, 🤮, 😭, 😢, 😞, 😒, 🙄, 👎, :(, :-(\n"
    "complaint=0.5: again, keeps, late, cold, missing, wrong, cant, unable, failing, fails,"
    " error, crashes, crashing, crashed, down, outage, waiting, delay, delayed, cancelled,"
    " no signal, no internet, nothing, problem, issue, complaint, refused, lost, lose, mess,"
    " instead of, only got, half, declined, frozen, locked, ages, hours, weeks, days, ever,"
    " worse, sick, stuck, bad, poor, slow, expired, bounces, no staff, unmanned, scam, ??,"
    " never, cant, wont, didnt, doesnt, isnt, havent, hasnt, wasnt, arent, still, twice,"
    " instead, keep, ^why\n"
    "\n"
    "# question: the customer asks something\n"
    "question: ?, ??, ^why, ^how do, ^how can, ^how long, ^how much, ^how many, ^how come, ^where,"
    " ^wheres, ^where's, ^whats, ^what's, ^what is, ^what do, ^what does, ^whats the, ^when will, "
    "^when is,"
    " ^when does, ^what's the, how do i, how can i, where do i, where can i, who do i, what do i,"
    " can someone explain, explain why, is it possible, does anyone know, anyone know,"
    " any update, any news, any idea, quick question, wondering if, do you know\n"
    "question=0.6: ^how, ^what, ^when, ^who, ^which, ^is, ^are, ^does, ^do, ^did, ^can, ^could,"
    " ^will, ^would, ^should, ^has, ^have, ^any, ^anyone\n"
    "question=0: ^what a, ^how rude, ^how dare\n"
    "\n"
    "# request: generic asks; topics below\n"
    "request: please help, help me, help please, can you help, could you help, please can you,"
    " please could you, can you please, could you please, i want, i need, i would like, id like,"
    " dm me, call me, contact me, get in touch, get back to me, speak to, talk to, real person,"
    " actual person, a human, human being, manager, supervisor, sort this, fix this, fix it,"
    " look into, please advise, need help, asap, urgent, can you dm, send me, i'd like,"
    " i'd love to\n"
    "request=0.5: please, pls, plz, help, can you, could you, can u\n"
    "request.billing: charged twice, bill, billed, billing, bills, charged, overcharged, invoice, "
    "payment,"
    " payments, direct debit, fee, fees, late fee, price, prices, pricing, tariff, paid,"
    " card details, promo code, discount code, price hike, roaming, vat, cost, costs,"
    " meter reading, paperless, quote, in-app purchases, charging me, taking my money,"
    " subscription fee\n"
    "request.billing=0.5: charge, charges, pay, paying, plan, plans, expensive, money,"
    " subscription, contract, £, $, €\n"
    "request.delivery: delivery, delivered, deliver, delivering, parcel, package, tracking,"
    " courier, shipping, ship, shipped, dispatched, out for delivery, missing items, wrong item,"
    " wrong order, never arrived, hasnt arrived, still not arrived, wheres my order,"
    " where is my order, where's my order, delivery slot, depot, rider, order number,"
    " hasnt moved\n"
    "request.delivery=0.5: order, ordered, driver, arrived, arrive, items, food, groceries,"
    " someone elses, someone else's\n"
    "request.refund: refund, refunded, refunds, refunding, money back, my money,"
    " reimburse, reimbursement, compensation, compensate, chargeback, return them, return it,"
    " delay repay, the difference back, every penny, pay back, who pays\n"
    "request.refund=0.5: return, returns, returned, voucher, deposit\n"
    "request.cancel: cancel my, cancel the, cancel our, to cancel, cancelling my, cancelling,"
    " cancellation of, unsubscribe, close my account, close my, close her, close his,"
    " close the account, end my contract, terminate, pac code, stac code, freeze my,"
    " cancel anytime, cancel online, cancel but\n"
    "request.cancel=0.5: cancel, leave, leaving\n"
    "request.sign-up: sign up, signup, signing up, register, registration, create an account,"
    " new account, open an account, open a joint, joint account, loyalty scheme, port my number,"
    " verification email, id check, upgrade to, already registered, need an account,"
    " join the\n"
    "request.sign-up=0.5: join, membership, upgrade, apply, new customer, new sim\n"
    "request.account: log in, login, logged in, logged into, log me out, logs me out, logging in,"
    " password, reset link, locked out, account is locked, username, my details,"
    " personal details, verification code, email address, change my email, my statement,"
    " a copy of my statement, card declined, got declined, frozen my account, my data,"
    " named driver, my balance, booking disappeared, marketing emails\n"
    "request.account=0.5: account, accounts, profile, locked, reset, pin, card, statement\n"
    "request.technical: crash, crashes, crashing, bug, glitch, error, not working,"
    " doesnt work, wont load, not loading, buffering, outage, internet, wifi, broadband,"
    " no signal, signal, connection, router, black screen, restarting, landline, fault,"
    " self checkout, self checkouts, ticket machine, subtitles, smart meter, unlock my phone,"
    " unusable, keeps failing, no internet, spins, is down, down again, internet down,"
    " down for anyone, wont turn on, turn on, speed, speeds, mb\n"
    "request.technical=0.5: app, website, 5g, site, update, screen, loading, down, engineer, "
    "phone, online,"
    " system, machine, water, mobile, tv, freeze\n"
    "\n"
    "# praise: thanks and compliments without criticism\n"
    "praise: thank you for, thanks for, thank you so much, thanks so much, huge thank you, big "
    "thanks, love, loved, loving, amazing, awesome,"
    " brilliant, fantastic, excellent, superb, outstanding, wonderful, lovely, perfect, gorgeous,"
    " impressive, impressed, helpful, friendly, so kind, patient, professional, best, well done,"
    " nice one, fair play, kudos, shout out, shoutout, a star, absolute star, legend, lifesaver,"
    " you rock, u rock, guys rock, appreciate, appreciated, delighted, so much better,"
    " much clearer, top quality, unreal,"
    " 😍, 🙌, 👏, ❤, 💯, 😊, 🙏,"
    " 👍, 👌, 😄, 🥰, 💪, 😋, 🤤,"
    " :), :-), :d\n"
    "praise=0.6: thank you, thanks, thank u, thx, ty, cheers, great, good, nice, happy, pleased, "
    "smooth, quick, fast, sorted, easy, kind,"
    " calm, clearer, first time, painless\n"
    "praise=0: thanks in advance, thank you in advance, thanks for nothing, best regards,"
    " love to, would love, id love, i'd love, great if, good if, nice if, great but,"
    " good morning, good afternoon, good evening\n"
    "\n"
    "# feedback: opinions and suggestions\n"
    "feedback: would be great if, would be nice, would be good, it would be nice, be nice if,"
    " would love, id love, i'd love, suggestion, just a thought, you should, you need to rethink,"
    " bring back, please add, could you add, can you add, should add, should get, should really,"
    " imo, in my opinion, feedback, not a complaint, please dont, rethink, dealbreaker,"
    " let us, why cant i, would help, should check, more options, dark mode, too expensive,"
    " getting smaller\n"
    "feedback=0.5: wish, i think, option, options, idea, instead of, more\n"
    "\n"
    "# spam: noise\n"
    "spam.crypto: crypto, bitcoin, btc, #eth, ethereum, nft, airdrop, altcoin, forex,"
    " forex signals, trading signals, doge, $doge, connect wallet, 100x, pump group,"
    " passive income\n"
    "spam.f4f: follow for follow, f4f, follow4follow, followback, follow back, l4l, like for like,"
    " promo for promo, sub4sub, follow me and\n"
    "spam.marketing: giveaway, giving away, win an, free gift, gift card now, click here,"
    " click the link, link in bio, dm for details, dm me for, make money, no experience needed,"
    " limited time, buy followers, cheap followers, followers for, hot singles, check out my,"
    " check my new, claim your, collab, follow to enter, like and tag, tag 3 friends,"
    " guaranteed, weekly from home, made 3k, dm me info, get rich\n"
    "\n"
    "# risk: things a supervisor must see\n"
    "risk.legal: sue, suing, sued, lawyer, lawyers, solicitor, solicitors, attorney,"
    " legal action, take legal, court, small claims, lawsuit, ombudsman, ofcom, ofgem,"
    " trading standards, fca, ftc, report you to, reporting you to, in breach, breach of,"
    " my rights, eu261, illegal, against the law, discrimination, my mp\n"
    "risk.legal=0.5: chargeback, legal, rights\n"
    "risk.press: press, journalist, reporter, the news, to the news, the paper, the papers,"
    " local paper, newspaper, media, bbc, bbcwatchdog, @bbcwatchdog, watchdog, which ?,"
    " the guardian, daily courier, evening post, press office, news\n"
    "risk.safety: dangerous, danger, unsafe, not safe, didnt feel safe, feel safe, safety,"
    " hazard, health hazard, injured, injury, hurt, hospital, a & e, ambulance, fainted,"
    " fire, gas smell, smell gas, gas leak, electric shock, explode, exploded, bulge,"
    " burn, burned, burnt, glass in, piece of glass, allergy, allergies, allergic,"
    " nut allergy, food poisoning, poisoning, poisoned, choke, choking, sewage, bed bugs,"
    " overheating, sparking, aggressive, terrified, assault, wrong medication,"
    " safe to drink, brown water, get hurt, get cut, carer, relies on, alarm pendant, mould\n"
    "risk.safety=0.5: smoke, smoking, ill, sick, glass, texting, broken glass, hot, medication\n"
    "risk.churn: switching to, switch to, moving to, im leaving, i'm leaving, leaving you, im done,"
    " i'm done,"
    " done with you, never again, never using, never ordering, never flying, taking my business,"
    " go elsewhere, ordering from elsewhere, elsewhere, shopping around, considering switching,"
    " leaving at renewal, deleting the app, delete the app, reason to stay, bye, going to ee,"
    " moving everything, moved to a different, other networks, never use you again\n"
    "risk.churn=0.5: switching, leave, leaving, competitor, last time\n"
    "risk.escalation: retweet, rt, share this, spread the word, everyone needs to,"
    " everyone should know, telling everyone, tell everyone, everyone i know,"
    " post them everywhere, posting this, posting everywhere, every travel forum, tripadvisor,"
    " trustpilot, 1 star, one star, ceo, your ceo, head office, go viral, viral, tiktok,"
    " so people know, sharing your, sharing this, on twitter, on facebook, everywhere\n"
    "risk.escalation=0.5: review, reviews, share, twitter, facebook\n"
    "risk.hacked: hacked, hacker, hackers, someone logged, logged into my account,"
    " someone has logged, unauthorised, unauthorized, fraud, fraudulent, cloned,"
    " phishing, dont recognise, dont recognize, didnt make, i didnt do this,"
    " compromised, stolen, identity theft, using my account, someone changed,"
    " changed my password, another country, data leaked, leaked, suspicious,"
    " pretending to be, card was used, never booked, taking rides, is this a scam,"
    " confirm my pin, account is suspended, click a link\n";

/* Capitalised words that are not shouting. */
static const char *const acronyms[] = {
    "faq",  "usa",  "atm", "pin", "sim",  "vat", "nhs", "ceo",  "bbc", "eta", "dm",  "imo", "tbh",
    "asap", "api",  "usb", "gps", "iban", "cvv", "pac", "stac", "mp",  "ftc", "fca", "itv", "lol",
    "omg",  "wifi", "sms", "otp", "eu",   "uk",  "us",  "ee",   "o2",  "sse", "edf",
};

/* Negation: words that cancel a following complaint/praise/risk phrase. */
static const char *const negators[] = {
    "not",    "no",     "never", "dont",     "doesnt",  "didnt", "isnt",    "wasnt",
    "arent",  "werent", "cant",  "cannot",   "couldnt", "wont",  "wouldnt", "aint",
    "havent", "hasnt",  "hadnt", "shouldnt", "hardly",  "nor",   "neither", "without",
};

#define MAX_CHUNK_TOKENS 256
#define MAX_TOKEN_BYTES  128
#define MAX_PAIRS        48 /* (label, sub) pairs touched per post */
#define MAX_MATCHED      96 /* distinct rules counted per post */
#define NEG_WINDOW       3

enum { ENT_NEGATOR = 1, ENT_BREAK = 2, ENT_ACRONYM = 4 };

typedef struct {
    uint64_t h[TRIAGE_MAX_PHRASE_TOKENS];
    uint8_t n;
    bool anchored;
    uint16_t pair;
    float weight;
    const char *text; /* the phrase as written, for evidence */
} phrase_t;

typedef struct {
    triage_label_t label;
    const char *sub; /* owned by triage_t */
} pair_t;

typedef struct {
    uint64_t key; /* 0 = empty slot */
    uint32_t first, count;
    uint8_t flags;
} slot_t;

struct triage {
    phrase_t *phrases;
    size_t n_phrases, cap_phrases;
    pair_t *pairs;
    size_t n_pairs, cap_pairs;
    slot_t *slots;
    size_t slot_mask;
    char **strings; /* every owned string, freed together */
    size_t n_strings, cap_strings;
    double min_score;
    /* pairs the structure rules use */
    uint16_t pair_links, pair_feedback, pair_request, pair_complaint, pair_account;
};

static const char *const label_names[TRIAGE_LABEL_COUNT] = {
    "complaint", "question", "request", "praise", "feedback", "spam", "risk",
};

const char *triage_label_name(triage_label_t label)
{
    return (unsigned)label < TRIAGE_LABEL_COUNT ? label_names[label] : "unknown";
}

triage_label_t triage_label_from_name(const char *name, size_t len)
{
    for (int i = 0; i < TRIAGE_LABEL_COUNT; i++)
        if (strlen(label_names[i]) == len && memcmp(label_names[i], name, len) == 0)
            return (triage_label_t)i;
    return TRIAGE_LABEL_COUNT;
}

const char *triage_default_rules(void)
{
    return default_rules;
}

/* ---- normalisation shared by rules and posts ---- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* Copies src[0..n) to dst lowering ASCII, squeezing runs of three or more
 * identical ASCII letters to one, writing typographic apostrophes as ' and
 * dropping the apostrophe of "n't" (so "dont" and "don't" meet, while "I'll"
 * stays apart from "ill"). */
static size_t squeeze_word(const char *src, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)src[i];
        size_t alen = c == '\'' ? 1 : 0;
        if (c == 0xE2 && i + 2 < n && (unsigned char)src[i + 1] == 0x80 &&
            ((unsigned char)src[i + 2] == 0x98 || (unsigned char)src[i + 2] == 0x99))
            alen = 3;
        if (alen) {
            bool nt = o > 0 && dst[o - 1] == 'n' && i + alen < n && (src[i + alen] | 0x20) == 't';
            if (!nt) dst[o++] = '\'';
            i += alen;
            continue;
        }
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        size_t run = 1;
        if (c >= 'a' && c <= 'z') {
            while (i + run < n && ((unsigned char)src[i + run] | 0x20) == c) run++;
        }
        if (run >= 3) {
            dst[o++] = (char)c;
            i += run;
        } else {
            dst[o++] = (char)c;
            i++;
        }
    }
    return o;
}

static bool is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] & 0x80) return false;
    return true;
}

/* Writes the normalised form of token t of text into buf (MAX_TOKEN_BYTES);
 * returns its length. */
static size_t norm_token(const char *text, const tok_t *t, char *buf)
{
    const char *s = text + t->start;
    size_t n = t->len;
    char folded[MAX_TOKEN_BYTES];
    switch (t->kind) {
    case TOK_URL: memcpy(buf, "<url>", 5); return 5;
    case TOK_EMAIL: memcpy(buf, "<email>", 7); return 7;
    case TOK_PUNCT: {
        size_t q = 0;
        for (size_t i = 0; i < n; i++) q += s[i] == '?';
        if (q > 1) return memcpy(buf, "??", 2), 2;
        if (q) return buf[0] = '?', 1;
        if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC &&
            (unsigned char)s[2] == 0x9F)
            return buf[0] = '?', 1;
        for (size_t i = 0; i < n; i++)
            if (s[i] == '!') return buf[0] = '!', 1;
        if (n > MAX_TOKEN_BYTES) n = MAX_TOKEN_BYTES;
        if ((unsigned char)s[0] < 0x80) n = 1; /* "..." and "." are one thing */
        memcpy(buf, s, n);
        return n;
    }
    case TOK_EMOJI: {
        size_t o = 0;
        for (size_t i = 0; i < n && o + 4 <= MAX_TOKEN_BYTES;) {
            const unsigned char *u = (const unsigned char *)s + i;
            if (i + 2 < n && u[0] == 0xEF && u[1] == 0xB8 && u[2] == 0x8F) {
                i += 3; /* variation selector 16 */
            } else if (i + 3 < n && u[0] == 0xF0 && u[1] == 0x9F && u[2] == 0x8F && u[3] >= 0xBB &&
                       u[3] <= 0xBF) {
                i += 4; /* skin tone */
            } else {
                buf[o++] = s[i++];
            }
        }
        return o;
    }
    case TOK_HASHTAG:
        if (n > 1 && s[0] == '#') s++, n--;
        break;
    default: break;
    }
    if (n > MAX_TOKEN_BYTES - 1) n = MAX_TOKEN_BYTES - 1;
    if (is_ascii(s, n)) return squeeze_word(s, n, buf);
    size_t fl = tok_fold(s, n, folded, sizeof folded);
    if (fl == (size_t)-1) {
        memcpy(buf, s, n);
        return n;
    }
    if (fl >= sizeof folded) fl = strlen(folded); /* truncated at a code point */
    return squeeze_word(folded, fl, buf);
}

static bool all_caps(const char *s, size_t n)
{
    if (n < 3) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z') return false;
    return true;
}

/* True when tokens a and b (a before b) are directly adjacent. */
static bool adjacent(const tok_t *a, const tok_t *b)
{
    return (uint64_t)a->start + a->len == b->start;
}

static bool is_apostrophe(const char *text, const tok_t *t)
{
    const unsigned char *s = (const unsigned char *)text + t->start;
    if (t->kind != TOK_PUNCT) return false;
    if (t->len == 1) return s[0] == '\'';
    return t->len == 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0x98 || s[2] == 0x99);
}

/* One normalised token of a post or phrase. */
typedef struct {
    uint64_t h;
    uint32_t start, end; /* bytes in the text */
    tok_kind_t kind;
    bool sentence_start;
    bool caps; /* a word of 3+ ASCII capitals */
} ntok_t;

/* Splits text[0..len) from byte `from` into at most cap normalised tokens,
 * joining "don" "'" "t" into one word when the tokenizer split it. Sets
 * *next to where the following chunk starts (len when all was read). */
static size_t normalise(const char *text, size_t len, size_t from, ntok_t *out, size_t cap,
                        bool at_sentence_start, size_t *next)
{
    tok_t raw[MAX_CHUNK_TOKENS];
    size_t total = tok_split(text + from, len - from, raw, MAX_CHUNK_TOKENS);
    size_t nraw = total < MAX_CHUNK_TOKENS ? total : MAX_CHUNK_TOKENS;
    size_t n = 0;
    bool start = at_sentence_start;
    *next = len;
    if (total > MAX_CHUNK_TOKENS && nraw > 0) {
        /* keep the last token for the next chunk so a phrase is cut at most once */
        nraw--;
        *next = from + raw[nraw].start;
    }
    for (size_t i = 0; i < nraw && n < cap; i++) {
        tok_t t = raw[i];
        t.start += (uint32_t)from;
        char buf[MAX_TOKEN_BYTES];
        size_t bl;
        if (t.kind == TOK_WORD && i + 2 < nraw && is_apostrophe(text + from, &raw[i + 1]) &&
            raw[i + 2].kind == TOK_WORD && adjacent(&raw[i], &raw[i + 1]) &&
            adjacent(&raw[i + 1], &raw[i + 2])) {
            tok_t m = t;
            m.len = raw[i + 2].start + raw[i + 2].len - raw[i].start;
            bl = norm_token(text, &m, buf);
            t = m;
            i += 2;
        } else {
            bl = norm_token(text, &t, buf);
        }
        if (bl == 0) continue;
        ntok_t *o = &out[n++];
        o->h = hash_bytes(buf, bl);
        o->start = t.start;
        o->end = t.start + t.len;
        o->kind = t.kind;
        o->sentence_start = start;
        o->caps = t.kind == TOK_WORD && all_caps(text + t.start, t.len);
        if (t.kind == TOK_PUNCT)
            start =
                buf[0] == '.' || buf[0] == '!' || buf[0] == '?' || buf[0] == ':' || buf[0] == ';';
        else if (t.kind != TOK_MENTION)
            start = false;
    }
    return n;
}

/* ---- configuration ---- */

void triage_config_init(triage_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

void triage_config_free(triage_config_t *cfg)
{
    if (!cfg) return;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        free(cfg->rules[i].sub);
        free(cfg->rules[i].phrase);
    }
    free(cfg->rules);
    memset(cfg, 0, sizeof *cfg);
}

static bool valid_sub(const char *sub, size_t len)
{
    if (len > TRIAGE_MAX_SUB_BYTES) return false;
    for (size_t i = 0; i < len; i++) {
        char c = sub[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int config_add_n(triage_config_t *cfg, triage_label_t label, const char *sub, size_t sub_len,
                        const char *phrase, size_t len, double weight)
{
    if ((unsigned)label >= TRIAGE_LABEL_COUNT || !valid_sub(sub, sub_len) || len == 0 ||
        len > TRIAGE_MAX_PHRASE_BYTES || !(weight >= -10.0 && weight <= 10.0))
        return PARLEY_EINVAL;
    if (memchr(phrase, '\0', len)) return PARLEY_EINVAL;
    if (cfg->n_rules == cfg->cap_rules) {
        size_t cap = cfg->cap_rules ? cfg->cap_rules * 2 : 32;
        triage_rule_t *r = realloc(cfg->rules, cap * sizeof *r);
        if (!r) return PARLEY_ENOMEM;
        cfg->rules = r;
        cfg->cap_rules = cap;
    }
    triage_rule_t *r = &cfg->rules[cfg->n_rules];
    r->sub = dup_n(sub, sub_len);
    r->phrase = dup_n(phrase, len);
    if (!r->sub || !r->phrase) {
        free(r->sub);
        free(r->phrase);
        return PARLEY_ENOMEM;
    }
    r->label = label;
    r->weight = weight;
    cfg->n_rules++;
    return 0;
}

int triage_config_add(triage_config_t *cfg, triage_label_t label, const char *sub,
                      const char *phrase, size_t len, double weight)
{
    if (!cfg || !phrase) return PARLEY_EINVAL;
    return config_add_n(cfg, label, sub ? sub : "", sub ? strlen(sub) : 0, phrase, len, weight);
}

static void set_err(triage_error_t *err, size_t line, const char *msg)
{
    if (!err) return;
    err->line = line;
    size_t n = strlen(msg);
    if (n >= sizeof err->msg) n = sizeof err->msg - 1;
    memcpy(err->msg, msg, n);
    err->msg[n] = '\0';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && is_space(**s)) (*s)++;
    while (*e > *s && is_space((*e)[-1])) (*e)--;
}

/* Parses "=weight" at the end of [s, *e): on success moves *e before the '='.
 * No '=' leaves *w alone. Returns false on a malformed number. */
static bool parse_weight(const char *s, const char **e, double *w)
{
    const char *eq = NULL;
    for (const char *p = *e; p > s; p--)
        if (p[-1] == '=') {
            eq = p - 1;
            break;
        }
    if (!eq) return true;
    const char *ns = eq + 1, *ne = *e;
    trim(&ns, &ne);
    char num[32];
    size_t n = (size_t)(ne - ns);
    if (n == 0 || n >= sizeof num) return false;
    memcpy(num, ns, n);
    num[n] = '\0';
    char *end;
    double v = strtod(num, &end);
    if (*end != '\0' || !(v >= -10.0 && v <= 10.0)) return false;
    *w = v;
    *e = eq;
    return true;
}

static int parse_line(triage_config_t *cfg, const char *s, const char *e, size_t line,
                      triage_error_t *err)
{
    trim(&s, &e);
    if (s == e || *s == '#') return 0;
    const char *colon = memchr(s, ':', (size_t)(e - s));
    if (!colon) return set_err(err, line, "expected 'label: phrase, ...'"), PARLEY_EINVAL;
    const char *hs = s, *he = colon;
    double w = 1.0;
    if (!parse_weight(hs, &he, &w))
        return set_err(err, line, "bad weight (a number in [-10, 10])"), PARLEY_EINVAL;
    trim(&hs, &he);
    const char *dot = memchr(hs, '.', (size_t)(he - hs));
    const char *le = dot ? dot : he;
    triage_label_t label = triage_label_from_name(hs, (size_t)(le - hs));
    if (label == TRIAGE_LABEL_COUNT) return set_err(err, line, "unknown label"), PARLEY_EINVAL;
    const char *sub = dot ? dot + 1 : he;
    size_t sub_len = (size_t)(he - sub);
    if ((dot && sub_len == 0) || !valid_sub(sub, sub_len))
        return set_err(err, line, "bad sub name (1-31 of a-z 0-9 _ -)"), PARLEY_EINVAL;
    bool any = false;
    for (const char *p = colon + 1; p <= e;) {
        const char *q = p;
        while (q < e && *q != ',') q++;
        const char *ps = p, *pe = q;
        double pw = w;
        trim(&ps, &pe);
        if (!parse_weight(ps, &pe, &pw))
            return set_err(err, line, "bad phrase weight"), PARLEY_EINVAL;
        trim(&ps, &pe);
        if (ps < pe) {
            int rc = config_add_n(cfg, label, sub, sub_len, ps, (size_t)(pe - ps), pw);
            if (rc == PARLEY_ENOMEM) return set_err(err, line, "out of memory"), rc;
            if (rc) return set_err(err, line, "bad phrase (empty or too long)"), rc;
            any = true;
        }
        p = q + 1;
    }
    if (!any) return set_err(err, line, "no phrase after ':'"), PARLEY_EINVAL;
    return 0;
}

int triage_config_parse_lines(triage_config_t *cfg, const char *text, size_t len,
                              triage_error_t *err)
{
    if (!cfg || (!text && len)) return set_err(err, 0, "no config"), PARLEY_EINVAL;
    size_t line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        int rc = parse_line(cfg, text + i, text + j, line, err);
        if (rc) return rc;
        i = j + 1;
    }
    return 0;
}

/* ---- compilation ---- */

static char *own(triage_t *t, const char *s)
{
    if (t->n_strings == t->cap_strings) {
        size_t cap = t->cap_strings ? t->cap_strings * 2 : 256;
        char **v = realloc(t->strings, cap * sizeof *v);
        if (!v) return NULL;
        t->strings = v;
        t->cap_strings = cap;
    }
    char *d = dup_n(s, strlen(s));
    if (d) t->strings[t->n_strings++] = d;
    return d;
}

static int intern_pair(triage_t *t, triage_label_t label, const char *sub, uint16_t *out)
{
    for (size_t i = 0; i < t->n_pairs; i++)
        if (t->pairs[i].label == label && strcmp(t->pairs[i].sub, sub) == 0) {
            *out = (uint16_t)i;
            return 0;
        }
    if (t->n_pairs >= UINT16_MAX) return PARLEY_EINVAL;
    if (t->n_pairs == t->cap_pairs) {
        size_t cap = t->cap_pairs ? t->cap_pairs * 2 : 32;
        pair_t *p = realloc(t->pairs, cap * sizeof *p);
        if (!p) return PARLEY_ENOMEM;
        t->pairs = p;
        t->cap_pairs = cap;
    }
    const char *s = own(t, sub);
    if (!s) return PARLEY_ENOMEM;
    t->pairs[t->n_pairs].label = label;
    t->pairs[t->n_pairs].sub = s;
    *out = (uint16_t)t->n_pairs++;
    return 0;
}

static int add_phrase(triage_t *t, const triage_rule_t *r, triage_error_t *err)
{
    const char *p = r->phrase;
    size_t len = strlen(p);
    bool anchored = len > 1 && p[0] == '^';
    if (anchored) p++, len--;
    ntok_t toks[TRIAGE_MAX_PHRASE_TOKENS + 1];
    size_t next;
    size_t n = normalise(p, len, 0, toks, TRIAGE_MAX_PHRASE_TOKENS + 1, true, &next);
    if (n == 0 || n > TRIAGE_MAX_PHRASE_TOKENS) {
        set_err(err, 0, n ? "phrase has too many tokens" : "phrase has no tokens");
        return PARLEY_EINVAL;
    }
    if (t->n_phrases == t->cap_phrases) {
        size_t cap = t->cap_phrases ? t->cap_phrases * 2 : 512;
        phrase_t *v = realloc(t->phrases, cap * sizeof *v);
        if (!v) return PARLEY_ENOMEM;
        t->phrases = v;
        t->cap_phrases = cap;
    }
    phrase_t *ph = &t->phrases[t->n_phrases];
    memset(ph, 0, sizeof *ph);
    for (size_t i = 0; i < n; i++) ph->h[i] = toks[i].h;
    ph->n = (uint8_t)n;
    ph->anchored = anchored;
    ph->weight = (float)r->weight;
    int rc = intern_pair(t, r->label, r->sub, &ph->pair);
    if (rc) return rc;
    ph->text = own(t, r->phrase);
    if (!ph->text) return PARLEY_ENOMEM;
    t->n_phrases++;
    return 0;
}

static int phrase_cmp(const void *a, const void *b)
{
    const phrase_t *x = a, *y = b;
    if (x->h[0] != y->h[0]) return x->h[0] < y->h[0] ? -1 : 1;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;     /* longest first */
    return x->text < y->text ? -1 : x->text > y->text; /* stable: insertion order */
}

static slot_t *slot_for(const triage_t *t, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 29)) & t->slot_mask;
    while (t->slots[i].key != 0 && t->slots[i].key != key) i = (i + 1) & t->slot_mask;
    return &t->slots[i];
}

static uint64_t word_hash(const char *w)
{
    tok_t tok = {0, (uint32_t)strlen(w), TOK_WORD};
    char buf[MAX_TOKEN_BYTES];
    return hash_bytes(buf, norm_token(w, &tok, buf));
}

static int build_table(triage_t *t)
{
    if (t->n_phrases) qsort(t->phrases, t->n_phrases, sizeof *t->phrases, phrase_cmp);
    size_t want = 64;
    while (want < 2 * (t->n_phrases + 32)) want *= 2;
    t->slots = calloc(want, sizeof *t->slots);
    if (!t->slots) return PARLEY_ENOMEM;
    t->slot_mask = want - 1;
    for (size_t i = 0; i < t->n_phrases;) {
        size_t j = i;
        while (j < t->n_phrases && t->phrases[j].h[0] == t->phrases[i].h[0]) j++;
        slot_t *s = slot_for(t, t->phrases[i].h[0]);
        s->key = t->phrases[i].h[0];
        s->first = (uint32_t)i;
        s->count = (uint32_t)(j - i);
        i = j;
    }
    for (size_t i = 0; i < sizeof negators / sizeof *negators; i++) {
        slot_t *s = slot_for(t, word_hash(negators[i]));
        s->key = word_hash(negators[i]);
        s->flags |= ENT_NEGATOR;
    }
    for (size_t i = 0; i < sizeof acronyms / sizeof *acronyms; i++) {
        slot_t *s = slot_for(t, word_hash(acronyms[i]));
        s->key = word_hash(acronyms[i]);
        s->flags |= ENT_ACRONYM;
    }
    slot_t *s = slot_for(t, word_hash("but"));
    s->key = word_hash("but");
    s->flags |= ENT_BREAK;
    return 0;
}

static int add_rules(triage_t *t, const triage_config_t *cfg, triage_error_t *err)
{
    for (size_t i = 0; i < cfg->n_rules; i++) {
        int rc = add_phrase(t, &cfg->rules[i], err);
        if (rc) {
            if (err && rc == PARLEY_EINVAL) {
                char msg[sizeof err->msg];
                size_t n = strlen(err->msg);
                memcpy(msg, err->msg, n + 1);
                set_err(err, i + 1, msg);
            }
            return rc;
        }
    }
    return 0;
}

int triage_new(const triage_config_t *cfg, triage_t **out, triage_error_t *err)
{
    triage_config_t dcfg;
    triage_config_init(&dcfg);
    triage_t *t = calloc(1, sizeof *t);
    int rc = PARLEY_ENOMEM;
    if (!out) return PARLEY_EINVAL;
    *out = NULL;
    if (!t) goto fail;
    if (!cfg || !cfg->no_defaults) {
        rc = triage_config_parse_lines(&dcfg, default_rules, sizeof default_rules - 1, err);
        if (rc) goto fail;
        rc = add_rules(t, &dcfg, err);
        if (rc) goto fail;
    }
    if (cfg) {
        rc = add_rules(t, cfg, err);
        if (rc) goto fail;
    }
    rc = intern_pair(t, TRIAGE_SPAM, "links", &t->pair_links);
    if (!rc) rc = intern_pair(t, TRIAGE_FEEDBACK, "", &t->pair_feedback);
    if (!rc) rc = intern_pair(t, TRIAGE_REQUEST, "", &t->pair_request);
    if (!rc) rc = intern_pair(t, TRIAGE_COMPLAINT, "", &t->pair_complaint);
    if (!rc) rc = intern_pair(t, TRIAGE_REQUEST, "account", &t->pair_account);
    if (rc) goto fail;
    rc = build_table(t);
    if (rc) goto fail;
    t->min_score = cfg && cfg->min_score > 0 ? cfg->min_score : 1.0;
    *out = t;
    t = NULL;
fail:
    triage_config_free(&dcfg);
    triage_free(t);
    return rc;
}

void triage_free(triage_t *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_strings; i++) free(t->strings[i]);
    free(t->strings);
    free(t->phrases);
    free(t->pairs);
    free(t->slots);
    free(t);
}

/* ---- classification ---- */

typedef struct {
    uint16_t pair;
    double score;
} acc_t;

typedef struct {
    const triage_t *t;
    triage_result_t *out;
    acc_t acc[MAX_PAIRS];
    size_t n_acc;
    const phrase_t *matched[MAX_MATCHED];
    size_t n_matched;
    size_t words, urls, caps;
    uint32_t caps_start, caps_end;
} run_t;

static double *score_of(run_t *r, uint16_t pair)
{
    for (size_t i = 0; i < r->n_acc; i++)
        if (r->acc[i].pair == pair) return &r->acc[i].score;
    if (r->n_acc == MAX_PAIRS) return NULL;
    r->acc[r->n_acc].pair = pair;
    r->acc[r->n_acc].score = 0;
    return &r->acc[r->n_acc++].score;
}

static void add_evidence(run_t *r, const char *phrase, uint16_t pair, uint32_t start, uint32_t end,
                         double w)
{
    double *sc = score_of(r, pair);
    if (!sc) return;
    *sc += w;
    triage_result_t *o = r->out;
    if (o->n_evidence < TRIAGE_MAX_EVIDENCE && w != 0) {
        triage_evidence_t *e = &o->evidence[o->n_evidence++];
        e->label = r->t->pairs[pair].label;
        e->sub = r->t->pairs[pair].sub;
        e->phrase = phrase;
        e->start = start;
        e->end = end;
        e->weight = w;
    }
}

static bool negated(const triage_t *t, const ntok_t *tok, size_t i)
{
    size_t words = 0;
    while (i > 0 && words < NEG_WINDOW) {
        const ntok_t *p = &tok[--i];
        if (p->kind == TOK_PUNCT) return false;
        if (p->kind == TOK_WORD) {
            const slot_t *s = slot_for(t, p->h);
            if (s->flags & ENT_NEGATOR) return true;
            if (s->flags & ENT_BREAK) return false;
            words++;
        }
    }
    return false;
}

static bool already(run_t *r, const phrase_t *ph)
{
    for (size_t i = 0; i < r->n_matched; i++)
        if (r->matched[i] == ph) return true;
    if (r->n_matched < MAX_MATCHED) r->matched[r->n_matched++] = ph;
    return false;
}

static void match_chunk(run_t *r, const ntok_t *tok, size_t n)
{
    const triage_t *t = r->t;
    for (size_t i = 0; i < n; i++) {
        if (tok[i].kind == TOK_WORD) r->words++;
        if (tok[i].kind == TOK_URL || tok[i].kind == TOK_EMAIL) r->urls++;
        const slot_t *s = slot_for(t, tok[i].h);
        if (tok[i].caps && !(s->flags & ENT_ACRONYM)) {
            if (r->caps++ == 0) r->caps_start = tok[i].start;
            r->caps_end = tok[i].end;
        }
        if (s->count == 0) continue;
        size_t longest = 0;
        for (size_t k = s->first; k < s->first + s->count; k++) {
            const phrase_t *ph = &t->phrases[k];
            if (ph->n < longest) break; /* a longer phrase already matched here */
            if (ph->n > n - i || (ph->anchored && !tok[i].sentence_start)) continue;
            size_t j = 1;
            while (j < ph->n && ph->h[j] == tok[i + j].h) j++;
            if (j < ph->n) continue;
            longest = ph->n;
            if (already(r, ph)) continue;
            uint16_t pair = ph->pair;
            double w = ph->weight;
            triage_label_t label = t->pairs[pair].label;
            if ((label == TRIAGE_COMPLAINT || label == TRIAGE_PRAISE || label == TRIAGE_RISK) &&
                tok[i].kind == TOK_WORD && !(s->flags & ENT_NEGATOR) && negated(t, tok, i)) {
                if (label != TRIAGE_PRAISE || w <= 0) continue;
                pair = t->pair_complaint;
                w *= 0.5;
            }
            add_evidence(r, ph->text, pair, tok[i].start, tok[i + ph->n - 1].end, w);
        }
    }
}

static void emit(run_t *r, uint16_t pair, double score)
{
    triage_result_t *o = r->out;
    if (o->n_labels >= TRIAGE_MAX_LABELS) return;
    o->labels[o->n_labels].label = r->t->pairs[pair].label;
    o->labels[o->n_labels].sub = r->t->pairs[pair].sub;
    o->labels[o->n_labels].confidence = 1.0 - exp(-score);
    o->n_labels++;
}

static double label_score(const run_t *r, triage_label_t label, bool bare_only)
{
    double best = 0;
    for (size_t i = 0; i < r->n_acc; i++) {
        const pair_t *p = &r->t->pairs[r->acc[i].pair];
        if (p->label == label && (!bare_only || p->sub[0] == '\0') && r->acc[i].score > best)
            best = r->acc[i].score;
    }
    return best;
}

static int hit_cmp(const void *a, const void *b)
{
    const triage_hit_t *x = a, *y = b;
    if (x->label != y->label) return x->label < y->label ? -1 : 1;
    return strcmp(x->sub, y->sub);
}

/* The structure rules of triage.h, applied once the phrases are counted. */
static void add_structure(run_t *r)
{
    const triage_t *t = r->t;
    const double thr = t->min_score;
    if (r->urls > 0 && r->words == 0) add_evidence(r, "<links only>", t->pair_links, 0, 0, 1.0);
    if (r->caps > 0)
        add_evidence(r, "<shouting>", t->pair_complaint, r->caps_start, r->caps_end,
                     r->caps >= 2 ? 1.0 : 0.5);
    /* a threat to sue, leave, go public, a danger or a break-in is a complaint too */
    bool hacked = false, other = false;
    for (size_t i = 0; i < r->n_acc; i++) {
        const pair_t *p = &t->pairs[r->acc[i].pair];
        if (p->label != TRIAGE_RISK || r->acc[i].score < thr || strcmp(p->sub, "press") == 0)
            continue;
        if (strcmp(p->sub, "hacked") == 0)
            hacked = true;
        else
            other = true;
    }
    bool asking = label_score(r, TRIAGE_QUESTION, false) >= thr;
    if (other || hacked)
        add_evidence(r, "<risk>", t->pair_complaint, 0, 0, other || !asking ? 1.0 : 0.5);
    if (hacked) add_evidence(r, "<hacked>", t->pair_account, 0, 0, 0.5);
}

static void decide(run_t *r)
{
    const triage_t *t = r->t;
    const double thr = t->min_score;
    add_structure(r);
    /* spam: only the strongest kind of noise, and nothing else */
    size_t spam = SIZE_MAX;
    for (size_t i = 0; i < r->n_acc; i++)
        if (t->pairs[r->acc[i].pair].label == TRIAGE_SPAM && r->acc[i].score >= thr &&
            (spam == SIZE_MAX || r->acc[i].score > r->acc[spam].score))
            spam = i;
    if (spam != SIZE_MAX) {
        emit(r, r->acc[spam].pair, r->acc[spam].score);
        return;
    }
    double complaint = label_score(r, TRIAGE_COMPLAINT, false);
    double praise = label_score(r, TRIAGE_PRAISE, false);
    double generic = label_score(r, TRIAGE_REQUEST, true);
    bool has_c = complaint >= thr, has_p = praise >= thr;
    bool has_q = label_score(r, TRIAGE_QUESTION, false) >= thr;
    bool has_f = label_score(r, TRIAGE_FEEDBACK, true) >= thr;
    bool mixed = has_p && has_c;
    /* a thank-you or a suggestion is not a service request on its topic */
    bool no_topics = (has_p && !has_c && !has_q && generic < thr) || (has_f && !has_c);
    bool topic = false, feedback_done = false;
    for (size_t i = 0; i < r->n_acc; i++) {
        const pair_t *p = &t->pairs[r->acc[i].pair];
        double sc = r->acc[i].score;
        if (p->label == TRIAGE_REQUEST) {
            if (p->sub[0] == '\0' || no_topics || sc <= 0) continue;
            sc += 0.5 * generic;
            if (sc < thr) continue;
            topic = true;
        } else if ((p->label == TRIAGE_PRAISE && mixed) || sc < thr) {
            continue;
        }
        if (p->label == TRIAGE_FEEDBACK && p->sub[0] == '\0') {
            if (mixed && sc < praise) sc = praise;
            feedback_done = true;
        }
        emit(r, r->acc[i].pair, sc);
    }
    if (!topic && generic >= thr && !no_topics) emit(r, t->pair_request, generic);
    if (mixed && !feedback_done) emit(r, t->pair_feedback, praise < complaint ? praise : complaint);
    qsort(r->out->labels, r->out->n_labels, sizeof *r->out->labels, hit_cmp);
}

int triage_classify(const triage_t *t, const char *text, size_t len, triage_result_t *out)
{
    if (!t || !out || (!text && len)) return PARLEY_EINVAL;
    run_t r;
    memset(out, 0, sizeof *out);
    r.t = t;
    r.out = out;
    r.n_acc = r.n_matched = r.words = r.urls = r.caps = 0;
    r.caps_start = r.caps_end = 0;
    ntok_t tok[MAX_CHUNK_TOKENS];
    bool start = true;
    for (size_t from = 0; from < len;) {
        size_t next;
        size_t n = normalise(text, len, from, tok, MAX_CHUNK_TOKENS, start, &next);
        match_chunk(&r, tok, n);
        if (next <= from) break;
        if (n) start = false;
        from = next;
    }
    decide(&r);
    return 0;
}

double triage_result_get(const triage_result_t *r, triage_label_t label, const char *sub)
{
    double best = 0;
    if (!r) return 0;
    for (size_t i = 0; i < r->n_labels; i++) {
        const triage_hit_t *h = &r->labels[i];
        if (h->label != label || (sub && strcmp(h->sub, sub) != 0)) continue;
        if (h->confidence > best) best = h->confidence;
    }
    return best;
}
