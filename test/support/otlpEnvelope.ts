/**
 * The envelope every OTLP export request shares, whatever the signal: resources, each with
 * its attributes and scopes, each scope with its name and items (spans, log records). The
 * signal's decoder reads one item; this walk gives each item its resource and scope.
 */
import { bytesOf, decodeJsonKeyValues, decodeProtoKeyValues, decodeProtoScopeName, objectAt, objectsAt, parseJsonRequest, stringAt, wireFields, type JsonObject } from './otlpWire';

/** An item with the resource and instrumentation scope it was exported under. */
export type Enveloped<T> = T & { resource: Record<string, unknown>; scope: string };

/** Field names of one signal in OTLP/JSON (`resourceSpans`, `scopeSpans`, `spans`). */
export interface JsonEnvelopeNames {
  readonly resources: string;
  readonly scopes: string;
  readonly items: string;
}

/** In protobuf every signal numbers its envelope alike: resource 1 and scopes 2, scope 1 and items 2. */
export function decodeProtobufEnvelope<T>(body: Buffer, decodeItem: (buf: Buffer) => T): Enveloped<T>[] {
  const items: Enveloped<T>[] = [];
  for (const top of wireFields(body)) {
    if (top.field !== 1) continue;
    let resource: Record<string, unknown> = {};
    const scopes: Buffer[] = [];
    for (const f of wireFields(bytesOf(top))) {
      if (f.field === 1) resource = decodeProtoKeyValues(bytesOf(f), 1);
      else if (f.field === 2) scopes.push(bytesOf(f));
    }
    for (const scopeBuf of scopes) {
      let scope = '';
      const decoded: T[] = [];
      for (const f of wireFields(scopeBuf)) {
        if (f.field === 1) scope = decodeProtoScopeName(bytesOf(f));
        else if (f.field === 2) decoded.push(decodeItem(bytesOf(f)));
      }
      for (const item of decoded) items.push({ ...item, resource, scope });
    }
  }
  return items;
}

/** The same in OTLP/JSON. */
export function decodeJsonEnvelope<T>(body: Buffer, names: JsonEnvelopeNames, decodeItem: (item: JsonObject) => T): Enveloped<T>[] {
  return objectsAt(parseJsonRequest(body), names.resources).flatMap((resourceGroup) => {
    const resource = decodeJsonKeyValues(objectsAt(objectAt(resourceGroup, 'resource'), 'attributes'));
    return objectsAt(resourceGroup, names.scopes).flatMap((scopeGroup) => {
      const scope = stringAt(objectAt(scopeGroup, 'scope'), 'name');
      return objectsAt(scopeGroup, names.items).map((item) => ({ ...decodeItem(item), resource, scope }));
    });
  });
}
