const LF = 0x0a;
const CR = 0x0d;

/** Bytes an unfinished frame may reach by default before `push` reports it too large. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** `push`'s answer when the unfinished frame passed the limit: the stream cannot be relayed safely. */
export const FRAME_TOO_LARGE = Symbol('frame too large');

/**
 * Holds a relayed Server-Sent-Events stream back to whole frames (each ended by a blank line,
 * with LF, CRLF or CR line endings), so that whatever the relay writes of its own, a
 * keep-alive comment or a final error event, lands between two frames and never inside one.
 */
export interface SseFrameAssembler {
  /**
   * Takes the next bytes from upstream. Answers the bytes that complete frames, ready to write
   * (the chunk itself when it ends a frame and nothing was held), undefined when no frame
   * ended, or `FRAME_TOO_LARGE` once the unfinished frame holds more than the limit.
   */
  push(chunk: Buffer): Buffer | undefined | typeof FRAME_TOO_LARGE;
  /** Bytes of the unfinished frame held back. */
  readonly heldBytes: number;
  /** Whether the held bytes are only line endings: the stream ended cleanly if it ends now. */
  readonly heldOnlyLineEndings: boolean;
  /** Forgets the unfinished frame (it is never written) and answers how many bytes it held. */
  drop(): number;
}

/** An assembler whose unfinished frame may hold at most `maxFrameBytes` (a line, or a multi-line event). */
export function createSseFrameAssembler(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES): SseFrameAssembler {
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) {
    throw new TypeError(`createSseFrameAssembler: maxFrameBytes must be a positive integer, got ${String(maxFrameBytes)}`);
  }
  let held: Buffer[] = [];
  let heldBytes = 0;
  /** The bytes so far end a line (or there are none): a line ending next is a blank line. */
  let lineEmpty = true;
  /** The last byte was CR: a LF next belongs to the same line ending. */
  let afterCr = false;
  let overflowed = false;

  /** Index just past the last frame end in `chunk`, or 0 when none; keeps the line state. */
  function frameEnd(chunk: Buffer): number {
    const n = chunk.length;
    if (!afterCr && chunk.indexOf(CR) === -1) {
      // Line endings are LF only, as nearly every server writes them: native searches do it.
      const pair = chunk.lastIndexOf('\n\n');
      const end = pair !== -1 ? pair + 2 : lineEmpty && chunk[0] === LF ? 1 : 0;
      lineEmpty = chunk[n - 1] === LF;
      return end;
    }
    let end = 0;
    for (let i = 0; i < n; i += 1) {
      const byte = chunk[i];
      if (byte === LF && afterCr) {
        afterCr = false;
        // The LF of a CRLF whose CR ended a frame goes with that frame.
        if (end === i && (i > 0 || heldBytes === 0)) end = i + 1;
      } else if (byte === LF || byte === CR) {
        if (lineEmpty) end = i + 1;
        lineEmpty = true;
        afterCr = byte === CR;
      } else {
        lineEmpty = false;
        afterCr = false;
      }
    }
    return end;
  }

  return {
    push(chunk) {
      if (overflowed) return FRAME_TOO_LARGE;
      if (chunk.length === 0) return undefined;
      const end = frameEnd(chunk);
      if (end === 0) return hold(chunk);
      const complete = end === chunk.length ? chunk : chunk.subarray(0, end);
      const ready = heldBytes === 0 ? complete : Buffer.concat([...held, complete], heldBytes + complete.length);
      held = [];
      heldBytes = 0;
      if (end < chunk.length && hold(chunk.subarray(end)) === FRAME_TOO_LARGE) return FRAME_TOO_LARGE;
      return ready;
    },
    get heldBytes() {
      return heldBytes;
    },
    get heldOnlyLineEndings() {
      return !overflowed && held.every((part) => part.every((byte) => byte === LF || byte === CR));
    },
    drop() {
      const dropped = heldBytes;
      held = [];
      heldBytes = 0;
      return dropped;
    },
  };

  function hold(part: Buffer): undefined | typeof FRAME_TOO_LARGE {
    heldBytes += part.length;
    if (heldBytes > maxFrameBytes) {
      overflowed = true;
      held = [];
      return FRAME_TOO_LARGE;
    }
    held.push(part);
    return undefined;
  }
}
