/** Decoding of OTLP trace export requests (`/v1/traces`) for the test receiver. */
import {
  bytesOf,
  decodeJsonKeyValues,
  decodeProtoKeyValue,
  decodeProtoKeyValues,
  decodeProtoScopeName,
  I64,
  integerAt,
  objectAt,
  objectsAt,
  parseJsonRequest,
  stringAt,
  stringOf,
  varintOf,
  wireFields,
  type JsonObject,
} from './otlpWire';

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

type SpanFields = Omit<ReceivedSpan, 'resource' | 'scope'>;
interface ScopeGroup {
  scope: string;
  spans: SpanFields[];
}
interface ResourceGroup {
  resource: Record<string, unknown>;
  scopes: ScopeGroup[];
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

/** ExportTraceServiceRequest in protobuf, spans with their resource and scope. */
export function decodeProtobufTraces(body: Buffer): ReceivedSpan[] {
  const groups: ResourceGroup[] = [];
  for (const f of wireFields(body)) {
    if (f.field === 1) groups.push(decodeProtoResourceSpans(bytesOf(f)));
  }
  return flatten(groups);
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

/** ExportTraceServiceRequest in OTLP/JSON, spans with their resource and scope. */
export function decodeJsonTraces(body: Buffer): ReceivedSpan[] {
  return flatten(objectsAt(parseJsonRequest(body), 'resourceSpans').map(decodeJsonResourceSpans));
}

function flatten(groups: ResourceGroup[]): ReceivedSpan[] {
  return groups.flatMap(({ resource, scopes }) =>
    scopes.flatMap(({ scope, spans }) => spans.map((span) => ({ ...span, resource, scope }))),
  );
}
