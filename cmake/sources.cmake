# Every source of the parley library, by layer (explicit: a half-written file
# never slips into a build).
set(PARLEY_SOURCES
  src/core/arena.c src/core/blob.c src/core/clock.c src/core/config.c src/core/crypto.c
  src/core/error.c src/core/json.c src/core/log.c src/core/mem.c src/core/str.c
  src/text/bm25.c src/text/pii.c src/text/priority.c src/text/sentiment.c
  src/text/sentiment_lexicon.c src/text/tokenize.c src/text/triage.c src/text/voice.c
  src/store/event_hash.c src/store/sqlite.c src/store/sqlite_queries.c src/store/stats.c
  src/desk/analyze.c src/desk/credentials.c src/desk/users.c
  src/http/auth.c src/http/h_auth.c src/http/h_events.c src/http/h_system.c
  src/http/h_tokens.c src/http/h_users.c src/http/metrics.c src/http/reply.c
  src/http/router.c src/http/routes.c src/http/server.c src/http/throttle.c
  src/http/h_analyze.c
  src/cli/admin.c src/cli/sentiment.c src/cli/serve.c
)
