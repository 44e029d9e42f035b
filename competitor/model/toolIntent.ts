import type { ChatTool } from '../chatRequest';

/** A tool call the simulated model decided to make. */
export interface ToolIntent {
  readonly tool: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

export const BUILT_IN_TOOLS = ['calc', 'sleep', 'echo'] as const;

const MAX_SLEEP_MS = 60_000;

/** `calc 2+3*4`, `sleep 1500` (or `sleep 2s`), `echo some text`: a prompt that starts with a built-in's name. */
function builtInFromPrompt(prompt: string): ToolIntent | undefined {
  const trimmed = prompt.trim();
  const calc = /^calc(?:ulate)?\b[\s:]*(.+)$/is.exec(trimmed);
  if (calc?.[1] !== undefined) return { tool: 'calc', arguments: { expression: calc[1].trim() } };
  const sleep = /^sleep\b[\s:]*(\d+(?:\.\d+)?)\s*(ms|s)?\b/i.exec(trimmed);
  if (sleep?.[1] !== undefined) {
    const ms = Number(sleep[1]) * (sleep[2]?.toLowerCase() === 's' ? 1000 : 1);
    return { tool: 'sleep', arguments: { ms: Math.min(Math.round(ms), MAX_SLEEP_MS) } };
  }
  const echo = /^echo\b[\s:]*(.*)$/is.exec(trimmed);
  if (echo?.[1] !== undefined) return { tool: 'echo', arguments: { text: echo[1].trim() } };
  return undefined;
}

/**
 * The tool the model calls for this prompt, if any. Offered tools win: the one the prompt
 * names, else the first (with the built-in's arguments when it is one); without offered
 * tools, a prompt starting with a built-in's name calls it. `tool_choice: "none"` calls none.
 */
export function detectToolIntent(prompt: string, tools: readonly ChatTool[] | undefined, toolChoice: unknown): ToolIntent | undefined {
  if (toolChoice === 'none') return undefined;
  const builtIn = builtInFromPrompt(prompt);
  if (tools === undefined || tools.length === 0) return builtIn;
  const names = tools.map((tool) => tool.function.name);
  const forced = typeof toolChoice === 'object' && toolChoice !== null ? (toolChoice as { function?: { name?: unknown } }).function?.name : undefined;
  const lower = prompt.toLowerCase();
  const chosen =
    (typeof forced === 'string' && names.includes(forced) ? forced : undefined) ??
    names.find((name) => lower.includes(name.toLowerCase())) ??
    names[0];
  if (chosen === undefined) return builtIn;
  if (builtIn !== undefined && builtIn.tool === chosen) return builtIn;
  return { tool: chosen, arguments: { query: prompt.slice(0, 2000) } };
}
