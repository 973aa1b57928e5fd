/*
 * registry.c - the table of platform adapters, looked up by channel type name.
 */
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"

static const channel_ops_t *const adapters[] = {
    &channel_messenger,  &channel_instagram, &channel_whatsapp,
    &channel_twilio_sms, &channel_telegram,  &channel_x,
    &channel_api,        &channel_email,     &channel_web,
};

const channel_ops_t *channel_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof adapters / sizeof adapters[0]; i++)
        if (strcmp(adapters[i]->name, name) == 0) return adapters[i];
    return NULL;
}
