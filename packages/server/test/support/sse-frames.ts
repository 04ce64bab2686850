/** Reading a thread stream's SSE frames in tests, as they arrive. */

export interface Frame {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a response body's SSE frames as they come; comments are skipped. */
export function frameReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const frames: Frame[] = [];
  let buffer = "";
  return {
    frames,
    /** Reads until `until` holds for the frames so far. */
    async readUntil(until: (frames: Frame[]) => boolean): Promise<Frame[]> {
      while (!until(frames)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended early after ${JSON.stringify(frames)}`);
        buffer += value;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Partial<Frame> = {};
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) frame.id = line.slice(4);
            else if (line.startsWith("event: ")) frame.event = line.slice(7);
            else if (line.startsWith("data: ")) frame.data = JSON.parse(line.slice(6));
          }
          if (frame.event) frames.push(frame as Frame);
        }
      }
      return frames;
    },
    close: () => reader.cancel(),
  };
}

/** A `readUntil` condition: a frame of this event came. */
export const has = (event: string) => (frames: Frame[]) => frames.some((frame) => frame.event === event);
