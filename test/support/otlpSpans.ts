/** Decoding of OTLP trace export requests (`/v1/traces`) for the test receiver. */
import {
  bytesOf,
  decodeJsonKeyValues,
  decodeProtoKeyValue,
  I64,
  integerAt,
  objectAt,
  objectsAt,
  stringAt,
  stringOf,
  varintOf,
  wireFields,
  type JsonObject,
} from './otlpWire';
import { decodeJsonEnvelope, decodeProtobufEnvelope } from './otlpEnvelope';

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

/** ExportTraceServiceRequest in protobuf, spans with their resource and scope. */
export function decodeProtobufTraces(body: Buffer): ReceivedSpan[] {
  return decodeProtobufEnvelope(body, decodeProtoSpan);
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

/** ExportTraceServiceRequest in OTLP/JSON, spans with their resource and scope. */
export function decodeJsonTraces(body: Buffer): ReceivedSpan[] {
  return decodeJsonEnvelope(body, { resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans' }, decodeJsonSpan);
}
