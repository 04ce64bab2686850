/**
 * The Slack channel: approvals as Block Kit messages (Approve / Reject with a reason / Edit in a
 * modal), questions with answer buttons or thread replies, the message updated after a decision.
 * Inbound `/v1/slack/interactions` and `/v1/slack/events` are verified (v0 signatures), answered at
 * once (Slack wants an answer within 3 s) and processed afterwards; retries and replays are dropped.
 *
 * Outbound messages are in slack-outbound.ts; inbound requests in slack-receive.ts, which hands
 * clicks and modals to slack-interactions.ts and messages to slack-events.ts.
 */
import { WebClient } from "@slack/web-api";
import type { Channel } from "../channel.ts";
import { slackOutbound } from "./slack-outbound.ts";
import { receiveSlackRequest } from "./slack-receive.ts";

export interface SlackChannelOptions {
  /** Bot token (`xoxb-…`). Default: `SLACK_BOT_TOKEN`. */
  token?: string;
  /** Default: `SLACK_SIGNING_SECRET`. */
  signingSecret?: string;
  /** Where requests go when a routing rule gives no `target`. Default: `SLACK_CHANNEL`. */
  defaultTarget?: string;
  /** The agent a mention or a direct message starts. Needed when the server runs several agents. */
  agent?: string;
  /** Who may start threads by a mention or DM: Slack user ids or `"anyone"` (default). */
  starters?: readonly string[] | "anyone";
  /** The Web API base URL (a stand-in in tests). Default `https://slack.com/api/`. */
  apiUrl?: string;
  /** A client to use instead of a new WebClient. */
  client?: WebClient;
}

/**
 * @example
 * const slack = slackChannel({ agent: "deploybot", defaultTarget: "C_DEPLOYS" }); // token and secret from the environment
 * createChannels({ channels: [slack], routing: [{ send: [{ channel: "slack", people: ["U_ALEX"] }] }] });
 */
export function slackChannel(options: SlackChannelOptions = {}): Channel {
  const token = options.token ?? process.env.SLACK_BOT_TOKEN;
  const signingSecret = options.signingSecret ?? process.env.SLACK_SIGNING_SECRET;
  const defaultTarget = options.defaultTarget ?? process.env.SLACK_CHANNEL;
  const starters = options.starters ?? "anyone";
  const configured = Boolean((token || options.client) && signingSecret);
  const client =
    options.client ??
    new WebClient(token, {
      ...(options.apiUrl === undefined ? {} : { slackApiUrl: options.apiUrl }),
      // A few quick retries and a per-request timeout: a slow Slack must not hold a delivery for
      // minutes (the hub's delivery claim expires after `deliveryClaimTtlMs`, 5 min by default).
      retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 2000 },
      timeout: 15_000,
    });

  // `receive` runs only when `configured` (the hub answers 404 otherwise), so the secret is set.
  const settings = { client, signingSecret: signingSecret!, agent: options.agent, starters };
  return {
    name: "slack",
    paths: ["/v1/slack/interactions", "/v1/slack/events"],
    configured,
    ...slackOutbound(client, defaultTarget),
    receive: (request, _params, context) => receiveSlackRequest(settings, request, context),
  };
}
