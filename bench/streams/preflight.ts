import { JSON_BODY } from './jsonRate';
import { startGateway, type LoadClient, type Upstream } from './services';
import type { StreamsSettings } from './settings';
import { streamBody } from './streamMatrix';

/** What a gateway started like the measured ones wrote for a few requests, its stdout captured. */
export interface ObservabilityCheck {
  readonly streamsSent: number;
  readonly streamLines: number;
  /** Fields of a stream's `request completed` line. */
  readonly streamFields: readonly string[];
  readonly jsonSent: number;
  readonly jsonLines: number;
  readonly ok: boolean;
  readonly problem: string | undefined;
}

const STREAMS = 5;
const REQUIRED_STREAM_FIELDS = ['request_id', 'ttft_ms', 'max_gap_ms', 'competitor_id'];

/**
 * Proves the measured gateway observes what it relays: a gateway with the same settings, its
 * log captured, answers a few streams and non-streaming requests; each must give a
 * `request completed` line, the streams' with their figures (ttft_ms, max_gap_ms, …).
 */
export async function checkGatewayObservability(group: Upstream, client: LoadClient, settings: StreamsSettings): Promise<ObservabilityCheck> {
  const gateway = await startGateway({ upstreamPort: group.upstream.port, core: settings.relayCore, captureStdout: true });
  let jsonSent = 0;
  try {
    await client.reset();
    await client.waves(
      {
        port: gateway.port,
        path: '/v1/chat/completions',
        bodies: [streamBody(group.upstreamName, 20, settings.intervalMs)],
        streams: STREAMS,
        waves: 1,
        rampBatch: 0,
        rampIntervalMs: 0,
        expectDone: true,
      },
      30_000,
    );
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`http://127.0.0.1:${gateway.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON_BODY,
      });
      await response.arrayBuffer();
      if (response.status === 200) jsonSent += 1;
    }
  } finally {
    await gateway.stop();
  }
  const lines = gateway
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'request completed' && String(line.route ?? line.path ?? line.url ?? '').includes('/v1/chat/completions'));
  const streamLines = lines.filter((line) => 'ttft_ms' in line || 'max_gap_ms' in line);
  const streamFields = Object.keys(streamLines[0] ?? {});
  const missing = REQUIRED_STREAM_FIELDS.filter((field) => !streamFields.includes(field));
  const problems = [
    streamLines.length < STREAMS ? `${streamLines.length} stream log lines for ${STREAMS} streams` : '',
    lines.length - streamLines.length < jsonSent ? `${lines.length - streamLines.length} non-streaming log lines for ${jsonSent} requests` : '',
    missing.length > 0 ? `stream lines lack ${missing.join(', ')}` : '',
  ].filter((p) => p !== '');
  return {
    streamsSent: STREAMS,
    streamLines: streamLines.length,
    streamFields,
    jsonSent,
    jsonLines: lines.length - streamLines.length,
    ok: problems.length === 0,
    problem: problems.length === 0 ? undefined : problems.join('; '),
  };
}
