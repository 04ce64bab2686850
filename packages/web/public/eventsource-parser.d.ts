// Types for the browser modules' import of "./eventsource-parser.js", which the web app serves from
// the installed eventsource-parser package (see webAssets in src/create-web-app.ts).
export { createParser } from "eventsource-parser";
export type { EventSourceMessage, EventSourceParser, ParserCallbacks } from "eventsource-parser";
