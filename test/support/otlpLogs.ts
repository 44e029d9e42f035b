/** Decoding of OTLP log export requests (`/v1/logs`, ExportLogsServiceRequest) for the test receiver. */
import {
  bytesOf,
  decodeJsonAnyValue,
  decodeJsonKeyValues,
  decodeProtoAnyValue,
  decodeProtoKeyValue,
  I32,
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

export interface ReceivedLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  /** W3C trace flags in the low byte. */
  flags: number;
  /** Hex, empty when the record has no trace context. */
  traceId: string;
  spanId: string;
  eventName: string;
  resource: Record<string, unknown>;
  scope: string;
}

type RecordFields = Omit<ReceivedLogRecord, 'resource' | 'scope'>;

function emptyRecord(): RecordFields {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: {},
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
}

/** opentelemetry/proto/logs/v1/logs.proto, LogRecord. */
function decodeProtoLogRecord(buf: Buffer): RecordFields {
  const record = emptyRecord();
  const attributes: [string, unknown][] = [];
  for (const f of wireFields(buf)) {
    switch (f.field) {
      case 1:
        record.timeUnixNano = bytesOf(f, I64).readBigUInt64LE(0);
        break;
      case 2:
        record.severityNumber = Number(BigInt.asIntN(32, varintOf(f)));
        break;
      case 3:
        record.severityText = stringOf(f);
        break;
      case 5:
        record.body = decodeProtoAnyValue(bytesOf(f));
        break;
      case 6:
        attributes.push(decodeProtoKeyValue(bytesOf(f)));
        break;
      case 8:
        record.flags = bytesOf(f, I32).readUInt32LE(0);
        break;
      case 9:
        record.traceId = bytesOf(f).toString('hex');
        break;
      case 10:
        record.spanId = bytesOf(f).toString('hex');
        break;
      case 11:
        record.observedTimeUnixNano = bytesOf(f, I64).readBigUInt64LE(0);
        break;
      case 12:
        record.eventName = stringOf(f);
        break;
    }
  }
  record.attributes = Object.fromEntries(attributes);
  return record;
}

/** ExportLogsServiceRequest in protobuf, records with their resource and scope. */
export function decodeProtobufLogs(body: Buffer): ReceivedLogRecord[] {
  return decodeProtobufEnvelope(body, decodeProtoLogRecord);
}

function decodeJsonLogRecord(record: JsonObject): RecordFields {
  return {
    timeUnixNano: integerAt(record, 'timeUnixNano'),
    observedTimeUnixNano: integerAt(record, 'observedTimeUnixNano'),
    severityNumber: Number(integerAt(record, 'severityNumber')),
    severityText: stringAt(record, 'severityText'),
    body: record.body == null ? undefined : decodeJsonAnyValue(objectAt(record, 'body')),
    attributes: decodeJsonKeyValues(objectsAt(record, 'attributes')),
    flags: Number(integerAt(record, 'flags')),
    traceId: stringAt(record, 'traceId').toLowerCase(),
    spanId: stringAt(record, 'spanId').toLowerCase(),
    eventName: stringAt(record, 'eventName'),
  };
}

/** ExportLogsServiceRequest in OTLP/JSON, records with their resource and scope. */
export function decodeJsonLogs(body: Buffer): ReceivedLogRecord[] {
  return decodeJsonEnvelope(body, { resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords' }, decodeJsonLogRecord);
}
