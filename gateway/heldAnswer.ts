import type { IncomingMessage, ServerResponse } from 'node:http';

/** A competitor's answer held whole, up to a limit, to be sent on to the client in one piece. */
export class HeldAnswer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Keeps the chunk while the answer stays within the limit; false once it has gone past it. */
  add(chunk: Buffer): boolean {
    this.size += chunk.byteLength;
    if (this.size > this.limit) return false;
    this.chunks.push(chunk);
    return true;
  }

  get overLimit(): boolean {
    return this.size > this.limit;
  }

  /** Answers the client with the competitor's status, its content type (JSON unless given) and the bytes held. */
  sendOn(res: ServerResponse, response: IncomingMessage): void {
    res.statusCode = response.statusCode ?? 0;
    res.setHeader('content-type', response.headers['content-type'] ?? 'application/json');
    res.end(Buffer.concat(this.chunks, this.size));
  }
}
