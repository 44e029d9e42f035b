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

/**
 * The race page's script, run in the browser. It is served as this function's source
 * (`raceClientScript`), so it must stay self-contained: no imports, nothing from outside.
 */
export function raceClient(): void {
  interface Lane {
    readonly root: PageNode;
    readonly state: PageNode;
    readonly ttft: PageNode;
    readonly gap: PageNode;
    readonly requestId: PageNode;
    readonly reasoning: PageNode;
    readonly answer: PageNode;
    readonly events: PageNode;
  }

  const form = document.getElementById('race-form') as PageNode;
  const promptBox = document.getElementById('prompt') as PageInput;
  const choices = document.getElementById('competitors') as PageNode;
  const lanes = document.getElementById('lanes') as PageNode;

  function element(tag: string, className: string, text = ''): PageNode {
    const node = document.createElement(tag);
    if (className !== '') node.className = className;
    node.textContent = text;
    return node;
  }

  async function loadCompetitors(): Promise<void> {
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

  function newLane(id: string): Lane {
    const root = element('article', 'lane');
    root.dataset.competitor = id;
    root.dataset.state = 'waiting';
    const state = element('span', 'state', 'waiting');
    const ttft = element('span', 'ttft', 'TTFT —');
    const gap = element('span', 'gap', 'max gap —');
    const requestId = element('code', 'request-id', '');
    const figures = element('div', 'figures');
    figures.append(state, ttft, gap);
    const reasoning = element('div', 'reasoning');
    const answer = element('div', 'answer');
    const events = element('div', 'events');
    root.append(element('h2', '', id), figures, requestId, reasoning, answer, events);
    lanes.append(root);
    return { root, state, ttft, gap, requestId, reasoning, answer, events };
  }

  /** The lane's state, shown and on `data-state` (waiting, streaming, done, error) for tests. */
  function setState(lane: Lane, state: string): void {
    lane.state.textContent = state;
    lane.state.className = `state state-${state}`;
    lane.root.dataset.state = state;
  }

  function fail(lane: Lane, message: string): void {
    setState(lane, 'error');
    lane.answer.append(element('div', 'error', message));
  }

  async function race(id: string, prompt: string): Promise<void> {
    const lane = newLane(id);
    const started = performance.now();
    let firstToken: number | undefined;
    // Gaps are measured between frames, as the gateway measures `max_gap_ms`: the wait for
    // the first frame is the TTFT's business.
    let lastFrame: number | undefined;
    let maxGap = 0;
    let res: Response;
    try {
      res = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ model: id, stream: true, messages: [{ role: 'user', content: prompt }] }),
      });
    } catch (error) {
      fail(lane, `network error: ${String(error)}`);
      return;
    }
    lane.requestId.textContent = `request id ${res.headers.get('x-request-id') ?? 'unknown'}`;
    if (!res.ok || res.body === null) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      fail(lane, `HTTP ${res.status}: ${body.error?.message ?? res.statusText}`);
      return;
    }
    setState(lane, 'streaming');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let finished = false;
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        fail(lane, `connection lost: ${String(error)}`);
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
        const now = performance.now();
        if (lastFrame !== undefined) maxGap = Math.max(maxGap, now - lastFrame);
        lastFrame = now;
        lane.gap.textContent = `max gap ${Math.round(maxGap)} ms`;
        const data = frame
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data === '[DONE]') finished = true;
        if (data === '' || data === '[DONE]') continue;
        let chunk: {
          error?: { message?: string };
          choices?: { delta?: { content?: string; reasoning_content?: string; janus?: { event: string } } }[];
        };
        try {
          chunk = JSON.parse(data) as typeof chunk;
        } catch {
          continue;
        }
        if (chunk.error !== undefined) {
          fail(lane, chunk.error.message ?? 'the stream failed');
          return;
        }
        const delta = chunk.choices?.[0]?.delta;
        if (delta === undefined) continue;
        if ((delta.content ?? '') !== '' || (delta.reasoning_content ?? '') !== '') {
          if (firstToken === undefined) {
            firstToken = now - started;
            lane.ttft.textContent = `TTFT ${Math.round(firstToken)} ms`;
          }
        }
        if (delta.reasoning_content !== undefined) lane.reasoning.textContent += `${delta.reasoning_content}\n`;
        if (delta.content !== undefined) lane.answer.textContent += delta.content;
        if (delta.janus !== undefined) lane.events.append(element('div', '', `◆ ${delta.janus.event}`));
      }
    }
    if (!finished) {
      fail(lane, 'the stream ended before [DONE]');
      return;
    }
    setState(lane, 'done');
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const selected = [...choices.querySelectorAll('input[name=competitor]:checked')].map((box) => box.value);
    lanes.replaceChildren();
    if (selected.length === 0) {
      lanes.append(element('p', 'error', 'choose at least one competitor'));
      return;
    }
    for (const id of selected) void race(id, promptBox.value);
  });

  void loadCompetitors();
}

/** The script as served: the function's own (compiled) source, called once. */
export function raceClientScript(): string {
  return `(${raceClient.toString()})();\n`;
}
