/** The request body limit: past `maxBodyBytes` a request is a 413 that names the limit. */
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./http-errors.ts";

/** "1 MB", "64 KB" or "1000 bytes": a size as the 413 message names it. */
export function byteSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

export function bodySizeLimit(maxBodyBytes: number) {
  return bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new ApiError(
        413,
        "payload_too_large",
        `The request body is over ${byteSize(maxBodyBytes)}, the most this server accepts (maxBodyBytes: ${maxBodyBytes}); send less.`,
      );
    },
  });
}
