/*
 * handlers.h - every route handler, one file per resource (h_*.c).
 */
#ifndef PARLEY_HTTP_HANDLERS_H
#define PARLEY_HTTP_HANDLERS_H

#include "http/http.h"

/* h_system.c */
void h_healthz(req_t *r);
void h_readyz(req_t *r);
void h_metrics(req_t *r);
void h_openapi(req_t *r);

/* h_auth.c */
void h_login(req_t *r);
void h_logout(req_t *r);
void h_me_get(req_t *r);
void h_me_patch(req_t *r);
void h_me_password(req_t *r);

/* h_users.c */
void h_users_list(req_t *r);
void h_users_create(req_t *r);
void h_users_get(req_t *r);
void h_users_patch(req_t *r);
void h_users_disable(req_t *r);

/* h_tokens.c */
void h_tokens_list(req_t *r);
void h_tokens_create(req_t *r);
void h_tokens_revoke(req_t *r);

/* h_events.c */
void h_events_list(req_t *r);
void h_account_get(req_t *r);
void h_account_patch(req_t *r);
void h_account_notices(req_t *r);

/* h_inboxes.c: shared with the webhooks */
#include "channels/channel.h"
#include "desk/ingest.h"
ch_request_t http_channel_request(req_t *r);
json_t *http_ingest_result(const ingest_result_t *res);

#endif
