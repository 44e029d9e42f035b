/**
 * The few DOM shapes the script uses, declared here rather than through the DOM library,
 * which would replace Node's own `fetch` types everywhere else.
 */
interface PageNode {
  textContent: string | null;
  className: string;
  readonly dataset: Record<string, string | undefined>;
  append(...nodes: (PageNode | string)[]): void;
  replaceChildren(...nodes: PageNode[]): void;
  querySelectorAll(selector: string): Iterable<PageInput>;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
}

interface PageInput extends PageNode {
  type: string;
  name: string;
  value: string;
  checked: boolean;
}

declare const document: {
  getElementById(id: string): PageNode | null;
  createElement(tag: string): PageNode;
};

/** What the script reads of a chunk of the stream. */
interface Delta {
  content?: string;
  reasoning_content?: string;
  janus?: { event: string };
}

interface Chunk {
  error?: { message?: string };
  choices?: { delta?: Delta }[];
}

/*
 * The race page's script, run in the browser. It is served as the source of the declarations
 * below (`raceClientScript`), so each must stay self-contained: no imports, nothing from
 * outside but the browser's globals and the other declarations served with it.
 */

function element(tag: string, className: string, text = ''): PageNode {
  const node = document.createElement(tag);
  if (className !== '') node.className = className;
  node.textContent = text;
  return node;
}

/** One competitor's lane: its figures and text on the page, and the timings they come from. */
class RaceLane {
  private readonly root: PageNode;
  private readonly state: PageNode;
  private readonly ttft: PageNode;
  private readonly gap: PageNode;
  readonly requestId: PageNode;
  private readonly reasoning: PageNode;
  private readonly answer: PageNode;
  private readonly events: PageNode;
  private readonly started: number;
  private firstToken: number | undefined;
  // Gaps are measured between frames, as the gateway measures `max_gap_ms`: the wait for
  // the first frame is the TTFT's business.
  private lastFrame: number | undefined;
  private maxGap = 0;

  constructor(lanes: PageNode, id: string) {
    this.root = element('article', 'lane');
    this.root.dataset.competitor = id;
    this.root.dataset.state = 'waiting';
    this.state = element('span', 'state', 'waiting');
    this.ttft = element('span', 'ttft', 'TTFT —');
    this.gap = element('span', 'gap', 'max gap —');
    this.requestId = element('code', 'request-id', '');
    const figures = element('div', 'figures');
    figures.append(this.state, this.ttft, this.gap);
    this.reasoning = element('div', 'reasoning');
    this.answer = element('div', 'answer');
    this.events = element('div', 'events');
    this.root.append(element('h2', '', id), figures, this.requestId, this.reasoning, this.answer, this.events);
    lanes.append(this.root);
    this.started = performance.now();
  }

  /** The lane's state, shown and on `data-state` (waiting, streaming, done, error) for tests. */
  setState(state: string): void {
    this.state.textContent = state;
    this.state.className = `state state-${state}`;
    this.root.dataset.state = state;
  }

  fail(message: string): void {
    this.setState('error');
    this.answer.append(element('div', 'error', message));
  }

  /** A frame arrived at `now`: the longest gap between two frames so far. */
  frame(now: number): void {
    if (this.lastFrame !== undefined) this.maxGap = Math.max(this.maxGap, now - this.lastFrame);
    this.lastFrame = now;
    this.gap.textContent = `max gap ${Math.round(this.maxGap)} ms`;
  }

  /** A chunk's delta, from a frame that arrived at `now`: TTFT at the first text, then the text and the events. */
  delta(delta: Delta, now: number): void {
    if ((delta.content ?? '') !== '' || (delta.reasoning_content ?? '') !== '') {
      if (this.firstToken === undefined) {
        this.firstToken = now - this.started;
        this.ttft.textContent = `TTFT ${Math.round(this.firstToken)} ms`;
      }
    }
    if (delta.reasoning_content !== undefined) this.reasoning.textContent += `${delta.reasoning_content}\n`;
    if (delta.content !== undefined) this.answer.textContent += delta.content;
    if (delta.janus !== undefined) this.events.append(element('div', '', `◆ ${delta.janus.event}`));
  }
}

/** The `data:` lines of an SSE frame, joined. */
function dataOf(frame: string): string {
  return frame
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n');
}

/** One SSE frame on the lane: `done` for `[DONE]`, `error` for an error event (shown on the lane). */
function showFrame(lane: RaceLane, frame: string): 'done' | 'error' | undefined {
  const now = performance.now();
  lane.frame(now);
  const data = dataOf(frame);
  if (data === '[DONE]') return 'done';
  if (data === '') return undefined;
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    return undefined;
  }
  if (chunk.error !== undefined) {
    lane.fail(chunk.error.message ?? 'the stream failed');
    return 'error';
  }
  const delta = chunk.choices?.[0]?.delta;
  if (delta !== undefined) lane.delta(delta, now);
  return undefined;
}

/** Reads the stream frame by frame onto the lane; done only when `[DONE]` came and nothing failed. */
async function followStream(lane: RaceLane, body: NonNullable<Response['body']>): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let finished = false;
  for (;;) {
    let read: Awaited<ReturnType<typeof reader.read>>;
    try {
      read = await reader.read();
    } catch (error) {
      lane.fail(`connection lost: ${String(error)}`);
      return;
    }
    const { value, done } = read;
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      const shown = showFrame(lane, frame);
      if (shown === 'error') return;
      if (shown === 'done') finished = true;
    }
  }
  if (!finished) {
    lane.fail('the stream ended before [DONE]');
    return;
  }
  lane.setState('done');
}

/** One competitor's streamed answer to the prompt, in a lane of its own. */
async function race(lanes: PageNode, id: string, prompt: string): Promise<void> {
  const lane = new RaceLane(lanes, id);
  let res: Response;
  try {
    res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ model: id, stream: true, messages: [{ role: 'user', content: prompt }] }),
    });
  } catch (error) {
    lane.fail(`network error: ${String(error)}`);
    return;
  }
  lane.requestId.textContent = `request id ${res.headers.get('x-request-id') ?? 'unknown'}`;
  if (!res.ok || res.body === null) {
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    lane.fail(`HTTP ${res.status}: ${body.error?.message ?? res.statusText}`);
    return;
  }
  lane.setState('streaming');
  await followStream(lane, res.body);
}

/** The competitors to race, the first two ticked, with the state of any circuit that is not closed. */
async function loadCompetitors(choices: PageNode): Promise<void> {
  try {
    const res = await fetch('/v1/models');
    const body = (await res.json()) as { data: { id: string; circuit_state?: string }[] };
    choices.replaceChildren(element('legend', '', 'Race'));
    body.data.forEach((model, index) => {
      const label = element('label', '');
      const box = document.createElement('input') as PageInput;
      box.type = 'checkbox';
      box.name = 'competitor';
      box.value = model.id;
      box.checked = index < 2;
      label.append(box, ` ${model.id}`);
      if (model.circuit_state !== undefined && model.circuit_state !== 'closed') label.append(element('span', 'error', ` (${model.circuit_state})`));
      choices.append(label);
    });
  } catch (error) {
    choices.append(element('p', 'error', `could not list competitors: ${String(error)}`));
  }
}

/** The script's entry: lists the competitors, and races the ticked ones on every submit. */
export function raceClient(): void {
  const form = document.getElementById('race-form') as PageNode;
  const promptBox = document.getElementById('prompt') as PageInput;
  const choices = document.getElementById('competitors') as PageNode;
  const lanes = document.getElementById('lanes') as PageNode;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const selected = [...choices.querySelectorAll('input[name=competitor]:checked')].map((box) => box.value);
    lanes.replaceChildren();
    if (selected.length === 0) {
      lanes.append(element('p', 'error', 'choose at least one competitor'));
      return;
    }
    for (const id of selected) void race(lanes, id, promptBox.value);
  });

  void loadCompetitors(choices);
}

/** Everything the script declares, in order; `raceClient` is called once they all exist. */
const SCRIPT_PARTS: readonly { toString(): string }[] = [element, RaceLane, dataOf, showFrame, followStream, race, loadCompetitors, raceClient];

/** The script as served: the (compiled) source of its declarations in one function scope, then `raceClient()`. */
export function raceClientScript(): string {
  return `(() => {\n${SCRIPT_PARTS.map((part) => part.toString()).join('\n\n')}\n\nraceClient();\n})();\n`;
}
