# Every source of the parley library, by layer (explicit: a half-written file
# never slips into a build).
set(PARLEY_SOURCES
  src/core/arena.c src/core/bhours.c src/core/blob.c src/core/clock.c src/core/config.c src/core/crypto.c
  src/core/error.c src/core/json.c src/core/log.c src/core/mem.c src/core/str.c
  src/core/tzfile.c
  src/text/bm25.c src/text/pii.c src/text/priority.c src/text/sentiment.c
  src/text/sentiment_lexicon.c src/text/sentiment_split.c src/text/tokenize.c src/text/triage.c src/text/voice.c
  src/store/event_hash.c src/store/sqlite.c src/store/sqlite_desk.c src/store/sqlite_queries.c
  src/store/sqlite_util.c src/store/stats.c
  src/store/sqlite_catalog.c
  src/store/sqlite_sla.c
  src/channels/api.c src/channels/common.c src/channels/form.c src/channels/instagram.c
  src/channels/messenger.c src/channels/meta.c src/channels/registry.c src/channels/telegram.c
  src/channels/twilio_sms.c src/channels/whatsapp.c src/channels/x.c src/channels/email.c
  src/channels/web.c src/store/sqlite_widget.c src/http/h_widget.c
  src/desk/actions.c src/desk/analyze.c src/desk/app.c src/desk/contacts.c
  src/desk/conversations.c src/desk/credentials.c src/desk/delivery.c src/desk/delivery_send.c src/desk/inboxes.c src/desk/ingest.c
  src/desk/router.c src/desk/scheduler.c src/desk/search.c src/desk/users.c src/desk/worker.c
  src/desk/canned.c src/desk/catalog.c
  src/desk/hours.c src/desk/sla.c src/desk/sla_policy.c
  src/http/auth.c src/http/h_auth.c src/http/h_events.c src/http/h_system.c
  src/http/h_tokens.c src/http/h_users.c src/http/metrics.c src/http/reply.c
  src/http/router.c src/http/routes.c src/http/server.c src/http/throttle.c
  src/http/h_analyze.c src/http/stream.c
  src/http/h_catalog.c src/http/h_contacts.c src/http/h_conversations.c src/http/h_inboxes.c
  src/http/h_web.c
  src/http/h_webhooks.c src/http/h_deliveries.c
  src/http/h_sla.c
  src/store/sqlite_webhooks.c src/desk/webhooks.c src/http/h_outbound.c
  src/cli/admin.c src/cli/sentiment.c src/cli/serve.c src/cli/mailin.c
  src/store/sqlite_reports.c src/store/rconv_cache.c src/store/report_cube.c src/desk/rollups.c
  src/desk/reports.c src/http/h_reports.c
  src/cli/export.c
  src/cli/demo.c src/cli/simulate.c
  src/store/sqlite_digest.c src/desk/digest.c src/desk/mailer.c
)
