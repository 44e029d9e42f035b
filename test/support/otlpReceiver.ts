import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
  statusCode: number;
}

export interface OtlpReceiver {
  /** Base address without a path, e.g. `http://127.0.0.1:PORT`; exporters need `url + '/v1/traces'`. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** One entry per POST to /v1/traces, whatever its outcome. */
  readonly requests: { contentType: string }[];
  /** Bodies that could not be decoded (answered 400). */
  readonly rejected: number;
  waitForSpans(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

const TRACES_PATH = '/v1/traces';
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const POLL_INTERVAL_MS = 10;

type SpanFields = Omit<ReceivedSpan, 'resource' | 'scope'>;
interface ScopeGroup {
  scope: string;
  spans: SpanFields[];
}
interface ResourceGroup {
  resource: Record<string, unknown>;
  scopes: ScopeGroup[];
}

class MalformedRequestError extends Error {}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

type WireField =
  | { readonly field: number; readonly wireType: typeof VARINT; readonly value: bigint }
  | { readonly field: number; readonly wireType: typeof I64 | typeof LEN | typeof I32; readonly value: Buffer };

const utf8 = new TextDecoder('utf-8', { fatal: true });

class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  readVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new MalformedRequestError('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new MalformedRequestError('varint longer than 10 bytes');
  }

  readSlice(length: number): Buffer {
    if (this.pos + length > this.buf.length) {
      throw new MalformedRequestError(`field of ${length} bytes overruns the message`);
    }
    const slice = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  readField(): WireField {
    const tag = this.readVarint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 0) throw new MalformedRequestError('field number 0');
    switch (wireType) {
      case VARINT:
        return { field, wireType, value: this.readVarint() };
      case I64:
        return { field, wireType, value: this.readSlice(8) };
      case LEN:
        return { field, wireType, value: this.readSlice(this.readLength()) };
      case I32:
        return { field, wireType, value: this.readSlice(4) };
      default:
        throw new MalformedRequestError(`unsupported wire type ${wireType} for field ${field}`);
    }
  }

  private readLength(): number {
    const length = this.readVarint();
    if (length > BigInt(this.buf.length)) throw new MalformedRequestError(`length ${length} overruns the message`);
    return Number(length);
  }
}

function* wireFields(buf: Buffer): Generator<WireField> {
  const reader = new WireReader(buf);
  while (!reader.done) yield reader.readField();
}

function wrongWireType(f: WireField, expected: number): MalformedRequestError {
  return new MalformedRequestError(`field ${f.field}: wire type ${f.wireType}, expected ${expected}`);
}

function varintOf(f: WireField): bigint {
  if (f.wireType !== VARINT) throw wrongWireType(f, VARINT);
  return f.value;
}

function bytesOf(f: WireField, expected: typeof I64 | typeof LEN | typeof I32 = LEN): Buffer {
  if (f.wireType !== expected) throw wrongWireType(f, expected);
  return f.value;
}

function stringOf(f: WireField): string {
  try {
    return utf8.decode(bytesOf(f));
  } catch (error) {
    if (error instanceof MalformedRequestError) throw error;
    throw new MalformedRequestError(`field ${f.field}: invalid UTF-8`);
  }
}

function int64ToNumber(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

function decodeProtoAnyValue(buf: Buffer): unknown {
  let value: unknown;
  for (const f of wireFields(buf)) {
    switch (f.field) {
      case 1:
        value = stringOf(f);
        break;
      case 2:
        value = varintOf(f) !== 0n;
        break;
      case 3:
        value = int64ToNumber(BigInt.asIntN(64, varintOf(f)));
        break;
      case 4:
        value = bytesOf(f, I64).readDoubleLE(0);
        break;
      case 5:
        value = decodeProtoArrayValue(bytesOf(f));
        break;
      case 6:
        value = decodeProtoKeyValues(bytesOf(f), 1);
        break;
      case 7:
        value = Buffer.from(bytesOf(f));
        break;
    }
  }
  return value;
}

function decodeProtoArrayValue(buf: Buffer): unknown[] {
  const values: unknown[] = [];
  for (const f of wireFields(buf)) {
    if (f.field === 1) values.push(decodeProtoAnyValue(bytesOf(f)));
  }
  return values;
}

function decodeProtoKeyValue(buf: Buffer): [string, unknown] {
  let key = '';
  let value: unknown;
  for (const f of wireFields(buf)) {
    if (f.field === 1) key = stringOf(f);
    else if (f.field === 2) value = decodeProtoAnyValue(bytesOf(f));
  }
  return [key, value];
}

/** Reads the repeated KeyValue at `fieldNumber` of a message (attributes, KeyValueList.values). */
function decodeProtoKeyValues(buf: Buffer, fieldNumber: number): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const f of wireFields(buf)) {
    if (f.field === fieldNumber) entries.push(decodeProtoKeyValue(bytesOf(f)));
  }
  return Object.fromEntries(entries);
}

function decodeProtoStatusCode(buf: Buffer): number {
  let code = 0;
  for (const f of wireFields(buf)) {
    if (f.field === 3) code = Number(BigInt.asIntN(32, varintOf(f)));
  }
  return code;
}

function emptySpan(): SpanFields {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    statusCode: 0,
  };
}

function decodeProtoSpan(buf: Buffer): SpanFields {
  const span = emptySpan();
  const attributes: [string, unknown][] = [];
  for (const f of wireFields(buf)) {
    switch (f.field) {
      case 1:
        span.traceId = bytesOf(f).toString('hex');
        break;
      case 2:
        span.spanId = bytesOf(f).toString('hex');
        break;
      case 4:
        span.parentSpanId = bytesOf(f).toString('hex');
        break;
      case 5:
        span.name = stringOf(f);
        break;
      case 6:
        span.kind = Number(BigInt.asIntN(32, varintOf(f)));
        break;
      case 7:
        span.startTimeUnixNano = bytesOf(f, I64).readBigUInt64LE(0);
        break;
      case 8:
        span.endTimeUnixNano = bytesOf(f, I64).readBigUInt64LE(0);
        break;
      case 9:
        attributes.push(decodeProtoKeyValue(bytesOf(f)));
        break;
      case 15:
        span.statusCode = decodeProtoStatusCode(bytesOf(f));
        break;
    }
  }
  span.attributes = Object.fromEntries(attributes);
  return span;
}

function decodeProtoScopeName(buf: Buffer): string {
  let name = '';
  for (const f of wireFields(buf)) {
    if (f.field === 1) name = stringOf(f);
  }
  return name;
}

function decodeProtoScopeSpans(buf: Buffer): ScopeGroup {
  const group: ScopeGroup = { scope: '', spans: [] };
  for (const f of wireFields(buf)) {
    if (f.field === 1) group.scope = decodeProtoScopeName(bytesOf(f));
    else if (f.field === 2) group.spans.push(decodeProtoSpan(bytesOf(f)));
  }
  return group;
}

function decodeProtoResourceSpans(buf: Buffer): ResourceGroup {
  const group: ResourceGroup = { resource: {}, scopes: [] };
  for (const f of wireFields(buf)) {
    if (f.field === 1) group.resource = decodeProtoKeyValues(bytesOf(f), 1);
    else if (f.field === 2) group.scopes.push(decodeProtoScopeSpans(bytesOf(f)));
  }
  return group;
}

function decodeProtobufRequest(body: Buffer): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  for (const f of wireFields(body)) {
    if (f.field === 1) groups.push(decodeProtoResourceSpans(bytesOf(f)));
  }
  return groups;
}

type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, what: string): JsonObject {
  if (!isJsonObject(value)) throw new MalformedRequestError(`${what} is not an object`);
  return value;
}

function objectAt(obj: JsonObject, key: string): JsonObject {
  return obj[key] == null ? {} : asObject(obj[key], key);
}

function objectsAt(obj: JsonObject, key: string): JsonObject[] {
  const value = obj[key];
  if (value == null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`${key} is not an array`);
  return value.map((item: unknown) => asObject(item, `${key} entry`));
}

function stringAt(obj: JsonObject, key: string): string {
  const value = obj[key];
  if (value == null) return '';
  if (typeof value !== 'string') throw new MalformedRequestError(`${key} is not a string`);
  return value;
}

/** OTLP/JSON writes 64-bit integers as strings or numbers; BigInt() rejects fractions and junk. */
function integerAt(obj: JsonObject, key: string): bigint {
  const value = obj[key];
  if (value == null) return 0n;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new MalformedRequestError(`${key} is not an integer`);
  }
  try {
    return BigInt(value);
  } catch {
    throw new MalformedRequestError(`${key} is not an integer: ${String(value)}`);
  }
}

function decodeJsonAnyValue(value: JsonObject): unknown {
  if ('stringValue' in value) return stringAt(value, 'stringValue');
  if ('boolValue' in value) return value.boolValue === true;
  if ('intValue' in value) return int64ToNumber(integerAt(value, 'intValue'));
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) {
    return objectsAt(objectAt(value, 'arrayValue'), 'values').map(decodeJsonAnyValue);
  }
  if ('kvlistValue' in value) return decodeJsonKeyValues(objectsAt(objectAt(value, 'kvlistValue'), 'values'));
  if ('bytesValue' in value) return Buffer.from(stringAt(value, 'bytesValue'), 'base64');
  return undefined;
}

function decodeJsonKeyValues(keyValues: JsonObject[]): Record<string, unknown> {
  return Object.fromEntries(
    keyValues.map((kv) => [stringAt(kv, 'key'), decodeJsonAnyValue(objectAt(kv, 'value'))]),
  );
}

function decodeJsonSpan(span: JsonObject): SpanFields {
  return {
    traceId: stringAt(span, 'traceId').toLowerCase(),
    spanId: stringAt(span, 'spanId').toLowerCase(),
    parentSpanId: stringAt(span, 'parentSpanId').toLowerCase(),
    name: stringAt(span, 'name'),
    kind: Number(integerAt(span, 'kind')),
    startTimeUnixNano: integerAt(span, 'startTimeUnixNano'),
    endTimeUnixNano: integerAt(span, 'endTimeUnixNano'),
    attributes: decodeJsonKeyValues(objectsAt(span, 'attributes')),
    statusCode: Number(integerAt(objectAt(span, 'status'), 'code')),
  };
}

function decodeJsonScopeSpans(scopeSpans: JsonObject): ScopeGroup {
  return {
    scope: stringAt(objectAt(scopeSpans, 'scope'), 'name'),
    spans: objectsAt(scopeSpans, 'spans').map(decodeJsonSpan),
  };
}

function decodeJsonResourceSpans(resourceSpans: JsonObject): ResourceGroup {
  return {
    resource: decodeJsonKeyValues(objectsAt(objectAt(resourceSpans, 'resource'), 'attributes')),
    scopes: objectsAt(resourceSpans, 'scopeSpans').map(decodeJsonScopeSpans),
  };
}

function decodeJsonRequest(body: Buffer): ResourceGroup[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new MalformedRequestError(`invalid JSON: ${(error as Error).message}`);
  }
  return objectsAt(asObject(parsed, 'request'), 'resourceSpans').map(decodeJsonResourceSpans);
}

function flatten(groups: ResourceGroup[]): ReceivedSpan[] {
  return groups.flatMap(({ resource, scopes }) =>
    scopes.flatMap(({ scope, spans }) => spans.map((span) => ({ ...span, resource, scope }))),
  );
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decompress(body: Buffer, encoding: string): Buffer {
  if (encoding !== 'gzip') return body;
  try {
    return gunzipSync(body);
  } catch (error) {
    throw new MalformedRequestError(`invalid gzip body: ${(error as Error).message}`);
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function describeSeen(spans: readonly ReceivedSpan[]): string {
  const names = spans.map((s) => s.name);
  const services = [...new Set(spans.map((s) => String(s.resource['service.name'] ?? '(none)')))];
  return `saw ${spans.length} span(s): [${names.join(', ')}] from services [${services.join(', ')}]`;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: { contentType: string }[] = [];
  let rejected = 0;

  async function acceptExport(req: IncomingMessage, res: ServerResponse, contentType: string): Promise<void> {
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      reply(res, 415, 'text/plain', `unsupported content-encoding ${encoding}`);
      return;
    }
    const raw = await readBody(req);
    try {
      const body = decompress(raw, encoding);
      const groups = contentType === PROTOBUF ? decodeProtobufRequest(body) : decodeJsonRequest(body);
      spans.push(...flatten(groups));
    } catch (error) {
      rejected++;
      reply(res, 400, 'text/plain', (error as Error).message);
      return;
    }
    // An empty ExportTraceServiceResponse: zero bytes in protobuf, `{}` in JSON.
    reply(res, 200, contentType, contentType === PROTOBUF ? '' : '{}');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://receiver').pathname !== TRACES_PATH) {
      reply(res, 404, 'text/plain', 'not found');
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      reply(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    const contentType = mediaType(req);
    requests.push({ contentType });
    if (contentType !== PROTOBUF && contentType !== JSON_TYPE) {
      reply(res, 415, 'text/plain', `unsupported content-type ${contentType}`);
      return;
    }
    await acceptExport(req, res, contentType);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The client went away mid-request; there is no one left to answer.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  async function waitForSpans(
    predicate: (seen: readonly ReceivedSpan[]) => boolean,
    timeoutMs = 5_000,
  ): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(spans)) {
      if (Date.now() >= deadline) {
        throw new Error(`waitForSpans timed out after ${timeoutMs}ms; ${describeSeen(spans)}`);
      }
      await delay(POLL_INTERVAL_MS);
    }
    return [...spans];
  }

  async function close(): Promise<void> {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    // Exporters keep their connections alive; without this, close() waits for them to idle out.
    server.closeAllConnections();
    await closed;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    get rejected() {
      return rejected;
    },
    waitForSpans,
    close,
  };
}
