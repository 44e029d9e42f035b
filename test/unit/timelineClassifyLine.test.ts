import { classifyLine, ms, type Classification } from '../../src/timeline/classifyLine';
import { competitorLines, gatewayLines, sandboxLines, type Line } from '../support/timelineLines';

function byMessage(lines: readonly Line[], message: string, nth = 0): Line {
  const found = lines.filter((line) => line.message === message)[nth];
  if (found === undefined) throw new Error(`no ${message} line`);
  return found;
}

function check(line: Line, expected: Partial<Classification>): void {
  expect(classifyLine(line)).toMatchObject(expected);
}

describe('classifyLine', () => {
  it('names the access log lines: arrival, and completion with status, bytes and outcome', () => {
    check(byMessage(gatewayLines(), 'request started'), { kind: 'arrival', label: 'arrival', detail: 'POST /v1/chat/completions' });
    check(byMessage(gatewayLines(), 'request completed'), {
      kind: 'completion',
      label: 'completion (200, 8139 bytes, completed)',
      detail: '846.6 ms, ttft 37.8 ms, max gap 369 ms, events 40',
    });
  });

  it("names the gateway relay's lines", () => {
    check(byMessage(gatewayLines(), 'upstream call started'), { kind: 'upstream_call', label: 'upstream call (fast)' });
    check(byMessage(gatewayLines(), 'upstream answered'), { kind: 'upstream_answer', label: 'upstream answered (200, after 21.9 ms)' });
    check(byMessage(gatewayLines(), 'stream event'), { kind: 'stream_event', label: 'stream event (tool_start)', detail: 'calc call_1' });
    check({ message: 'gap over contract', level: 'warn', gap_ms: 2345, contract_gap_ms: 2000 }, { kind: 'gap_over_contract', label: 'gap over contract (2.35 s)', detail: 'contract 2.00 s' });
    check({ message: 'upstream failed', level: 'warn', reason: 'idle', error: 'fast sent nothing for 15000 ms' }, { kind: 'error', label: 'error (idle)', detail: 'fast sent nothing for 15000 ms' });
    check({ message: 'stream cut', level: 'warn', reason: 'slow_client' }, { kind: 'error', label: 'error (slow_client)' });
  });

  it("gives the first token the client's TTFT from the completed line, and the upstream's as detail", () => {
    const line = byMessage(gatewayLines(), 'first token');
    expect(classifyLine(line, { ttftMs: 37.848, arrivedAt: 0 })).toEqual({ kind: 'first_token', label: 'first token (ttft 37.8 ms)', detail: 'upstream ttft 27.7 ms' });
    // No completed line (the stream is still running, or failed): measured from the arrival line.
    expect(classifyLine(line, { arrivedAt: 1000 }, 1040).label).toBe('first token (ttft 40 ms)');
    expect(classifyLine(line, {}).label).toBe('first token (upstream ttft 27.7 ms)');
  });

  it("names the competitor's tool calls and sandbox, and the sandbox child's own lines", () => {
    check(byMessage(competitorLines(), 'tool call started'), { kind: 'tool_start', label: 'tool start (calc)', detail: 'call_1' });
    check(byMessage(competitorLines(), 'sandbox started'), { kind: 'sandbox_start', label: 'sandbox start (pid 31970, spawn 2.6 ms)' });
    check(byMessage(competitorLines(), 'tool call finished'), { kind: 'tool_end', label: 'tool end (calc, ok, 372.5 ms)' });
    check({ message: 'tool call failed', level: 'warn', tool: 'sleep', outcome: 'call_timeout', duration_ms: 30000, call_id: 'c', error: 'killed' }, { kind: 'tool_end', label: 'tool failed (sleep, call_timeout, 30.0 s)', detail: 'c: killed' });
    check(byMessage(sandboxLines(), 'sandbox call started'), { kind: 'sandbox_start', label: 'sandbox call start (calc)', detail: 'call_1, pid 31970' });
    check(byMessage(sandboxLines(), 'sandbox call finished'), { kind: 'sandbox_end', label: 'sandbox end (ok, 3.2 ms)' });
    check({ message: 'sandbox call finished', ok: false, duration_ms: 1 }, { label: 'sandbox end (failed, 1 ms)' });
  });

  it('names telemetry events, failures among them as errors', () => {
    check(byMessage(competitorLines(), 'event'), { kind: 'event', label: 'event (worker.started)', detail: 'pid 31970' });
    check({ message: 'event', event: 'worker.crashed', metadata: { pid: 7, error: 'boom\n  at x' } }, { kind: 'error', label: 'event (worker.crashed)', detail: 'pid 7, boom' });
    check({ message: 'event', event: 'request.completed', metadata: { correlation_id: 'call_1', success: false, error_type: 'call_timeout' } }, { kind: 'error', detail: 'call_1, error_type call_timeout' });
  });

  it('falls back on the level for lines it does not know', () => {
    check({ message: 'something broke', level: 'error', error: 'Error: x\n    at y' }, { kind: 'error', label: 'error', detail: 'Error: x' });
    check({ message: 'request failed', level: 'error', code: 'SIGHTLINE_ERR_X' }, { kind: 'error', label: 'error (SIGHTLINE_ERR_X)' });
    check({ message: 'odd', level: 'warn' }, { kind: 'warning', label: 'warning' });
    check({ message: 'session created', level: 'info' }, { kind: 'log', label: 'log', detail: '' });
  });

  it('leaves out figures a line does not carry rather than printing undefined', () => {
    const labels = ['request completed', 'upstream answered', 'stream event', 'tool call finished', 'sandbox started', 'event'].map((message) => classifyLine({ message }).label);
    expect(labels).toEqual(['completion', 'upstream answered', 'stream event', 'tool end', 'sandbox start', 'event']);
    expect(labels.join(' ')).not.toMatch(/undefined|NaN|\(\)/);
  });
});

describe('ms', () => {
  it('shows milliseconds to a tenth, seconds from one second', () => {
    expect([ms(0), ms(27.718), ms(999.94), ms(1000), ms(2345), ms(12_345), ms('7'), ms(Number.NaN)]).toEqual(['0 ms', '27.7 ms', '999.9 ms', '1.00 s', '2.35 s', '12.3 s', '', '']);
  });
});
