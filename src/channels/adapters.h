/*
 * adapters.h - the platform adapters, one per file in src/channels/.
 *
 * The desk finds them through channel_find(); tests and fuzz targets name them
 * directly. Each is a constant table and holds no state.
 */
#ifndef PARLEY_CHANNELS_ADAPTERS_H
#define PARLEY_CHANNELS_ADAPTERS_H

#include "channels/channel.h"

extern const channel_ops_t channel_messenger;  /* Facebook page DMs and comments */
extern const channel_ops_t channel_instagram;  /* Instagram DMs, comments, mentions */
extern const channel_ops_t channel_whatsapp;   /* WhatsApp Cloud API */
extern const channel_ops_t channel_twilio_sms; /* SMS/MMS through Twilio */
extern const channel_ops_t channel_telegram;   /* Telegram Bot API */
extern const channel_ops_t channel_x;          /* X Account Activity API */
extern const channel_ops_t channel_api;        /* Parley's own signed API channel */
extern const channel_ops_t channel_email;      /* e-mail: MIME in (parley mail-in), SMTP out */
extern const channel_ops_t channel_web;        /* website chat widget (channels/web.h) */

#endif
