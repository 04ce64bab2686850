/**
 * The hub's inbound routes: each channel's paths go to its `receive`; a channel without
 * credentials, and the built-in channels' paths when they are not given at all, answer a 404 that
 * says how to configure them (instead of the API's 401 for a missing key).
 */
import type { ServerExtensionContext } from "@agentfold/server";
import { errorJson, type Channel, type ChannelContext } from "../channel.ts";

const notConfigured: Record<string, string> = {
  slack: "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or pass slackChannel({ token, signingSecret })).",
  email: "Email is not configured: pass emailChannel({ from, transport, inboundSecret }) to createChannels.",
  webhook: "No inbound webhooks are configured: pass webhookChannel({ hooks: { name: { secret } } }) to createChannels.",
};
const knownPaths: Record<string, string> = { slack: "/v1/slack/*", email: "/v1/email/*", webhook: "/v1/hooks/*" };

export function mountChannelRoutes(app: ServerExtensionContext["app"], channels: readonly Channel[], context: ChannelContext): void {
  for (const channel of channels) {
    for (const path of channel.paths) {
      app.all(path, async (c) => {
        if (!channel.configured || !channel.receive)
          return errorJson(404, "not_configured", notConfigured[channel.name] ?? `Channel "${channel.name}" is not configured.`);
        return channel.receive(c.req.raw, c.req.param() as Record<string, string>, context);
      });
    }
  }
  const names = new Set(channels.map((channel) => channel.name));
  for (const [name, path] of Object.entries(knownPaths)) {
    app.all(path, () => errorJson(404, "not_configured", names.has(name) ? `No such ${name} route.` : notConfigured[name]!));
  }
}
