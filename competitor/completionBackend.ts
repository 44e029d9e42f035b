import type { Request, Response } from 'express';
import type { ChatRequest } from './chatRequest';

/**
 * Answers one validated chat-completions request, streamed or not. `signal` aborts when
 * the client leaves. Errors before the response started are thrown (the error handler
 * answers them); once streaming, the backend ends the stream itself.
 */
export type CompletionBackend = (req: Request, res: Response, request: ChatRequest, signal: AbortSignal) => Promise<void>;
