/**
 * @agentfold/web: the inbox and thread inspector, served by the agentfold server at `/`. The UI is a
 * client of the public HTTP API v1 only.
 */
export {
  createWebApp,
  webInbox,
  webAssets,
  webAssetsDirectory,
  contentSecurityPolicy,
  type WebAppOptions,
  type WebAsset,
} from "./create-web-app.ts";
