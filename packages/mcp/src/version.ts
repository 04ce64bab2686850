/** This package's version, sent as the client's and the server's name in the MCP handshake. */
export const version = "0.1.0";
